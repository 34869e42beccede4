#!/usr/bin/env bash
# The benchmark instrument (issue 7): runs every benchmark against a release build on this
# machine and prints one table per area plus a summary against the targets. Load runs are
# bounded in time and target 127.0.0.1 only. Each figure is run FOOTFALL_BENCH_RUNS times;
# the median and the spread (min-max) are reported.
#
#   scripts/bench.sh                       # everything (about 15 minutes with kept databases)
#   FOOTFALL_BENCH_ONLY=ingest scripts/bench.sh   # one area: seed, ingest, reports, pages, clickhouse, tracker
#
# Settings (environment): FOOTFALL_BENCH_DIR (kept seeded databases and the report, default
# $HOME/.cache/footfall/bench), FOOTFALL_BENCH_RUNS (3), FOOTFALL_BENCH_SECONDS (8, per load
# run), FOOTFALL_BENCH_SIZES ("1000000 10000000"), FOOTFALL_BENCH_CONCURRENCY ("8 32 128").
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/footfall/target}"
OUT="${FOOTFALL_BENCH_DIR:-$HOME/.cache/footfall/bench}"
RUNS="${FOOTFALL_BENCH_RUNS:-3}"
SECS="${FOOTFALL_BENCH_SECONDS:-8}"
SIZES="${FOOTFALL_BENCH_SIZES:-1000000 10000000}"
CONCURRENCY="${FOOTFALL_BENCH_CONCURRENCY:-8 32 128}"
ONLY="${FOOTFALL_BENCH_ONLY:-}"
mkdir -p "$OUT"
REPORT="$OUT/report-$(date +%Y%m%d-%H%M).md"
exec > >(tee "$REPORT") 2>&1

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[[ -x /usr/bin/time ]] || need+=(time)
if ((${#need[@]})); then
  echo "bench.sh: installing ${need[*]} with apt-get" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends "${need[@]}" >/dev/null ||
    { echo "bench.sh: error: could not install ${need[*]}" >&2; exit 1; }
fi

cargo build --release --locked --bin footfall --example bench-reports --example bench-pages \
  --example bench-tracker 2>&1 | tail -1
BIN="$CARGO_TARGET_DIR/release/footfall"
EX="$CARGO_TARGET_DIR/release/examples"
want() { [[ -z "$ONLY" || "$ONLY" == "$1" ]]; }

# median and spread of numbers on stdin: "median (min-max)"
stats() { sort -g | awk 'function f(x) { return (x >= 100 || x <= -100) ? sprintf("%.0f", x) : sprintf("%.3g", x) }
  {v[NR]=$1} END {if (NR==0) {print "-"; exit}
  m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
  printf "%s (%s-%s)\n", f(m), f(v[1]), f(v[NR])}'; }
json() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())$1)"; }

echo "# footfall benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), commit $(git rev-parse --short HEAD). Runs per figure: $RUNS; median (min-max)."

# --- seeding and bytes on disk -------------------------------------------------------------
if want seed; then
  echo
  echo "## Seeding (footfall seed, 1,000,000 events, 30 days)"
  rates=(); rss=(); bytes=()
  for _ in $(seq "$RUNS"); do
    d=$(mktemp -d)
    FOOTFALL_LOG=warn /usr/bin/time -f "%e %M" -o "$d/time" "$BIN" seed --site demo --events 1000000 --days 30 \
      --data-dir "$d/data" >/dev/null
    read -r secs kb <"$d/time"
    rates+=("$(awk -v s="$secs" 'BEGIN {print 1000000 / s}')")
    rss+=("$((kb / 1024))")
    bytes+=("$(du -sb "$d/data/db" | awk '{print $1 / 1000000}')")
    rm -rf "$d"
  done
  echo
  echo "| figure | median (min-max) | target |"
  echo "|---|---|---|"
  echo "| events/s | $(printf '%s\n' "${rates[@]}" | stats) | 1,000,000 |"
  echo "| max RSS, MB | $(printf '%s\n' "${rss[@]}" | stats) | |"
  echo "| bytes on disk per event | $(printf '%s\n' "${bytes[@]}" | stats) | 30 |"
fi

# --- ingest ----------------------------------------------------------------------------------
# One server per run, with the baseline endpoint: first the same load generator and bodies
# against POST /bench/null (reads the body, answers 204), then against the ingest route.
proc_cpu_s() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
proc_rss_mb() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }
proc_hwm_mb() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
metric() { curl -s "http://127.0.0.1:$2/metrics" | awk -v m="$1" '$1 ~ "^"m {s += $2} END {print s + 0}'; }

ingest_run() { # format script concurrency -> one line of figures
  local format=$1 script=$2 c=$3 d port pid
  d=$(mktemp -d)
  port=$((20000 + RANDOM % 20000))
  FOOTFALL_LOG=warn "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$d" \
    --rate-limit-per-ip 100000000 --rate-limit-per-site 100000000 --bench-endpoint ${STORE:+--store "$STORE"} \
    >/dev/null 2>"$d/log" &
  pid=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local idle; idle=$(proc_rss_mb "$pid")
  local null; null=$(FOOTFALL_BENCH_PATH=/bench/null wrk -t2 -c"$c" -d"${SECS}s" -s "$script" \
    "http://127.0.0.1:$port/" | tail -1)
  local cpu0; cpu0=$(proc_cpu_s "$pid")
  local run; run=$(wrk -t2 -c"$c" -d"${SECS}s" -s "$script" "http://127.0.0.1:$port/" | tail -1)
  local cpu1; cpu1=$(proc_cpu_s "$pid")
  local drain0; drain0=$(date +%s.%N)
  for _ in $(seq 600); do
    h=$(curl -s "http://127.0.0.1:$port/healthz")
    [[ $(echo "$h" | json '["spool_applied_seq"]') == $(echo "$h" | json '["spool_committed_seq"]') ]] && break
    sleep 0.1
  done
  local drain; drain=$(awk -v a="$drain0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  local accepted stored dups hwm
  accepted=$(metric footfall_events_accepted "$port")
  stored=$(metric footfall_events_stored "$port")
  dups=$(metric footfall_duplicates_dropped "$port")
  hwm=$(proc_hwm_mb "$pid")
  kill -TERM "$pid"; wait "$pid" || true
  local db_bytes=0
  [[ -d "$d/db" ]] && db_bytes=$(du -sb "$d/db" | awk '{print $1}')
  rm -rf "$d"
  python3 - "$null" "$run" "$cpu0" "$cpu1" "$accepted" "$stored" "$dups" "$idle" "$hwm" "$db_bytes" "$drain" <<'PY'
import json, sys
null, run = json.loads(sys.argv[1]), json.loads(sys.argv[2])
cpu = float(sys.argv[4]) - float(sys.argv[3])
accepted, stored, dups = (int(float(x)) for x in sys.argv[5:8])
secs = run["duration_us"] / 1e6
ok = run["requests"] - run["non2xx"]
events = ok * 40
null_rps = (null["requests"] - null["non2xx"]) / (null["duration_us"] / 1e6)
print(" ".join(str(x) for x in [
    round(events / secs), round(ok / secs), run["p50_us"] / 1000, run["p99_us"] / 1000,
    round(cpu / max(accepted, 1) * 1e6, 2), round(null_rps),
    round(events / secs / (null_rps * 40) * 100, 1),
    run["non2xx"], accepted, stored, dups, sys.argv[8], sys.argv[9],
    round(int(sys.argv[10]) / max(stored, 1), 1),
    round(stored / (secs + float(sys.argv[11])))]))
PY
}

summarise_ingest_rows() { # concurrency, then one ingest_run line per run -> one table row
  local c=$1; shift
  local rows=("$@")
  col() { printf '%s\n' "${rows[@]}" | awk -v i="$1" '{print $i}' | stats; }
  last() { printf '%s\n' "${rows[@]}" | tail -1 | awk -v a="$1" -v b="$2" -v c="$3" '{print $a " / " $b " / " $c}'; }
  echo "| $c | $(col 1) | $(col 2) | $(col 3) | $(col 4) | $(col 5) | $(col 6) | $(col 7)% | $(col 8) | $(last 9 10 11) (last run) | $(col 12) / $(col 13) | $(col 14) | $(col 15) |"
}

if want ingest; then
  for format in native ubjs; do
    script=benches/collect.lua
    [[ $format == ubjs ]] && script=benches/ubjs.lua
    echo
    echo "## Ingest: $format batches of 40 events, durable acknowledgement, ${SECS}s per run"
    echo
    echo "| connections | events/s | batches/s | p50 ms | p99 ms | CPU s per 1M events | baseline req/s | ingest / (baseline x 40) | non-2xx | accepted / stored / duplicates dropped | RSS idle / peak MB | DB bytes per stored event | stored events/s incl. draining the spool |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for c in $CONCURRENCY; do
      rows=()
      for _ in $(seq "$RUNS"); do rows+=("$(ingest_run "$format" "$script" "$c")"); done
      summarise_ingest_rows "$c" "${rows[@]}"
    done
  done
  echo
  echo "Accepted events are counted by the server (footfall_events_accepted); after each run the"
  echo "writer drains the spool and footfall_events_stored must equal it (native ids are unique;"
  echo "userBehaviour.js events are de-duplicated on content, so 'duplicates dropped' counts the"
  echo "library-style repeats the generator makes)."
fi

# --- reports and pages -----------------------------------------------------------------------
if want reports; then
  echo
  echo "## Reports over footfall seed data (store time, ms; databases kept in $OUT/db)"
  # shellcheck disable=SC2086
  "$EX/bench-reports" --keep "$OUT/db" $SIZES
fi
if want pages; then
  echo
  echo "## Dashboard pages (whole request over loopback, ms)"
  dirs=()
  for s in $SIZES; do dirs+=("$OUT/db/$s"); done
  /usr/bin/time -f "max RSS while answering reports: %M KB" "$EX/bench-pages" "${dirs[@]}"
fi

# --- ClickHouse -------------------------------------------------------------------------------
# One local clickhouse-server (Debian's 18.16) on loopback with its data under $OUT/clickhouse,
# so the seeded report databases are kept between runs like the DuckDB ones. The same ingest
# load and the same report plans as above, with `--store clickhouse://...`.
start_clickhouse() { # -> sets CH_PORT and CH_PID
  local d="$OUT/clickhouse"
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas"
  CH_PORT=$((20000 + RANDOM % 20000))
  cat >"$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_PORT</http_port>
  <tcp_port>$((CH_PORT + 1))</tcp_port>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
XML
  cat >"$d/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
XML
  "$CH_BIN" --config-file="$d/config.xml" >"$d/stdout.log" 2>&1 &
  CH_PID=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$CH_PORT/ping" >/dev/null && return 0; sleep 0.1; done
  echo "bench.sh: clickhouse-server did not start; see $d/error.log" >&2
  exit 1
}
if want clickhouse; then
  # Debian puts the server in /usr/sbin, which is not on every user's PATH.
  CH_BIN=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
  [[ -x $CH_BIN ]] ||
    { echo "bench.sh: clickhouse-server is missing (scripts/test.sh installs it)" >&2; exit 1; }
  start_clickhouse
  trap 'kill $CH_PID 2>/dev/null || true' EXIT
  echo
  echo "## ClickHouse: ingest (native, durable acknowledgement, a fresh database per run)"
  echo
  echo "| connections | events/s | batches/s | p50 ms | p99 ms | CPU s per 1M events (footfall only) | baseline req/s | ingest / (baseline x 40) | non-2xx | accepted / stored / duplicates dropped | RSS idle / peak MB | local DB bytes per stored event (0: all in ClickHouse) | stored events/s incl. draining the spool |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for c in $CONCURRENCY; do
    rows=()
    for _ in $(seq "$RUNS"); do
      rows+=("$(STORE="clickhouse://127.0.0.1:$CH_PORT/ingest_$RANDOM$RANDOM" ingest_run native benches/collect.lua "$c")")
    done
    summarise_ingest_rows "$c" "${rows[@]}"
  done
  echo
  echo "## ClickHouse: reports over footfall seed data (store time, ms; databases kept in $OUT/clickhouse)"
  # shellcheck disable=SC2086
  "$EX/bench-reports" --store "clickhouse://127.0.0.1:$CH_PORT/bench" $SIZES
  kill "$CH_PID"; wait "$CH_PID" 2>/dev/null || true
  trap - EXIT
fi

# --- tracker ----------------------------------------------------------------------------------
if want tracker; then
  echo
  echo "## Tracker (headless chromium)"
  "$EX/bench-tracker"
fi
echo
echo "Report written to $REPORT"
