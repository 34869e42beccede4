#!/usr/bin/env bash
# Builds the browser tracker: tracker/src/ (readable ES modules) -> assets/footfall.js, and its
# heatmap overlay: tracker/src/overlay/ -> assets/footfall-heatmap.js (each one minified
# script, committed, so running footfall needs no Node). Installs the pinned build tools from
# tracker/package-lock.json first when they are missing or stale.
#   scripts/build-tracker.sh          rebuild both files
#   scripts/build-tracker.sh --check  fail if either file is not what the source builds to
set -euo pipefail
cd "$(dirname "$0")/../tracker"
if ! command -v node >/dev/null 2>&1; then
  echo "build-tracker.sh: error: node is needed to build the tracker (Node 20 or later)" >&2
  exit 1
fi
# npm ci leaves node_modules/.package-lock.json behind; older than the lockfile means stale.
if [[ ! node_modules/.package-lock.json -nt package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
node build.mjs "$@"
