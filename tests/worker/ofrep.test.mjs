// OFREP on the Worker under `wrangler dev` (workerd), driven by OpenFeature's own OFREP
// providers from npm: the server one (@openfeature/ofrep-provider, single-flag route) and the web
// one (@openfeature/ofrep-web-provider, bulk route with ETags). Each gets, for the same context,
// the value and variant `POST /v1/decide` gives, and OpenFeature's error codes with the
// caller's fallback for bad input (docs/openfeature.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { OpenFeature as ServerFeature } from '@openfeature/server-sdk';
import { OpenFeature as WebFeature } from '@openfeature/web-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { ROOT } from './harness.mjs';
import { wranglerDev } from './wrangler-dev.mjs';

const BUNDLE = execFileSync(path.join(ROOT, 'target/debug/kairos'), ['compile', path.join(ROOT, 'examples/demo/rules.json'), '-o', '-']);
const NOW = '2026-11-23T17:30:00Z';
let edge;

before(async () => {
  edge = await wranglerDev({ vars: { BUNDLE_TTL_SECONDS: '0' }, kv: { bundle: BUNDLE } });
});
after(async () => { await edge?.stop(); });

/** OpenFeature contexts and what kairos calls the same visitor. */
const VISITORS = [
  {
    targetingKey: 'cust-42', now: NOW, timezone: 'Europe/Paris', consent: { personalization: true },
    session: { device: 'mobile', product_views: [{ id: 'sku-77', category: 'running' }], coupon_searches: 1 },
    events: [{ e: 'cart_viewed', p: { product_id: 'sku-77' }, t: '2026-11-23T16:50:00Z' },
      { e: 'cart_viewed', p: { product_id: 'sku-77' }, t: '2026-11-23T17:10:00Z' }],
    tier: 'gold',
  },
  { targetingKey: 'cust-7', now: NOW, consent: { personalization: true }, session: { device: 'desktop' } },
  { targetingKey: 'cust-7', now: NOW },
  // visitor-15 is in the demo bundle's 10 % holdout (`kairos bucket demo-2026 visitor-15`: 650).
  ...[1, 2, 15, 21].map((i) => ({ targetingKey: `visitor-${i}`, now: NOW, consent: { personalization: true } })),
];

function asKairos({ targetingKey, tier, ...rest }) {
  return { ...rest, customer_id: targetingKey, ...(tier ? { profile: { tier } } : {}) };
}

async function decided(context) {
  const res = await fetch(`${edge.base}/v1/decide`, { method: 'POST', body: JSON.stringify(asKairos(context)) });
  assert.equal(res.status, 200);
  return (await res.json()).slots;
}

const REASONS = { rule: 'TARGETING_MATCH', holdout: 'SPLIT', no_consent: 'DISABLED', no_eligible_variant: 'DEFAULT', undecided: 'DEFAULT' };

test('the server OFREP provider gets what POST /v1/decide gives, slot by slot', async () => {
  await ServerFeature.setProviderAndWait(new OFREPProvider({ baseUrl: edge.base }));
  const client = ServerFeature.getClient();
  const seen = new Set();
  for (const context of VISITORS) {
    const slots = await decided(context);
    for (const [slot, expected] of Object.entries(slots)) {
      const details = await client.getObjectDetails(slot, { fallback: true }, context);
      assert.deepEqual(details.value, expected.content, `${slot} for ${context.targetingKey}`);
      assert.equal(details.variant, expected.variant);
      assert.equal(details.reason, REASONS[expected.reason]);
      assert.equal(details.flagMetadata.kairosReason, expected.reason);
      assert.equal(details.errorCode, undefined);
      seen.add(details.reason);
    }
  }
  assert.ok(['TARGETING_MATCH', 'SPLIT', 'DISABLED', 'DEFAULT'].every((r) => seen.has(r)), [...seen].join());
});

test('the server provider answers bad input with OpenFeature error codes and the fallback', async () => {
  await ServerFeature.setProviderAndWait(new OFREPProvider({ baseUrl: edge.base }));
  const client = ServerFeature.getClient();
  const fallback = { fallback: true };
  const missing = await client.getObjectDetails('nope', fallback, VISITORS[1]);
  assert.deepEqual([missing.value, missing.reason, missing.errorCode], [fallback, 'ERROR', 'FLAG_NOT_FOUND']);
  assert.match(missing.errorMessage, /its slots are: cta, hero, offer/);
  const wrongType = await client.getBooleanDetails('hero', false, VISITORS[1]);
  assert.deepEqual([wrongType.value, wrongType.errorCode], [false, 'TYPE_MISMATCH']);
  const badContext = await client.getObjectDetails('hero', fallback, { targetingKey: 'x', consent: 'yes' });
  assert.deepEqual([badContext.value, badContext.errorCode], [fallback, 'INVALID_CONTEXT']);
  assert.match(badContext.errorMessage, /context\.consent/);
  const nested = await client.getObjectDetails('hero', fallback, { targetingKey: 'x', plan: { nested: 1 } });
  assert.deepEqual([nested.value, nested.errorCode], [fallback, 'INVALID_CONTEXT']);
});

test('the web OFREP provider reads every flag from the bulk route and revalidates with its ETag', async () => {
  const calls = [];
  const fetchImplementation = async (input, init) => {
    const request = new Request(input, init);
    const res = await fetch(request.clone());
    calls.push({ path: new URL(request.url).pathname, ifNoneMatch: request.headers.get('if-none-match'), status: res.status });
    return res;
  };
  const provider = new OFREPWebProvider({ baseUrl: edge.base, fetchImplementation, cacheMode: 'disabled', pollInterval: 0, changeDetection: 'none' });
  await WebFeature.setContext(VISITORS[0]);
  await WebFeature.setProviderAndWait(provider);
  const client = WebFeature.getClient();
  for (const [i, context] of [VISITORS[0], VISITORS[1], VISITORS[2]].entries()) {
    if (i > 0) await WebFeature.setContext(context);
    const slots = await decided(context);
    for (const [slot, expected] of Object.entries(slots)) {
      const details = client.getObjectDetails(slot, {});
      assert.deepEqual([details.value, details.variant, details.reason], [expected.content, expected.variant, REASONS[expected.reason]], slot);
    }
  }
  assert.ok(calls.every((c) => c.path === '/ofrep/v1/evaluate/flags'), JSON.stringify(calls));
  // The same context again: the provider names its ETag and the edge answers 304.
  calls.length = 0;
  await WebFeature.setContext({ ...VISITORS[2] });
  assert.ok(calls.some((c) => c.ifNoneMatch && c.status === 304), JSON.stringify(calls));
  assert.equal(client.getObjectDetails('hero', {}).variant, 'brand');
  assert.equal(client.getObjectDetails('nope', { f: 1 }).errorCode, 'FLAG_NOT_FOUND');
  await WebFeature.close();
});

test('OFREP routes: preflight, method, ETag round trip by hand', async () => {
  const url = `${edge.base}/ofrep/v1/evaluate/flags`;
  const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get('access-control-allow-headers'), /If-None-Match/);
  const body = JSON.stringify({ context: VISITORS[0] });
  const first = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  assert.equal(first.status, 200);
  const etag = first.headers.get('etag');
  assert.match(etag, /^W\/"[0-9a-f]{16}"$/);
  assert.deepEqual((await first.json()).flags.map((f) => f.key), ['cta', 'hero', 'offer']);
  const again = await fetch(url, { method: 'POST', body, headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.headers.get('etag'), etag);
  const wrong = await fetch(url, { method: 'GET' });
  assert.equal(wrong.status, 405);
  assert.equal((await wrong.json()).errorCode, 'GENERAL');
});
