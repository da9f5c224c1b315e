// The wasm module in real Node: same answers as the native CLI, same buckets as the spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const kairos = require(join(root, 'pkg', 'node', 'kairos.js'));
const cli = join(root, 'target', 'debug', 'kairos');
const tmp = mkdtempSync(join(tmpdir(), 'kairos-'));

function compile(rulesPath) {
  const out = join(tmp, rulesPath.replace(/[\/.]/g, '_') + '.bin');
  execFileSync(cli, ['compile', rulesPath, '-o', out]);
  return readFileSync(out);
}

function nativeDecide(rulesPath, contextPath, explain) {
  const args = ['decide', '--bundle', rulesPath, '--context', contextPath];
  if (explain) args.push('--explain');
  return JSON.parse(execFileSync(cli, args, { encoding: 'utf8' }));
}

// An independent implementation of docs/bucketing.md, to check the spec, not just the code.
function specBucket(salt, id) {
  const M = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(`${salt}:${id}`)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & M;
  }
  h ^= h >> 33n; h = (h * 0xff51afd7ed558ccdn) & M;
  h ^= h >> 33n; h = (h * 0xc4ceb9fe1a85ec53n) & M;
  h ^= h >> 33n;
  return Number(h % 10000n);
}

test('bucketing vectors: wasm and the written spec agree with the committed file', () => {
  const { vectors } = JSON.parse(readFileSync(join(root, 'tests', 'vectors', 'bucketing.json'), 'utf8'));
  assert.ok(vectors.length >= 30);
  for (const v of vectors) {
    assert.equal(kairos.bucket(v.salt, v.customer_id), v.bucket, `wasm ${v.salt}/${v.customer_id}`);
    assert.equal(specBucket(v.salt, v.customer_id), v.bucket, `spec ${v.salt}/${v.customer_id}`);
  }
});

// Every example bundle that ships a context: wasm (compiled bundle, JS object context) == native CLI.
const examples = [['examples/demo/rules.json', 'examples/demo/context.json']];
const scenarioDir = join(root, 'examples', 'scenarios');
if (existsSync(scenarioDir)) {
  for (const f of readdirSync(scenarioDir).sort()) {
    if (f.endsWith('.context.json')) {
      const rules = f.replace('.context.json', '.json');
      if (existsSync(join(scenarioDir, rules))) examples.push([`examples/scenarios/${rules}`, `examples/scenarios/${f}`]);
    }
  }
}

test('at least two scenarios are compared', () => assert.ok(examples.length >= 3, `found ${examples.length}`));

for (const [rules, context] of examples) {
  test(`same decision natively and in wasm: ${rules}`, () => {
    const bundle = compile(join(root, rules));
    const ctx = JSON.parse(readFileSync(join(root, context), 'utf8'));
    for (const explain of [false, true]) {
      const native = nativeDecide(join(root, rules), join(root, context), explain);
      const wasm = kairos.decide(bundle, ctx, explain);
      assert.deepEqual(wasm, native);
    }
    // A loaded engine gives the same answer on repeat (no hidden state between decisions).
    const engine = kairos.Kairos.load(bundle);
    assert.deepEqual(engine.decide(ctx, true), engine.decide(ctx, true));
  });
}

test('the demo decides a personalised offer (not the default)', () => {
  const bundle = compile(join(root, 'examples/demo/rules.json'));
  const ctx = JSON.parse(readFileSync(join(root, 'examples/demo/context.json'), 'utf8'));
  const d = kairos.decide(bundle, ctx, false);
  assert.equal(d.slots.offer.variant, 'evening_offer');
  assert.equal(d.slots.offer.content.image, '/img/products/sku-77.jpg');
  const noConsent = kairos.decide(bundle, { ...ctx, consent: { personalization: false } }, false);
  assert.equal(noConsent.slots.offer.variant, 'none');
  assert.equal(noConsent.slots.offer.reason, 'no_consent');
});

test('bad bundles and contexts throw coded errors, never crash the instance', () => {
  const bundle = compile(join(root, 'examples/demo/rules.json'));
  const ctx = JSON.parse(readFileSync(join(root, 'examples/demo/context.json'), 'utf8'));
  const cases = [
    [new Uint8Array([1, 2, 3]), 'E_BUNDLE_MAGIC'],
    [Uint8Array.from(bundle).fill(0xff, 40, 60), 'E_BUNDLE_CORRUPT'],
    [bundle.subarray(0, bundle.length - 5), 'E_BUNDLE_CORRUPT'],
    [(() => { const b = Uint8Array.from(bundle); b[6] = 99; return b; })(), 'E_BUNDLE_VERSION'],
  ];
  for (const [bytes, code] of cases) {
    assert.throws(() => kairos.Kairos.load(bytes), (e) => e instanceof Error && e.code === code, code);
  }
  const engine = kairos.Kairos.load(bundle);
  for (const bad of [{}, { ...ctx, now: 'yesterday' }, { ...ctx, now: NaN }, { ...ctx, session: { cart_dwell_ms: Infinity } }, null]) {
    assert.throws(() => engine.decide(bad, false), (e) => e.code === 'E_CONTEXT' && /context/.test(e.message));
  }
  // Errors name the path of the bad value.
  assert.throws(() => engine.decide({ ...ctx, session: { cart_dwell_ms: Infinity } }), /session\.cart_dwell_ms/);
  // JS objects are read as their JSON text, so an unknown key is refused as on every JSON surface.
  assert.throws(() => engine.decide({ ...ctx, surprise: 1 }, false), (e) => e.code === 'E_CONTEXT' && e.path === 'surprise');
  // NaN and Infinity are refused where they are (JSON.stringify alone would make them null).
  assert.throws(() => engine.decide({ ...ctx, profile: { ltv: NaN } }), (e) => e.path === 'profile.ltv' && /finite/.test(e.message));
  // The instance is still alive after all those errors.
  assert.equal(engine.decide(ctx, false).slots.offer.variant, 'evening_offer');
});
