# Shared by the throughput benches (replay.sh, lift.sh): the release CLI they time ($KAIROS,
# built here), GNU time's peak RSS and timings, and arithmetic for the reports.
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

TARGET=${CARGO_TARGET_DIR:-target}
KAIROS="$TARGET/release/kairos"
cargo build --release -p kairos-cli >&2

# Peak RSS (KB), wall and user seconds of a command, from GNU time's report.
measure() {
  local report
  report=$(mktemp)
  /usr/bin/time -v -o "$report" "$@" >/dev/null
  local rss wall user
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$report")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$report" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  user=$(awk -F': ' '/User time/ {print $2}' "$report")
  rm -f "$report"
  echo "$rss $wall $user"
}

calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
