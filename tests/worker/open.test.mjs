// GET /v1/open/<token> on workerd: email content rendered at open time from the live KV record,
// scenarios 1, 2, 4 and 5 end to end, token tampering, expiry and wrong keys, AMP JSON and CORS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compile, decideNative, ROOT, startWorker } from './harness.mjs';

const OPEN_KEY = 'test-open-token-key-0123456789abcdef';
const CLI = path.join(ROOT, 'target/debug/kairos');
let w;

before(async () => {
  w = await startWorker({ bindings: { OPEN_TOKEN_KEY: OPEN_KEY, AMP_SENDERS: 'news@wallet.example' } });
});
after(() => w?.mf.dispose());

/** Mints a token with the CLI, as a sender would. */
function token({ customer, slot, event, ttl = '7d', key = OPEN_KEY }) {
  const args = ['token', '--customer', customer, '--slot', slot, '--campaign', 'test', '--ttl', ttl];
  if (event) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kairos-ev-')), 'event.json');
    fs.writeFileSync(file, JSON.stringify(event));
    args.push('--event', file);
  }
  return execFileSync(CLI, args, { env: { ...process.env, KAIROS_OPEN_KEY: key } }).toString().trim();
}

/** A scenario context moved to now (relative times kept), as a KV record plus the shifted context. */
function liveScenario(name) {
  const ctx = JSON.parse(fs.readFileSync(path.join(ROOT, `examples/scenarios/${name}.context.json`), 'utf8'));
  const shift = Date.now() - Date.parse(ctx.now);
  const move = (t) => new Date(Date.parse(t) + shift).toISOString();
  const events = (ctx.events || []).map((e) => ({ e: e.e ?? e.event, p: e.p ?? e.properties ?? {}, t: move(e.t ?? e.timestamp) }));
  const scores = Object.fromEntries(Object.entries(ctx.scores || {}).map(([k, s]) => [k, { value: s.value, computed_at: move(s.computed_at) }]));
  const record = { consent: ctx.consent, profile: ctx.profile || {}, scores, events, timezone: ctx.timezone };
  const shifted = { ...ctx, now: new Date(Date.now()).toISOString(), events, scores };
  delete shifted.session; // an email open has no web session
  delete shifted.geo;
  return { record, shifted, customer: ctx.customer_id };
}

const openJson = async (t, headers = {}) => {
  const res = await w.fetch(`/v1/open/${t}?format=json`, { headers });
  assert.equal(res.status, 200);
  return { res, body: await res.json() };
};

describe('scenarios rendered at open', () => {
  for (const [name, slot] of [
    ['01-abandoned-deposit', 'deposit_recovery'],
    ['02-churn-factor', 'deposit_offer'],
    ['04-bad-experience', 'care'],
    ['05-live-email-content', 'email_body'],
  ]) {
    test(`${name}: the open shows what the engine decides for the live record`, async () => {
      const bundle = `examples/scenarios/${name}.json`;
      await w.kv.put('bundle', compile(bundle));
      const { record, shifted, customer } = liveScenario(name);
      await w.kv.put(`customer/${customer}`, JSON.stringify(record));
      const expected = decideNative(bundle, JSON.stringify(shifted)).slots[slot];
      assert.equal(expected.is_default, false, 'the scenario personalises this slot');
      const { res, body } = await openJson(token({ customer, slot }));
      assert.equal(res.headers.get('x-kairos-token'), 'ok');
      assert.equal(body.items[0].variant, expected.variant);
      assert.equal(body.items[0].is_default, false);
    });
  }
});

describe('live values and refused tokens', () => {
  before(async () => {
    await w.kv.put('bundle', compile('examples/email/rules.json'));
    await w.kv.put('customer/cust-501', JSON.stringify({
      consent: { personalization: true }, timezone: 'America/New_York',
      profile: { first_name: 'Ana', balance: 12.4, bonus_match_rate: 0.5 },
    }));
  });
  const event = { e: 'deposit_started', p: { amount: 120, at: '2026-11-23T17:55:00Z' }, t: '2026-11-23T17:55:00Z' };

  test('opened twice with the balance changed in between: each open shows the balance then', async () => {
    const t = token({ customer: 'cust-501', slot: 'email_body', event });
    const first = await (await w.fetch(`/v1/open/${t}`)).text();
    assert.match(first, /deposit of <b>\$120\.00<\/b>/);
    assert.match(first, /balance right now: \$12\.40\./);
    assert.match(first, /on Monday 23 November 2026/);
    const record = JSON.parse(await w.kv.get('customer/cust-501'));
    record.profile.balance = 31;
    await w.kv.put('customer/cust-501', JSON.stringify(record));
    const second = await w.fetch(`/v1/open/${t}`);
    assert.equal(second.headers.get('cache-control'), 'private, no-store');
    assert.match(second.headers.get('content-security-policy'), /^sandbox; default-src 'none'/);
    assert.equal(second.headers.get('referrer-policy'), 'no-referrer');
    assert.match(await second.text(), /balance right now: \$31\.00\./);
    record.profile.balance = 12.4;
    await w.kv.put('customer/cust-501', JSON.stringify(record));
  });

  test('tampered, expired, wrongly signed or unsigned tokens get the generic content and no customer data', async () => {
    const good = token({ customer: 'cust-501', slot: 'email_body', event });
    const [payload, tag] = good.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url')), u: 'cust-502' })).toString('base64url');
    const cases = {
      bad_signature: [`${forgedPayload}.${tag}`, token({ customer: 'cust-501', slot: 'email_body', event, key: 'another-open-key-0123456789abcdefgh' })],
      expired: [token({ customer: 'cust-501', slot: 'email_body', event, ttl: '0s' })],
      malformed: [payload, 'garbage', `${payload}.${tag}x!`],
    };
    for (const [why, tokens] of Object.entries(cases)) {
      for (const t of tokens) {
        const res = await w.fetch(`/v1/open/${t}`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-kairos-token'), why, t);
        assert.equal(res.headers.get('x-kairos-variant'), 'generic_reminder');
        const html = await res.text();
        assert.equal(html, '<p>Top up in seconds from the app.</p>');
      }
    }
  });

  test('AMP for Email: amp-list JSON with the AMP CORS headers', async () => {
    const t = token({ customer: 'cust-501', slot: 'email_body', event });
    const res = await w.fetch(`/v1/open/${t}?__amp_source_origin=${encodeURIComponent('news@wallet.example')}`, {
      headers: { accept: 'application/json', origin: 'https://mail.google.com', 'amp-email-sender': 'news@wallet.example' },
    });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://mail.google.com');
    assert.equal(res.headers.get('access-control-allow-credentials'), null, 'the answer never depends on cookies');
    assert.equal(res.headers.get('amp-email-allow-sender'), 'news@wallet.example');
    assert.equal(res.headers.get('amp-access-control-allow-source-origin'), 'news@wallet.example');
    assert.match(res.headers.get('access-control-expose-headers'), /AMP-Access-Control-Allow-Source-Origin/);
    const body = await res.json();
    assert.equal(body.items.length, 1);
    assert.equal(body.items[0].variant, 'deposit_match');
    assert.equal(body.items[0].subject, 'Finish your $120.00 deposit');
    const stranger = await w.fetch(`/v1/open/${t}`, { headers: { accept: 'application/json', 'amp-email-sender': 'spoof@evil.example' } });
    assert.equal(stranger.headers.get('amp-email-allow-sender'), null, 'only listed senders');
    await stranger.arrayBuffer();
    const pre = await w.fetch(`/v1/open/${t}`, { method: 'OPTIONS', headers: { origin: 'https://mail.google.com' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://mail.google.com');
  });

  test('without consent in the record: the generic content', async () => {
    await w.kv.put('customer/cust-noconsent', JSON.stringify({ profile: { first_name: 'Bo', balance: 1 } }));
    const res = await w.fetch(`/v1/open/${token({ customer: 'cust-noconsent', slot: 'email_body', event })}`);
    assert.equal(res.headers.get('x-kairos-token'), 'ok');
    assert.equal(res.headers.get('x-kairos-variant'), 'generic_reminder');
    assert.ok(!(await res.text()).includes('Bo'));
  });
});
