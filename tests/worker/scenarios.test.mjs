// Scenarios 6, 7, 14 and 15 of the acceptance list through real HTTP requests to the worker:
// signals come from headers, cookies and `cf` properties set here, customer records from KV,
// and the history from the worker's own signed cookie, carried from response to request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compile, cookies, DAY, DEBUG_TOKEN, HOUR, IPHONE, iso, setCookieValue, startOrigin, startWorker, variantIn, zoneAtLocalHour,
} from './harness.mjs';

const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36';
let origin;
let w;

before(async () => {
  origin = await startOrigin();
  w = await startWorker({ origin: origin.url });
});

after(async () => {
  await w?.mf.dispose();
  await origin?.close();
});

/** Visits `paths` in order like a browser: each request carries the history cookie the last one set. */
async function browse(customer, paths, { ua = IPHONE, cf = {}, extraHeaders = {} } = {}) {
  let history;
  let res;
  let html;
  for (const p of paths) {
    const extra = history ? [`kairos_h=${history}`] : [];
    res = await w.fetch(p, { headers: { cookie: cookies(customer, { extra }), 'user-agent': ua, ...extraHeaders }, cf });
    html = await res.text();
    history = setCookieValue(res, 'kairos_h') ?? history;
  }
  return { res, html };
}

async function edgeDecision(customer, { ua = IPHONE, cf = {}, headers = {} } = {}) {
  const res = await w.fetch('/v1/decide?explain=1', {
    headers: { cookie: cookies(customer), 'user-agent': ua, 'x-kairos-debug': DEBUG_TOKEN, ...headers }, cf,
  });
  assert.equal(res.status, 200);
  return res.json();
}

describe('6: exclusive evening offer', () => {
  before(async () => {
    await w.kv.put('bundle', compile('examples/scenarios/06-exclusive-evening-offer.json'));
    await w.kv.put('customer/shopper-6', JSON.stringify({ events: [{ e: 'email_opened', t: iso(5 * DAY) }] }));
  });

  test('two cart views, mobile, 19:00 local, no recent email: the offer with the viewed product', async () => {
    const cf = { timezone: zoneAtLocalHour(19), country: 'US' };
    const { res, html } = await browse('shopper-6', ['/cart/sku-4471', '/cart/sku-4471', '/'], { cf });
    assert.equal(res.headers.get('x-kairos-history'), 'valid');
    assert.equal(variantIn(html, 'offer'), 'exclusive_evening_offer');
    assert.match(html, /Exclusive Evening Offer/);
  });

  test('one cart view, desktop, morning, or a recent email: no offer', async () => {
    const evening = { timezone: zoneAtLocalHour(19) };
    const once = await browse('shopper-6', ['/cart/sku-4471', '/'], { cf: evening });
    assert.equal(once.res.headers.get('x-kairos-history'), 'valid', 'the one view was remembered');
    assert.equal(variantIn(once.html, 'offer'), null);
    const desktop = await browse('shopper-6', ['/cart/sku-4471', '/cart/sku-4471', '/'], { cf: evening, ua: DESKTOP });
    assert.equal(variantIn(desktop.html, 'offer'), null);
    const morning = await browse('shopper-6', ['/cart/sku-4471', '/cart/sku-4471', '/'], { cf: { timezone: zoneAtLocalHour(10) } });
    assert.equal(variantIn(morning.html, 'offer'), null);
    await w.kv.put('customer/shopper-6b', JSON.stringify({ events: [{ e: 'email_opened', t: iso(2 * HOUR) }] }));
    const emailed = await browse('shopper-6b', ['/cart/sku-4471', '/cart/sku-4471', '/'], { cf: evening });
    assert.equal(variantIn(emailed.html, 'offer'), null);
  });

  test('no time zone from the request: the time condition is unknown, the default stays, and explain says so', async () => {
    const d = await edgeDecision('shopper-6', { cf: { timezone: '' } });
    assert.equal(d.slots.offer.is_default, true);
    assert.deepEqual(d.missing, ['timezone']);
    assert.deepEqual(d.slots.offer.explain.candidates[0].missing, ['timezone']);
  });
});

describe('7: propensity override', () => {
  before(async () => {
    await w.kv.put('bundle', compile('examples/scenarios/07-propensity-override.json'));
  });

  const record = (scoreAge, value = 0.91) => JSON.stringify({
    scores: { purchase_propensity: { value, computed_at: iso(scoreAge) } },
    events: [{ e: 'cart_viewed', p: { product_id: 'sku-7' }, t: iso(2 * HOUR) }],
  });

  test('fresh high score + abandoned cart on mobile wins outside the evening window', async () => {
    await w.kv.put('customer/buyer-7', record(1 * HOUR));
    const d = await edgeDecision('buyer-7', { cf: { timezone: zoneAtLocalHour(10) } });
    assert.equal(d.slots.offer.variant, 'exclusive_offer_high_propensity');
    assert.equal(d.slots.offer.content.image, 'https://cdn.shop.example/products/sku-7/hero.jpg');
  });

  test('a stale score counts as missing, a low one as no: the default', async () => {
    await w.kv.put('customer/stale-7', record(30 * HOUR));
    const stale = await edgeDecision('stale-7', { cf: { timezone: zoneAtLocalHour(10) } });
    assert.equal(stale.slots.offer.is_default, true);
    assert.ok(stale.missing.some((m) => m.includes('purchase_propensity')), JSON.stringify(stale.missing));
    await w.kv.put('customer/low-7', record(1 * HOUR, 0.4));
    const low = await edgeDecision('low-7', { cf: { timezone: zoneAtLocalHour(10) } });
    assert.equal(low.slots.offer.is_default, true);
  });

  test('a malformed customer record is ignored: defaults, not an error', async () => {
    await w.kv.put('customer/broken-7', '{"scores": {"purchase_propensity": {"value": "high"}}}');
    const res = await w.fetch('/', { headers: { cookie: cookies('broken-7'), 'user-agent': IPHONE } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-kairos-customer'), 'invalid');
    assert.equal(variantIn(await res.text(), 'offer'), null);
  });
});

describe('14: banking moments', () => {
  before(async () => {
    await w.kv.put('bundle', compile('examples/scenarios/14-banking-moments.json'));
  });

  const events = {
    fuel: { e: 'card_transaction', p: { mcc: 5541, amount: 62.4 }, t: iso(3 * DAY) },
    salary: { e: 'salary_received', p: { amount: 3200 }, t: iso(1 * DAY) },
    failed: { e: 'payment_failed', p: { amount: 89.99 }, t: iso(5 * HOUR) },
  };

  for (const [customer, list, want] of [
    ['bank-fuel', ['fuel'], 'fuel_card_offer'],
    ['bank-salary', ['fuel', 'salary'], 'loan_offer'],
    ['bank-failed', ['fuel', 'salary', 'failed'], 'payment_recovery'],
    ['bank-quiet', [], null],
  ]) {
    test(`${list.join(' + ') || 'no events'} → ${want ?? 'brand banner'}`, async () => {
      await w.kv.put(`customer/${customer}`, JSON.stringify({ events: list.map((k) => events[k]) }));
      const { html } = await browse(customer, ['/'], { cf: { timezone: 'Europe/Paris' } });
      assert.equal(variantIn(html, 'home_banner'), want);
    });
  }
});

describe('15: abroad, KYC expiry, trial ending', () => {
  before(async () => {
    await w.kv.put('bundle', compile('examples/scenarios/15-travel-kyc-trial.json'));
    await w.kv.put('customer/cust-1501', JSON.stringify({
      profile: {
        home_country: 'FR', plan: 'trial',
        kyc_expiry: new Date(Date.now() + 7 * DAY).toISOString(),
        trial_ends_at: new Date(Date.now() + 2 * DAY).toISOString(),
      },
    }));
  });

  test('request from Portugal for a French customer: travel insurance naming the country', async () => {
    const cf = { country: 'PT', city: 'Lisbon', timezone: 'Europe/Lisbon', latitude: '38.72', longitude: '-9.14' };
    const { html } = await browse('cust-1501', ['/'], { cf });
    assert.equal(variantIn(html, 'cross_sell'), 'travel_insurance');
    assert.match(html, /Travelling in PT\?/);
    assert.equal(variantIn(html, 'service_notice'), 'kyc_reminder');
    assert.equal(variantIn(html, 'plan'), 'trial_upgrade');
  });

  test('at home: the default cross-sell; no country at all: default and the signal named as missing', async () => {
    const home = await browse('cust-1501', ['/'], { cf: { country: 'FR' } });
    assert.equal(variantIn(home.html, 'cross_sell'), null);
    // Miniflare fills absent cf fields with sample values; an empty country is read as none.
    const d = await edgeDecision('cust-1501', { cf: { country: '' } });
    assert.equal(d.slots.cross_sell.is_default, true);
    assert.ok(d.missing.some((m) => m.includes('geo.country')), JSON.stringify(d.missing));
  });
});
