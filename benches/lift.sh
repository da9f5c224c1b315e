#!/usr/bin/env bash
# `kairos lift` throughput and memory (docs/measurement.md, figures in docs/BENCHMARKS.md):
# generates a log of about 10 million lines of exposures, page views and conversions with
# `kairos gen --exposures` (release build), reads it with `kairos lift` under `/usr/bin/time -v`
# (best wall time of RUNS), and prints lines/s and peak RSS; also writes target/lift.json.
# Not part of the tests.
#
#   bash benches/lift.sh                          # 1,300,000 visitors over 30 days (~10M lines)
#   VISITORS=200000 RUNS=1 bash benches/lift.sh   # quicker
set -euo pipefail
cd "$(dirname "$0")/.."

VISITORS=${VISITORS:-1300000}
DAYS=${DAYS:-30}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
BUNDLE=${BUNDLE:-examples/demo/rules.json}
LOG=${LOG:-/tmp/kairos-lift-bench-$VISITORS-$DAYS-$SEED.ndjson}
source benches/support/measure.sh # builds the release CLI: $KAIROS

if [ ! -s "$LOG" ]; then
  echo "== $KAIROS gen --exposures --bundle $BUNDLE --customers $VISITORS --days $DAYS --seed $SEED --value-mean 40 -o $LOG" >&2
  read -r rss wall user < <(measure "$KAIROS" gen --exposures --bundle "$BUNDLE" --customers "$VISITORS" --days "$DAYS" \
    --seed "$SEED" --value-mean 40 -o "$LOG")
  lines=$(wc -l < "$LOG")
  echo "gen --exposures: $lines lines, $(stat -c %s "$LOG") bytes in $wall s wall: $(calc "$lines / $wall / 1e6") M lines/s, peak RSS $(calc "$rss / 1024") MiB"
fi
lines=$(wc -l < "$LOG")
bytes=$(stat -c %s "$LOG")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"

best=""; best_rss=0
for _ in $(seq "$RUNS"); do
  echo "== $KAIROS lift --bundle $BUNDLE --events $LOG --conversion 'Order Completed' --value revenue --format json" >&2
  read -r rss wall user < <(measure "$KAIROS" lift --bundle "$BUNDLE" --events "$LOG" --conversion "Order Completed" --value revenue --format json)
  echo "  $wall s wall ($user s user), peak RSS $(calc "$rss / 1024") MiB"
  if [ -z "$best" ] || awk "BEGIN { exit !($wall < $best) }"; then best=$wall; best_rss=$rss; fi
done
visitors=$("$KAIROS" lift --bundle "$BUNDLE" --events "$LOG" --conversion "Order Completed" --format json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).visitors))')
echo "lift: $lines lines ($(calc "$bytes / 1e9") GB), $visitors visitors, best of $RUNS: $best s wall:" \
  "$(calc "$lines / $best / 1e6") M lines/s, $(calc "$bytes / $best / 1e6") MB/s, peak RSS $(calc "$best_rss / 1024") MiB"
mkdir -p "$TARGET"
printf '{"lines": %s, "bytes": %s, "visitors": %s, "seconds": %s, "lines_per_s": %s, "peak_rss_kib": %s}\n' \
  "$lines" "$bytes" "$visitors" "$best" "$(calc "$lines / $best")" "$best_rss" > "$TARGET/lift.json"
echo "wrote $TARGET/lift.json"
