#!/usr/bin/env bash
# Worker load benchmark with wrk (Debian's) on loopback; see benches/worker.mjs.
# DURATION=30s CONNECTIONS=16 SUSTAINED=60s bash benches/worker.sh (defaults: 10s per route, 8
# connections, then 60 s of sustained load across the routes, which must see 0 errors).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
bash scripts/build-worker.sh >/dev/null
node benches/worker.mjs
