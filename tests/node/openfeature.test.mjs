// The OpenFeature providers (packaging/openfeature, shipped as kairos-engine/openfeature/server
// and /web) under OpenFeature's real SDKs. No conformance suite is packaged for JS providers on
// npm (the spec's gherkin files are not published), so each test cites the requirements of the
// OpenFeature specification it checks (section 2, providers; section 5, events; 1.4.10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenFeature as Server, ProviderEvents as ServerEvents, ProviderStatus } from '@openfeature/server-sdk';
import { OpenFeature as Web, ProviderEvents as WebEvents } from '@openfeature/web-sdk';
import { KairosProvider } from '../../packaging/openfeature/server.mjs';
import { KairosWebProvider } from '../../packaging/openfeature/web.mjs';
import { toKairosContext } from '../../packaging/openfeature/mapping.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Kairos } = createRequire(import.meta.url)(path.join(ROOT, 'pkg/node/kairos.js'));
const compile = (rules) => new Uint8Array(execFileSync(path.join(ROOT, 'target/debug/kairos'), ['compile', path.join(ROOT, rules), '-o', '-']));
const DEMO = compile('examples/demo/rules.json');
const NOW = '2026-11-23T17:30:00Z';
const ABANDONER = {
  targetingKey: 'cust-42', now: NOW, timezone: 'Europe/Paris', consent: { personalization: true },
  session: { device: 'mobile', product_views: [{ id: 'sku-77', category: 'running' }] },
  events: [{ e: 'cart_viewed', p: { product_id: 'sku-77' }, t: '2026-11-23T16:50:00Z' }],
  tier: 'gold',
};
const engine = Kairos.load(DEMO);
const direct = (context) => engine.decide(toKairosContext(context));

async function serverClient(options = { bundle: DEMO, Kairos }) {
  const provider = new KairosProvider(options);
  await Server.setProviderAndWait(provider);
  return { provider, client: Server.getClient() };
}

test('2.1.1 metadata names the provider; 2.2.1, 2.2.2.1 typed resolvers; 2.2.3–2.2.5 value, variant, reason as kairos decides', async () => {
  const { provider, client } = await serverClient();
  assert.equal(provider.metadata.name, 'kairos');
  const expected = direct(ABANDONER).slots.hero;
  const hero = await client.getObjectDetails('hero', {}, ABANDONER);
  assert.deepEqual([hero.value, hero.variant, hero.reason], [expected.content, 'category_intent', 'TARGETING_MATCH']);
  assert.equal(hero.value.html, expected.content.html);
  for (const [context, slot, reason] of [
    [{ targetingKey: 'cust-7', now: NOW }, 'hero', 'DISABLED'],
    [{ targetingKey: 'visitor-15', now: NOW, consent: { personalization: true } }, 'hero', 'SPLIT'],
    [{ targetingKey: 'cust-7', now: NOW, consent: { personalization: true } }, 'offer', 'DEFAULT'],
  ]) {
    const details = await client.getObjectDetails(slot, {}, context);
    assert.equal(details.reason, reason, JSON.stringify(context));
    assert.deepEqual(details.value, direct(context).slots[slot].content);
  }
});

test('2.2.6, 2.3.2 no error code or message on success; 2.2.9, 2.2.10 flat flag metadata with the bundle id and missing signals', async () => {
  const { client } = await serverClient();
  const details = await client.getObjectDetails('cta', {}, { targetingKey: 'cust-7', now: NOW, consent: { personalization: true } });
  assert.equal(details.errorCode, undefined);
  assert.equal(details.errorMessage, undefined);
  assert.equal(details.flagMetadata.bundleId, engine.bundleId);
  assert.equal(details.flagMetadata.kairosReason, 'undecided');
  assert.match(details.flagMetadata.missing, /checkout_dwell/);
  for (const v of Object.values(details.flagMetadata)) assert.ok(['string', 'number', 'boolean'].includes(typeof v));
});

test('2.2.7, 1.4.10 errors: FLAG_NOT_FOUND, TYPE_MISMATCH, INVALID_CONTEXT with the fallback, never an exception', async () => {
  const { client } = await serverClient();
  const fallback = { fallback: true };
  const missing = await client.getObjectDetails('nope', fallback, ABANDONER);
  assert.deepEqual([missing.value, missing.reason, missing.errorCode], [fallback, 'ERROR', 'FLAG_NOT_FOUND']);
  assert.match(missing.errorMessage, /its slots are: cta, hero, offer/);
  const wrong = await client.getBooleanDetails('hero', false, ABANDONER);
  assert.deepEqual([wrong.value, wrong.errorCode], [false, 'TYPE_MISMATCH']);
  const text = await client.getStringDetails('hero', 'x', ABANDONER);
  assert.deepEqual([text.value, text.errorCode], ['x', 'TYPE_MISMATCH']);
  const badField = await client.getObjectDetails('hero', fallback, { targetingKey: 'x', consent: 'yes' });
  assert.deepEqual([badField.value, badField.errorCode], [fallback, 'INVALID_CONTEXT']);
  assert.match(badField.errorMessage, /consent/);
  const nested = await client.getObjectDetails('hero', fallback, { targetingKey: 'x', plan: { tier: 1 } });
  assert.deepEqual([nested.value, nested.errorCode], [fallback, 'INVALID_CONTEXT']);
  assert.match(nested.errorMessage, /context\.plan/);
});

test('2.4.2.1 a bundle that cannot load makes initialize fail as PROVIDER_FATAL; evaluations get the fallback', async () => {
  const provider = new KairosProvider({ bundle: new Uint8Array([1, 2, 3]), Kairos });
  await assert.rejects(Server.setProviderAndWait('broken', provider), (e) => e.code === 'PROVIDER_FATAL');
  const client = Server.getClient('broken');
  assert.equal(client.providerStatus, ProviderStatus.FATAL);
  const details = await client.getObjectDetails('hero', { f: 1 }, ABANDONER);
  assert.deepEqual([details.value, details.errorCode], [{ f: 1 }, 'PROVIDER_FATAL']);
});

test('5.3.1, 5.3.3 READY handlers run; 5.1.1, 5.3.5 a new bundle is CONFIGURATION_CHANGED, a bad one ERROR with the old one kept', async () => {
  const provider = new KairosProvider({ bundle: async () => DEMO, Kairos });
  const client = Server.getClient('events');
  const seen = [];
  client.addHandler(ServerEvents.ConfigurationChanged, (d) => seen.push(`changed:${d.flagsChanged.join(',')}`));
  client.addHandler(ServerEvents.Error, (d) => seen.push(`error:${/did not load/.test(d.message)}`));
  await Server.setProviderAndWait('events', provider);
  // Attached once the provider is ready, the handler runs at once (5.3.3).
  client.addHandler(ServerEvents.Ready, () => seen.push('ready'));
  const holdout = compile('examples/scenarios/19-holdout.json');
  await provider.setBundle(holdout);
  assert.equal((await client.getObjectDetails('hero', {}, ABANDONER)).flagMetadata.bundleId, Kairos.load(holdout).bundleId);
  await provider.setBundle(new Uint8Array([0]));
  assert.equal((await client.getObjectDetails('hero', {}, ABANDONER)).flagMetadata.bundleId, Kairos.load(holdout).bundleId, 'the previous bundle stays');
  assert.deepEqual(seen, ['ready', `changed:${Kairos.load(holdout).slotNames().join(',')}`, 'error:true']);
  await Server.close();
});

test('web provider: synchronous evaluation of the static context, decided once per context; CONTEXT_CHANGED on a new context', async () => {
  let decisions = 0;
  const counted = { decide: (c) => { decisions += 1; return engine.decide(c); }, bundleId: engine.bundleId, slotNames: () => engine.slotNames() };
  const provider = new KairosWebProvider({ engine: counted });
  await Web.setProviderAndWait(provider, ABANDONER);
  const client = Web.getClient();
  const changed = [];
  client.addHandler(WebEvents.ContextChanged, () => changed.push('context'));
  const hero = client.getObjectDetails('hero', {});
  assert.deepEqual([hero.variant, hero.reason], ['category_intent', 'TARGETING_MATCH']);
  assert.deepEqual(client.getObjectDetails('offer', {}).value, direct(ABANDONER).slots.offer.content);
  assert.equal(decisions, 1, 'one decision for every flag of one context');
  await Web.setContext({ targetingKey: 'cust-7', now: NOW });
  assert.equal(client.getObjectDetails('hero', {}).reason, 'DISABLED');
  assert.equal(decisions, 2);
  assert.deepEqual(changed, ['context']);
  assert.equal(client.getBooleanDetails('hero', true).errorCode, 'TYPE_MISMATCH');
  assert.equal(client.getObjectDetails('nope', {}).errorCode, 'FLAG_NOT_FOUND');
  await Web.close();
});
