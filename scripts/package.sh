#!/usr/bin/env bash
# Builds the npm package `kairos-engine` into target/package/kairos-engine/ and packs it; the last
# line printed is the path of the tarball. Builds the wasm modules and the Worker first when they
# are missing (a fresh clone); after a change to the Rust code, run scripts/build-wasm.sh and
# scripts/build-worker.sh (or scripts/test.sh) first. Layout and exports: docs/package.md.
#   bash scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x node_modules/.bin/esbuild ] || npm ci --no-audit --no-fund >&2
{ [ -f pkg/node/kairos_bg.wasm ] && [ -f www/pkg/kairos_bg.wasm ] && [ -f www/kairos.min.mjs ]; } || bash scripts/build-wasm.sh >&2
[ -f build/worker/handler.mjs ] || bash scripts/build-worker.sh >&2

OUT=target/package/kairos-engine
rm -rf "$OUT" && mkdir -p "$OUT"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)

# Node: the CommonJS glue (speed build, with the zone and case tables), and an ES module over it.
mkdir -p "$OUT/node"
cp -r pkg/node/kairos.js pkg/node/kairos.d.ts pkg/node/kairos_bg.wasm pkg/node/snippets pkg/node/package.json "$OUT/node/"
names=$(node -e "console.log(Object.keys(require('./$OUT/node/kairos.js')).filter((n) => !n.startsWith('__')).join(', '))")
{
  echo "// ES module over the CommonJS glue (one instance, whichever way it is loaded)."
  echo "import { createRequire } from 'node:module';"
  echo "const kairos = createRequire(import.meta.url)('./kairos.js');"
  echo "export const { $names } = kairos;"
} > "$OUT/node/index.mjs"
echo "export * from './kairos.js';" > "$OUT/node/index.d.mts"

# The page: what a site serves as it is (tag, runtime, glue, wasm), and the browser entry.
mkdir -p "$OUT/page"
cp www/kairos.js www/kairos.min.mjs www/kairos-debug.mjs www/kairos.d.ts packaging/wasm-url.d.ts "$OUT/page/"
cp -r www/pkg "$OUT/page/pkg"

# workerd: the page module, instantiated at import.
mkdir -p "$OUT/workerd"
cp packaging/workerd.js "$OUT/workerd/index.js"
cp packaging/workerd.d.ts "$OUT/workerd/index.d.ts"

# The edge Worker, prebuilt: a fetch handler configured from env.
cp -r build/worker "$OUT/worker"

# OpenFeature providers (server and web SDKs), plain ES modules over the root export.
mkdir -p "$OUT/openfeature"
cp packaging/openfeature/*.mjs packaging/openfeature/*.d.ts "$OUT/openfeature/"

cp packaging/README.md "$OUT/README.md"
node -e "
const fs = require('fs');
const p = JSON.parse(fs.readFileSync('packaging/package.json', 'utf8'));
p.version = process.argv[1];
fs.writeFileSync('$OUT/package.json', JSON.stringify(p, null, 2) + '\n');
" "$version"

tarball=$(cd target/package && npm pack ./kairos-engine --silent --pack-destination . | tail -n1)
echo "package: $(du -b "target/package/$tarball" | cut -f1) bytes packed, $(find "$OUT" -type f | wc -l) files" >&2
echo "$PWD/target/package/$tarball"
