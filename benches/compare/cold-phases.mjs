// Where a cold start of the Node module goes, phase by phase, in one fresh process: read the
// .wasm, compile it alone, require the glue (compiles and instantiates again), Kairos.load, then
// the first and second decide(ctx). Needs benches/compare.sh's inputs. Run with V8 flags to compare:
//   node benches/compare/cold-phases.mjs $PWD/pkg/node target/compare/large   [--no-liftoff before the path]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
const require = createRequire(import.meta.url);
const [pkg, dir] = process.argv.slice(2);
const ctx = JSON.parse(readFileSync(dir + '/contexts.json', 'utf8'))[0];
const bundle = readFileSync(dir + '/bundle.bin');
const t0 = performance.now();
const bytes = readFileSync(pkg + '/kairos_bg.wasm');
const t1 = performance.now();
const m = new WebAssembly.Module(bytes);
const t2 = performance.now();
const kairos = require(pkg + '/kairos.js');
const t3 = performance.now();
const k = kairos.Kairos.load(bundle);
const t4 = performance.now();
const text = JSON.stringify(ctx);
const t5 = performance.now();
k.decide(ctx, false);
const t6 = performance.now();
k.decide(ctx, false);
const t7 = performance.now();
console.log(JSON.stringify({ read: t1 - t0, compile_alone: t2 - t1, require_glue: t3 - t2, load: t4 - t3, stringify: t5 - t4, first: t6 - t5, second: t7 - t6 }));
