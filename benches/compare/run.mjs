// kairos (native and wasm) against json-logic-js and GrowthBook's JS SDK, in one run, on the
// same rules and contexts (benches/compare/generate.mjs). Run: bash benches/compare.sh
//
// 1. Agreement: every context's winner in every slot must be the same for all four, or the run
//    stops before any timing.
// 2. Latency per decision (p50, p99), engines interleaved in rounds so a busy moment on the
//    machine hits all of them. A decision is: kairos wasm — `decide(ctx)` on the plain JS context
//    (serde-wasm-bindgen reads the whole context, history included, across the boundary);
//    json-logic / GrowthBook — compute the attributes from the history in JS (facts.mjs), then
//    evaluate every slot's rules. kairos native comes from native.json (same inputs, written by
//    `cargo bench --bench compare`).
// 3. Cold start (fresh Node processes, cold.mjs) and sizes (gzip -9 of what a page would ship).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import { plan, facts } from './facts.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dir = process.argv[2] ?? join(root, 'target', 'compare');
const pkg = process.env.KAIROS_PKG ?? join(root, 'pkg', 'node');
const webPkg = process.env.KAIROS_WEB_PKG ?? join(root, 'pkg', 'web');
const require = createRequire(import.meta.url);
const kairos = require(join(pkg, 'kairos.js'));
const jsonLogic = require('json-logic-js');
const { GrowthBookClient } = require('@growthbook/growthbook');

const lines = [];
const say = (s = '') => {
  console.log(s);
  lines.push(s);
};

function engines(size) {
  const d = join(dir, size);
  const engine = kairos.Kairos.load(readFileSync(join(d, 'bundle.bin')));
  const jl = JSON.parse(readFileSync(join(d, 'jsonlogic.json'), 'utf8'));
  const jlPlan = plan(jl);
  const gbPayload = JSON.parse(readFileSync(join(d, 'growthbook.json'), 'utf8'));
  const gb = new GrowthBookClient().initSync({ payload: gbPayload });
  const gbPlan = plan(gbPayload);
  const slots = jl.slots.map((s) => s.slot);
  const winners = (dec) => slots.map((s) => dec.slots[s].variant);
  return {
    engine,
    wasm: (ctx) => winners(engine.decide(ctx, false)),
    // The context as JSON text, parsed inside wasm.
    wasm_json: (text) => winners(engine.decideJson(text, false)),
    // A resident visitor (history tracked once, before timing); only the moment crosses.
    wasm_visitor: ({ visitor, moment }) => winners(visitor.decide(moment, false)),
    // The same, the moment sent as JSON text (stringified per call, as a caller holding an object would).
    wasm_visitor_text: ({ visitor, moment }) => winners(visitor.decideJson(JSON.stringify(moment), false)),
    jsonlogic_json: (text) => {
      const ctx = JSON.parse(text);
      const f = facts(ctx, jlPlan);
      return jl.slots.map((s) => {
        for (const v of s.variants) if (jsonLogic.truthy(jsonLogic.apply(v.when, f))) return v.id;
        return s.default;
      });
    },
    growthbook_json: (text) => {
      const uc = { attributes: facts(JSON.parse(text), gbPlan) };
      return slots.map((s) => gb.evalFeature(s, uc).value);
    },
    jsonlogic: (ctx) => {
      const f = facts(ctx, jlPlan);
      return jl.slots.map((s) => {
        for (const v of s.variants) if (jsonLogic.truthy(jsonLogic.apply(v.when, f))) return v.id;
        return s.default;
      });
    },
    growthbook: (ctx) => {
      const uc = { attributes: facts(ctx, gbPlan) };
      return slots.map((s) => gb.evalFeature(s, uc).value);
    },
    facts: (ctx) => facts(ctx, jlPlan),
    slots,
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Times `fns` (name → fn(ctx)) per call over `contexts`, in `rounds` interleaved rounds of `budgetMs` each. */
const QUICK = !!process.env.COMPARE_QUICK && process.env.COMPARE_QUICK !== '0';
const TIMING = QUICK ? { rounds: 3, budgetMs: 150, warm: 50 } : { rounds: 5, budgetMs: 600, warm: 100 };

/** A visitor holding `ctx`'s person and history, and the moment to decide. */
function residentVisitor(engine, ctx) {
  const { customer_id, consent, profile, scores, utc_offset, timezone } = ctx;
  const visitor = engine.visitor({ customer_id, consent, profile, scores, utc_offset, timezone });
  for (const e of ctx.events) visitor.track(e);
  return { visitor, moment: { now: ctx.now, session: ctx.session } };
}

/** `fns`: name → [fn, inputs]. Times each per call, in interleaved rounds. */
function timeAll(fns, contexts, { rounds = 5, budgetMs = 600, warm = 100 } = TIMING) {
  const times = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  const split = (v) => (Array.isArray(v) ? v : [v, contexts]);
  for (const [, v] of Object.entries(fns)) {
    const [fn, inputs] = split(v);
    for (let i = 0; i < warm; i++) fn(inputs[i % inputs.length]);
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, v] of Object.entries(fns)) {
      const [fn, inputs] = split(v);
      const start = performance.now();
      let i = 0;
      while (performance.now() - start < budgetMs || i < 50) {
        const ctx = inputs[(i + r * 37) % inputs.length];
        const t0 = performance.now();
        fn(ctx);
        times[name].push(performance.now() - t0);
        i++;
      }
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([k, t]) => {
      const s = Float64Array.from(t).sort();
      return [k, { p50_us: percentile(s, 0.5) * 1000, p99_us: percentile(s, 0.99) * 1000, n: s.length }];
    }),
  );
}

const fmt = (us) => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2));
const ratio = (a, b) => (a / b >= 10 ? (a / b).toFixed(0) : (a / b).toFixed(1));

say(`# kairos against json-logic-js and GrowthBook`);
say();
say(`${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${cpus().length} × ${cpus()[0].model} · ` +
  `Node ${process.versions.node} · load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
say(`json-logic-js ${require('json-logic-js/package.json').version}, ` +
  `@growthbook/growthbook ${require('@growthbook/growthbook/package.json').version}`);

const results = {};
for (const size of ['small', 'large']) {
  const d = join(dir, size);
  const contexts = JSON.parse(readFileSync(join(d, 'contexts.json'), 'utf8'));
  const native = JSON.parse(readFileSync(join(d, 'native.json'), 'utf8'));
  const e = engines(size);
  // 1. Agreement, every context, before timing anything.
  let chosen = 0;
  const texts = contexts.map((c) => JSON.stringify(c));
  // Resident visitors, one per context. Tracking is timed on a second set, once warm: one
  // `track(object)` per event, and each history as one `trackJson(text)` batch.
  const residents = contexts.map((ctx) => residentVisitor(e.engine, ctx));
  const eventCount = contexts.reduce((n, c) => n + c.events.length, 0);
  const timedTracking = (trackInto) => {
    const visitors = contexts.map(() => e.engine.visitor({ consent: { personalization: true } }));
    const t0 = performance.now();
    contexts.forEach((ctx, i) => trackInto(visitors[i], ctx, i));
    const us = ((performance.now() - t0) * 1000) / eventCount;
    for (const v of visitors) v.free();
    return us;
  };
  const trackUs = timedTracking((v, ctx) => { for (const ev of ctx.events) v.track(ev); });
  const eventTexts = contexts.map((ctx) => JSON.stringify(ctx.events));
  const trackJsonUs = timedTracking((v, ctx, i) => v.trackJson(eventTexts[i]));
  const trackTextUs = timedTracking((v, ctx) => { for (const ev of ctx.events) v.trackJson(JSON.stringify(ev)); });
  contexts.forEach((ctx, i) => {
    const want = e.slots.map((s) => native.winners[i][s]);
    const inputs = { wasm: ctx, wasm_json: texts[i], wasm_visitor: residents[i], wasm_visitor_text: residents[i], jsonlogic: ctx, jsonlogic_json: texts[i],
      growthbook: ctx, growthbook_json: texts[i] };
    for (const name of Object.keys(inputs)) {
      const got = e[name](inputs[name]);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        const slot = got.findIndex((v, j) => v !== want[j]);
        console.error(`DISAGREEMENT (${size}, context ${i}, ${e.slots[slot]}): native ${want[slot]}, ${name} ${got[slot]}`);
        console.error(`facts: ${JSON.stringify(e.facts(ctx))}`);
        process.exit(1);
      }
    }
    chosen += want.filter((v) => v !== 'default').length;
  });
  const slotsTotal = contexts.length * e.slots.length;
  say();
  say(`## ${size}: ${native.rules_bytes} B rules JSON → ${native.bundle_bytes} B bundle, ` +
    `${contexts[0].events.length} events per context`);
  say(`Every engine and path agrees on all ${slotsTotal} slot decisions of ${contexts.length} contexts ` +
    `(${((100 * chosen) / slotsTotal).toFixed(0)} % pick a variant, the rest the default).`);
  const t = timeAll({
    wasm_visitor: [e.wasm_visitor, residents], wasm_visitor_text: [e.wasm_visitor_text, residents], wasm_json: [e.wasm_json, texts], wasm: e.wasm,
    jsonlogic: e.jsonlogic, jsonlogic_json: [e.jsonlogic_json, texts],
    growthbook: e.growthbook, growthbook_json: [e.growthbook_json, texts], facts: e.facts,
  }, contexts);
  // save/restore of one visitor, and memory per visitor.
  const one = residents[0].visitor;
  const saved = one.save();
  const reps = QUICK ? 50 : 300;
  const perCallUs = (fn) => {
    const s0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return ((performance.now() - s0) * 1000) / reps;
  };
  const saveUs = perCallUs(() => one.save());
  const restoreUs = perCallUs(() => e.engine.restore(saved).free());
  const state = {
    events: contexts[0].events.length, track_us_per_event: trackUs, track_text_us_per_event: trackTextUs,
    track_json_us_per_event: trackJsonUs,
    save_us: saveUs, restore_us: restoreUs,
    saved_bytes: saved.length, history_json_bytes: JSON.stringify(contexts[0].events).length,
    memory_bytes: one.memoryBytes(),
  };
  results[size] = { native, t, state };
}

say();
say('## Latency per decision (µs; ratio = p50 over kairos native p50)');
say();
say('| engine | small p50 | small p99 | ratio | large p50 | large p99 | ratio |');
say('|---|---:|---:|---:|---:|---:|---:|');
const row = (label, get) => {
  const cells = ['small', 'large'].flatMap((size) => {
    const r = get(results[size]);
    const base = results[size].native.decide.p50_us;
    return [fmt(r.p50_us), fmt(r.p99_us), `${ratio(r.p50_us, base)}×`];
  });
  say(`| ${label} | ${cells.join(' | ')} |`);
};
// key → [label, getter]; the keys are those of results.json.
const ROWS = {
  floor_native: ['floor: hand-written Rust for these rules (events pre-parsed; one pass fills every aggregate)', (r) => r.native.floor],
  kairos_native: ['kairos native, resident visitor (history packed before timing; decide(moment))', (r) => r.native.visitor],
  kairos_native_context: ['kairos native, `decide(&Context)` (context parsed before timing; history packed per call)', (r) => r.native.decide],
  kairos_native_json: ['kairos native, parse context JSON + decide', (r) => r.native.parse_and_decide],
  kairos_wasm_visitor: ['kairos wasm in Node, resident visitor (tracked before timing; `decide({now, session})`)', (r) => r.t.wasm_visitor],
  kairos_wasm_visitor_text: ['kairos wasm in Node, resident visitor, `decideJson(JSON.stringify(moment))` (stringify timed)', (r) => r.t.wasm_visitor_text],
  kairos_wasm_json: ['kairos wasm in Node, `decideJson(text)` (parsed in wasm)', (r) => r.t.wasm_json],
  kairos_wasm_object: ['kairos wasm in Node, `decide(ctx)` (JS object, read property by property)', (r) => r.t.wasm],
  jsonlogic: ['json-logic-js (context already a JS object; JS aggregates + rules)', (r) => r.t.jsonlogic],
  jsonlogic_json: ['json-logic-js, `JSON.parse(text)` + JS aggregates + rules', (r) => r.t.jsonlogic_json],
  growthbook: ['GrowthBook `evalFeature` (JS object; JS aggregates + features)', (r) => r.t.growthbook],
  growthbook_json: ['GrowthBook, `JSON.parse(text)` + JS aggregates + features', (r) => r.t.growthbook_json],
  js_aggregates: ['… of which the JS aggregates alone', (r) => r.t.facts],
};
for (const [, [label, get]] of Object.entries(ROWS)) row(label, get);

say();
say('## The resident visitor in wasm (Node)');
say();
say('| size | events | `track(object)` µs/event | `trackJson(JSON.stringify(event))` µs/event | `trackJson(batch)` µs/event | `save()` µs | `restore()` µs | saved bytes | history as JSON | memory per visitor |');
say('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const size of ['small', 'large']) {
  const st = results[size].state;
  say(`| ${size} | ${st.events} | ${st.track_us_per_event.toFixed(2)} | ${st.track_text_us_per_event.toFixed(2)} | ${st.track_json_us_per_event.toFixed(2)} | ${st.save_us.toFixed(1)} | ${st.restore_us.toFixed(1)} | ` +
    `${st.saved_bytes} | ${st.history_json_bytes} | ${st.memory_bytes} |`);
}
const json = { quick: QUICK, rows: {}, visitor: {} };
for (const [key, [, get]] of Object.entries(ROWS)) {
  json.rows[key] = Object.fromEntries(['small', 'large'].map((size) => {
    const r = get(results[size]);
    return [size, { p50_us: r.p50_us, p99_us: r.p99_us }];
  }));
}
for (const size of ['small', 'large']) json.visitor[size] = results[size].state;

// 3. Cold start, fresh processes.
function cold(engine, size, n = QUICK ? 5 : 15) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    const out = execFileSync(process.execPath, [join(here, 'cold.mjs'), engine, join(dir, size), pkg], { encoding: 'utf8' });
    runs.push(JSON.parse(out));
  }
  const med = (k) => Float64Array.from(runs.map((r) => r[k])).sort()[Math.floor(n / 2)];
  return { setup: med('setup_ms'), first: med('first_ms') };
}
say();
say(`## Cold start (ms, median of ${QUICK ? 5 : 15} fresh Node processes)`);
say();
say('| engine | what set-up is | small: set-up | first decision | large: set-up | first decision |');
say('|---|---|---:|---:|---:|---:|');
const what = {
  kairos: 'require glue + instantiate .wasm + `Kairos.load(bundle)`',
  jsonlogic: 'require + `JSON.parse(rules)` + aggregate plan',
  growthbook: 'require + `JSON.parse(features)` + `initSync`',
};
// results.json: `cold.KEY` is the large bundle's (issue 14's targets); `cold_small.KEY` the small one's.
json.cold = {};
json.cold_small = {};
const coldKey = { kairos: 'kairos_wasm', jsonlogic: 'jsonlogic', growthbook: 'growthbook' };
for (const engine of ['kairos', 'jsonlogic', 'growthbook']) {
  const s = cold(engine, 'small');
  const l = cold(engine, 'large');
  json.cold[coldKey[engine]] = { setup_ms: l.setup, first_ms: l.first };
  json.cold_small[coldKey[engine]] = { setup_ms: s.setup, first_ms: s.first };
  say(`| ${engine} | ${what[engine]} | ${s.setup.toFixed(2)} | ${s.first.toFixed(2)} | ${l.setup.toFixed(2)} | ${l.first.toFixed(2)} |`);
}
say(`| kairos native | \`Engine::load\` (p50) / \`compile_json\` (p50), in process | ` +
  `${(results.small.native.load.p50_us / 1000).toFixed(3)} / ${(results.small.native.compile.p50_us / 1000).toFixed(3)} | | ` +
  `${(results.large.native.load.p50_us / 1000).toFixed(3)} / ${(results.large.native.compile.p50_us / 1000).toFixed(3)} | |`);

writeFileSync(join(dir, 'results.json'), JSON.stringify(json, null, 2) + '\n');

// 4. Sizes.
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
function esbuild(args, input) {
  return execFileSync(join(root, 'node_modules', '.bin', 'esbuild'), args, { cwd: root, input, maxBuffer: 1 << 26 });
}
say();
say('## Size shipped to a page (gzip -9)');
say();
say('| what | raw | gzipped |');
say('|---|---:|---:|');
const sizeRow = (label, buf) => say(`| ${label} | ${kb(buf.length)} | ${kb(gz(buf))} |`);
for (const [label, p] of [['kairos page module (pkg/web)', webPkg], ['kairos Node module (pkg/node)', pkg]]) {
  if (!existsSync(join(p, 'kairos_bg.wasm'))) continue;
  const wasm = readFileSync(join(p, 'kairos_bg.wasm'));
  const glue = esbuild([join(p, 'kairos.js'), '--minify', '--log-level=error']);
  sizeRow(`${label}: .wasm`, wasm);
  sizeRow(`${label}: JS glue, minified with esbuild`, glue);
  say(`| ${label}: total | ${kb(wasm.length + glue.length)} | ${kb(gz(wasm) + gz(glue))} |`);
}
sizeRow('json-logic-js `logic.js`, minified with esbuild', esbuild(['node_modules/json-logic-js/logic.js', '--minify']));
const gbDist = join(root, 'node_modules', '@growthbook', 'growthbook', 'dist', 'bundles');
sizeRow('GrowthBook `dist/bundles/index.min.js` (as shipped)', readFileSync(join(gbDist, 'index.min.js')));
sizeRow(
  'GrowthBook, only `GrowthBookClient` (esbuild bundle, minified, tree-shaken)',
  esbuild(['--bundle', '--minify', '--format=esm', '--loader=js', '--log-level=error'],
    "export { GrowthBookClient } from '@growthbook/growthbook';"),
);

writeFileSync(join(dir, 'results.md'), lines.join('\n') + '\n');
console.log(`\nwritten to ${join(dir, 'results.md')}`);
