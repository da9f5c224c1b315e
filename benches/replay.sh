#!/usr/bin/env bash
# Replay throughput on 1 and 2 threads, from NDJSON and from Parquet (docs/replay.md, figures in
# docs/BENCHMARKS.md): generates a 30-day log with `kairos gen` (release build) in both formats
# from one seed, replays each against the demo bundle with daily steps under `/usr/bin/time -v`
# (best wall time of RUNS), checks that every run printed the same report, then times hourly
# steps. Prints events/s and events/s per core, and writes target/replay.json:
#   {"ndjson": {"1": {"events_per_s", "events_per_s_per_core", "hourly_events_per_s", …}, "2": {…}},
#    "parquet": {…same…}, "lines", "customers", …}
# Not part of the tests.
#
#   bash benches/replay.sh                  # 80,000 customers over 30 days (~10.5M lines)
#   REPLAY_QUICK=1 bash benches/replay.sh   # 15,000 customers (~2M lines)
#   CUSTOMERS=20000 RUNS=1 bash benches/replay.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${REPLAY_QUICK:-}" ]; then CUSTOMERS=${CUSTOMERS:-15000}; fi
CUSTOMERS=${CUSTOMERS:-80000}
DAYS=${DAYS:-30}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
THREADS=${THREADS:-"1 2"}
BUNDLE=${BUNDLE:-examples/demo/rules.json}
LOG=${LOG:-/tmp/kairos-replay-bench-$CUSTOMERS-$DAYS-$SEED}
source benches/support/measure.sh # builds the release CLI: $KAIROS

gen() { # format, file
  [ -s "$2" ] && return
  echo "== $KAIROS gen --customers $CUSTOMERS --days $DAYS --seed $SEED --format $1 -o $2" >&2
  read -r rss wall user < <(measure "$KAIROS" gen --customers "$CUSTOMERS" --days "$DAYS" --seed "$SEED" --format "$1" -o "$2")
  echo "gen --format $1: $(stat -c %s "$2") bytes in $wall s wall, peak RSS $(calc "$rss / 1024") MiB" >&2
}
gen ndjson "$LOG.ndjson"
gen parquet "$LOG.parquet"
lines=$(wc -l < "$LOG.ndjson")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "log: $lines lines, $CUSTOMERS customers, $DAYS days; NDJSON $(stat -c %s "$LOG.ndjson") B, Parquet $(stat -c %s "$LOG.parquet") B"

reference=$(mktemp)
# Best wall time of RUNS for one replay; every run's report must equal the first one's.
best_of() { # step, threads, file -> "wall rss"
  local best="" rss_best="" out
  out=$(mktemp)
  for _ in $(seq "$RUNS"); do
    read -r rss wall user < <(measure "$KAIROS" replay --bundle "$BUNDLE" --events "$3" --step "$1" --threads "$2" -o "$out")
    if [ ! -s "$reference.$1" ]; then cp "$out" "$reference.$1"; fi
    cmp -s "$out" "$reference.$1" || { echo "report differs: step $1, $2 threads, $3" >&2; exit 1; }
    if [ -z "$best" ] || awk "BEGIN { exit !($wall < $best) }"; then best=$wall; rss_best=$rss; fi
  done
  rm -f "$out"
  echo "$best $rss_best"
}

json="{\"lines\": $lines, \"customers\": $CUSTOMERS, \"days\": $DAYS, \"bundle\": \"$BUNDLE\", \"cores\": $(nproc)"
for format in ndjson parquet; do
  json+=", \"$format\": {"
  sep=""
  for threads in $THREADS; do
    read -r wall rss < <(best_of 1d "$threads" "$LOG.$format")
    read -r hwall _ < <(RUNS=1 best_of 1h "$threads" "$LOG.$format")
    eps=$(calc "$lines / $wall")
    per_core=$(calc "$lines / $wall / $threads")
    heps=$(calc "$lines / $hwall")
    echo "$format, $threads thread(s): daily $wall s: $(calc "$eps / 1e6") M events/s ($(calc "$per_core / 1e6") M per core)," \
      "peak RSS $(calc "$rss / 1024") MiB; hourly $hwall s: $(calc "$heps / 1e6") M events/s ($(calc "$hwall / $wall")× daily)"
    json+="$sep\"$threads\": {\"events_per_s\": $eps, \"events_per_s_per_core\": $per_core, \"daily_s\": $wall, \"hourly_s\": $hwall, \"hourly_events_per_s\": $heps, \"peak_rss_kb\": $rss}"
    sep=", "
  done
  json+="}"
done
json+="}"
rm -f "$reference" "$reference".*
mkdir -p target
echo "$json" > target/replay.json
echo "every run gave the same report (both formats, every thread count); wrote target/replay.json"
