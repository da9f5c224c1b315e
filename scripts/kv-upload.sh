#!/usr/bin/env bash
# Uploads a rule bundle and/or customer records to the worker's KV namespace (binding KAIROS).
#   bash scripts/kv-upload.sh [--rules RULES.json] [--customers RECORDS.jsonl] [--remote]
# Local by default (wrangler's simulated KV under .wrangler/state, what `wrangler dev` reads);
# --remote writes to the namespace in wrangler.toml. Records are validated before anything is written.
# With --rules, each record is also packed for that bundle (`visitor/<id>`), which the Worker
# restores instead of parsing the record's history; pack again after a deploy that changes what
# the rules read (the Worker reads the JSON record until then).
set -euo pipefail
cd "$(dirname "$0")/.."
where=--local rules="" customers=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rules) rules="$2"; shift 2 ;;
    --customers) customers="$2"; shift 2 ;;
    --remote) where=--remote; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$rules$customers" ] || { echo "usage: kv-upload.sh [--rules RULES.json] [--customers RECORDS.jsonl] [--remote]" >&2; exit 2; }
cargo build -q -p kairos-cli
mkdir -p target/kv
export WRANGLER_SEND_METRICS=false
if [ -n "$rules" ]; then
  ./target/debug/kairos compile "$rules" -o target/kv/bundle.bin
  npx wrangler kv key put bundle --path target/kv/bundle.bin --binding KAIROS "$where"
fi
if [ -n "$customers" ]; then
  pack=()
  [ -z "$rules" ] || pack=(--bundle target/kv/bundle.bin)
  ./target/debug/kairos kv-customers "$customers" "${pack[@]}" > target/kv/customers.json
  npx wrangler kv bulk put target/kv/customers.json --binding KAIROS "$where"
fi
