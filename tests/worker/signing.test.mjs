// Signed bundles at the edge (docs/signing.md): with BUNDLE_PUBLIC_KEY the Worker uses a KV
// bundle only if it is signed by that key, and never the unsigned built-in one: a mis-signed or
// unsigned bundle leaves pages as the origin sent them and /v1/decide answers 503.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, compile, startOrigin, startWorker, variantIn } from './harness.mjs';

const CLI = path.join(ROOT, 'target/debug/kairos');
const vector = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/vectors/signing.json'), 'utf8'));
const demoContext = fs.readFileSync(path.join(ROOT, 'examples/demo/context.json'), 'utf8');
const RULES = 'examples/scenarios/19-holdout.json';
const SLOTS = ['hero', 'cta', 'offer', 'home_banner', 'cross_sell', 'service_notice', 'plan', 'not_in_bundle'];

/** The rules compiled and signed with the documented vector's key. */
function compileSigned(rules) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kairos-signed-'));
  fs.writeFileSync(path.join(dir, 'site.key'), `${vector.seed}\n`, { mode: 0o600 });
  execFileSync(CLI, ['compile', path.join(ROOT, rules), '-o', path.join(dir, 'b.bin'), '--sign', path.join(dir, 'site.key')]);
  return new Uint8Array(fs.readFileSync(path.join(dir, 'b.bin')));
}

let origin;
let w;

before(async () => {
  origin = await startOrigin();
  w = await startWorker({ origin: origin.url, bindings: { BUNDLE_PUBLIC_KEY: vector.public_key } });
});

after(async () => {
  await w?.mf.dispose();
  await origin?.close();
});

const decide = () => w.fetch('/v1/decide', { method: 'POST', body: demoContext });

async function assertNoBundle(what) {
  const res = await decide();
  assert.equal(res.status, 503, what);
  assert.match((await res.json()).error.message, /no rule bundle/, what);
  const page = await w.fetch('/', { headers: { cookie: 'kairos_consent=1' } });
  assert.equal(page.status, 200, what);
  assert.equal(page.headers.get('x-kairos-bundle'), null, `${what}: no bundle header`);
  const html = await page.text();
  for (const slot of SLOTS) assert.equal(variantIn(html, slot), null, `${what}: ${slot} untouched`);
}

describe('BUNDLE_PUBLIC_KEY', () => {
  test('a KV bundle signed by the key is used', async () => {
    await w.kv.put('bundle', compileSigned(RULES));
    const res = await decide();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-kairos-bundle'), 'kv');
    assert.deepEqual(Object.keys((await res.json()).slots).sort(), ['cta', 'hero']);
  });

  test('a mis-signed, unsigned or missing KV bundle: no bundle at all, never the built-in one', async () => {
    const misSigned = compileSigned(RULES);
    misSigned[misSigned.length - 4] ^= 0x20;
    const badSignature = compileSigned(RULES);
    badSignature[30] ^= 0x01;
    for (const [what, bytes] of [['bundle bit flipped', misSigned], ['signature bit flipped', badSignature], ['unsigned', compile(RULES)]]) {
      await w.kv.put('bundle', bytes);
      await assertNoBundle(what);
    }
    await w.kv.delete('bundle');
    await assertNoBundle('empty KV');
  });

  test('an unusable key refuses even a signed bundle; without a key the signed bundle loads', async () => {
    for (const [bindings, want] of [[{ BUNDLE_PUBLIC_KEY: 'not-a-key' }, 503], [{}, 200]]) {
      const other = await startWorker({ origin: origin.url, bindings });
      try {
        await other.kv.put('bundle', compileSigned(RULES));
        const res = await other.fetch('/v1/decide', { method: 'POST', body: demoContext });
        assert.equal(res.status, want, JSON.stringify(bindings));
        if (want === 200) assert.equal(res.headers.get('x-kairos-bundle'), 'kv');
        await res.arrayBuffer();
      } finally {
        await other.mf.dispose();
      }
    }
  });
});
