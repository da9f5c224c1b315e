#!/usr/bin/env bash
# Replay throughput and memory (docs/replay.md, figures in docs/BENCHMARKS.md): generates a
# synthetic log of about 10 million events with `kairos gen` (release build), then replays it
# against the demo bundle with `/usr/bin/time -v`, once with daily and once with hourly steps,
# and prints events/s, decisions/s and peak RSS. Not part of the tests.
#
#   bash benches/replay.sh                      # 80,000 customers over 30 days (~10.5M lines)
#   CUSTOMERS=20000 DAYS=30 bash benches/replay.sh
#   STEPS="1d" BUNDLE=examples/scenarios/14-banking-moments.json bash benches/replay.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CUSTOMERS=${CUSTOMERS:-80000}
DAYS=${DAYS:-30}
SEED=${SEED:-1}
STEPS=${STEPS:-"1d 1h"}
BUNDLE=${BUNDLE:-examples/demo/rules.json}
LOG=${LOG:-/tmp/kairos-replay-bench-$CUSTOMERS-$DAYS-$SEED.ndjson}
source benches/support/measure.sh # builds the release CLI: $KAIROS

if [ ! -s "$LOG" ]; then
  echo "== $KAIROS gen --customers $CUSTOMERS --days $DAYS --seed $SEED -o $LOG" >&2
  read -r rss wall user < <(measure "$KAIROS" gen --customers "$CUSTOMERS" --days "$DAYS" --seed "$SEED" -o "$LOG")
  lines=$(wc -l < "$LOG")
  echo "gen: $lines lines, $(stat -c %s "$LOG") bytes in $wall s wall ($user s user):" \
    "$(calc "$lines / $wall / 1e6") M lines/s, peak RSS $(calc "$rss / 1024") MiB"
fi
lines=$(wc -l < "$LOG")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"

for step in $STEPS; do
  out=$(mktemp)
  echo "== $KAIROS replay --bundle $BUNDLE --events $LOG --step $step -o $out" >&2
  read -r rss wall user < <(measure "$KAIROS" replay --bundle "$BUNDLE" --events "$LOG" --step "$step" -o "$out")
  steps=$(sed -n '1s/.*: \([0-9]*\) steps.*/\1/p' "$out")
  decisions=$(sed -n '2s/.*; \([0-9,]*\) decisions.*/\1/p' "$out" | tr -d ,)
  held=$(sed -n '3s/.*at most \([0-9,]*\) customers.*/\1/p' "$out" | tr -d ,)
  rm -f "$out"
  echo "replay --step $step: $lines events, $steps steps, $decisions decisions, at most $held customers held;" \
    "$wall s wall ($user s user): $(calc "$lines / $wall / 1e6") M events/s," \
    "$(calc "$decisions / $wall / 1e6") M decisions/s, peak RSS $(calc "$rss / 1024") MiB"
done
