// One cold start, in a fresh Node process (run.mjs spawns this many times): load the engine's
// code, set up its rules, decide once. Prints {setup_ms, first_ms} as JSON.
//   kairos:     require the wasm glue (reads and instantiates the .wasm) + Kairos.load(bundle bytes)
//   jsonlogic:  require json-logic-js + JSON.parse(rules) + the aggregate plan
//   growthbook: require the SDK + JSON.parse(features) + new GrowthBookClient().initSync(payload)
// File reads are from the page cache (warm disk), as on a server that has run before.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const [engine, dir, pkg] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const ctx = JSON.parse(readFileSync(join(dir, 'contexts.json'), 'utf8'))[0];
// The aggregate code is the benchmark's own; import it before the clock starts.
const { plan, facts } = await import('./facts.mjs');

const t0 = performance.now();
let decideOnce;
if (engine === 'kairos') {
  const kairos = require(join(pkg, 'kairos.js'));
  const k = kairos.Kairos.load(readFileSync(join(dir, 'bundle.bin')));
  decideOnce = () => k.decide(ctx, false);
} else if (engine === 'jsonlogic') {
  const jsonLogic = require('json-logic-js');
  const rules = JSON.parse(readFileSync(join(dir, 'jsonlogic.json'), 'utf8'));
  const p = plan(rules);
  decideOnce = () => {
    const f = facts(ctx, p);
    return rules.slots.map((s) => s.variants.find((v) => jsonLogic.truthy(jsonLogic.apply(v.when, f)))?.id ?? s.default);
  };
} else {
  const { GrowthBookClient } = require('@growthbook/growthbook');
  const payload = JSON.parse(readFileSync(join(dir, 'growthbook.json'), 'utf8'));
  const client = new GrowthBookClient().initSync({ payload });
  const p = plan(Object.values(payload.features).map((f) => f.rules.map((r) => r.condition)));
  decideOnce = () => {
    const uc = { attributes: facts(ctx, p) };
    return Object.keys(payload.features).map((k) => client.evalFeature(k, uc).value);
  };
}
const t1 = performance.now();
decideOnce();
const t2 = performance.now();
console.log(JSON.stringify({ setup_ms: t1 - t0, first_ms: t2 - t1 }));
