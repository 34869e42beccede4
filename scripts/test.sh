#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the system packages the browser and
# ClickHouse tests need (Debian: chromium, chromium-driver, clickhouse-server) when missing,
# checks that the committed tracker is its source's build and runs its Node tests,
# then checks formatting and lints and runs every test in the release profile (the same
# profile as the binary, so DuckDB's long C++ build is compiled once and reused).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/footfall/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# Debian puts the server in /usr/sbin, which is not on every user's PATH.
command -v clickhouse-server >/dev/null 2>&1 || [[ -x /usr/sbin/clickhouse-server ]] || need+=(clickhouse-server)
if ((${#need[@]})); then
  echo "test.sh: installing ${need[*]} with apt-get" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
    echo "test.sh: error: could not install ${need[*]}; the browser and ClickHouse tests cannot run without them" >&2
    exit 1
  fi
fi

# The tracker: its committed build matches its source, and its unit tests pass (Node's own
# runner; the build tools come from tracker/package-lock.json).
command -v node >/dev/null 2>&1 || { echo "test.sh: error: Node.js 20 or later is needed for the tracker's build check and tests" >&2; exit 1; }
scripts/build-tracker.sh --check
(cd tracker && node --test test/)

cargo fmt --check
cargo clippy --release --all-targets --locked -- -D warnings
cargo test --release --locked
