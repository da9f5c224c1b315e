// QA previews in workerd (docs/preview.md): a token from `kairos preview`, signed with the key
// in BUNDLE_PUBLIC_KEY, forces its slots in the rewritten page and in the state the page adopts,
// as `kairos decide --preview` does natively; the session cookie carries it to the next page; a
// tampered token is ignored and says so in x-kairos-preview.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startOrigin, startWorker, stateIn, variantIn, setCookieValue } from './harness.mjs';

const CLI = path.join(ROOT, 'target/debug/kairos');
const vector = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/vectors/signing.json'), 'utf8'));
const PREVIEW = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/vectors/preview.json'), 'utf8'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kairos-preview-worker-'));
const kairos = (...args) => execFileSync(CLI, args, { encoding: 'utf8' }).trim();
let origin;
let w;

before(async () => {
  fs.writeFileSync(path.join(dir, 'site.key'), `${vector.seed}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'site.pub'), `${vector.public_key}\n`);
  kairos('compile', path.join(ROOT, 'examples/demo/rules.json'), '-o', path.join(dir, 'b.bin'), '--sign', path.join(dir, 'site.key'));
  origin = await startOrigin();
  w = await startWorker({ origin: origin.url, bindings: { BUNDLE_PUBLIC_KEY: vector.public_key } });
  await w.kv.put('bundle', new Uint8Array(fs.readFileSync(path.join(dir, 'b.bin'))));
});

after(async () => {
  await w?.mf.dispose();
  await origin?.close();
});

test('a preview link forces the same slots at the edge as natively, for the session', async () => {
  const token = kairos('preview', '--key', path.join(dir, 'site.key'), '--slot', 'offer=propensity_override', '--slot', 'cta=signup');
  const first = await w.fetch(`/?kairos_preview=${token}`, { headers: { cookie: 'kairos_consent=1' } });
  assert.equal(first.headers.get('x-kairos-preview'), 'active');
  assert.equal(setCookieValue(first, 'kairos_preview'), token);
  const session = first.headers.getSetCookie().find((c) => c.startsWith('kairos_preview='));
  assert.doesNotMatch(session, /Max-Age|Expires|HttpOnly/i, 'a session cookie the page script reads');
  const html = await first.text();
  assert.equal(variantIn(html, 'offer'), 'propensity_override');
  const edge = stateIn(html).decision.slots;

  fs.writeFileSync(path.join(dir, 'ctx.json'), JSON.stringify({ now: Date.now(), consent: { personalization: true } }));
  const native = JSON.parse(kairos('decide', '-b', path.join(dir, 'b.bin'), '-c', path.join(dir, 'ctx.json'), '--public-key', path.join(dir, 'site.pub'), '--preview', token)).slots;
  for (const slot of ['offer', 'cta']) {
    const pick = (d) => [d.variant, d.reason, d.is_default];
    assert.deepEqual(pick(edge[slot]), pick(native[slot]), slot);
    assert.equal(edge[slot].reason, 'forced');
  }

  const next = await w.fetch('/product/sku-1', { headers: { cookie: `kairos_consent=1; kairos_preview=${token}` } });
  assert.equal(next.headers.get('x-kairos-preview'), 'active');
  assert.equal(setCookieValue(next, 'kairos_preview'), undefined, 'the cookie is not rewritten');
  assert.equal(stateIn(await next.text()).decision.slots.offer.reason, 'forced');
});

test('the shared vector forces at the edge exactly what it forces natively, in Node and in Chromium', async () => {
  const res = await w.fetch(`/?kairos_preview=${PREVIEW.token}`, { headers: { cookie: 'kairos_consent=1' } });
  const slots = stateIn(await res.text()).decision.slots;
  const forced = Object.fromEntries(Object.entries(slots)
    .filter(([, s]) => s.reason === 'forced').map(([name, s]) => [name, { is_default: s.is_default, variant: s.variant }]));
  assert.deepEqual(forced, PREVIEW.forced);
});

test('a tampered token is ignored: the rules decide, the header says why, the cookie goes', async () => {
  const token = kairos('preview', '--key', path.join(dir, 'site.key'), '--slot', 'offer=propensity_override');
  const tampered = token.replace('propensity_override', 'evening_offer');
  const res = await w.fetch('/', { headers: { cookie: `kairos_consent=1; kairos_preview=${tampered}` } });
  assert.equal(res.headers.get('x-kairos-preview'), 'ignored; code=E_PREVIEW');
  assert.equal(setCookieValue(res, 'kairos_preview'), '');
  const slots = stateIn(await res.text()).decision.slots;
  assert.ok(Object.values(slots).every((s) => s.reason !== 'forced'));
});
