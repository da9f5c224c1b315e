// The edge-to-page handoff in real parts (docs/handoff.md): headless Chromium driven by
// playwright-core, the built Worker under `wrangler dev` (workerd), and a local static origin
// serving the shop page and the page script.
// One file: the cases share one wrangler dev, one origin and one browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { launchChromium } from '../browser/chromium.mjs';
import { ROOT, compile, HISTORY_KEY, IDENTITY_KEY, stateIn } from './harness.mjs';
import { wranglerDev } from './wrangler-dev.mjs';

const cartCount = { count: { event: 'cart_viewed', within: '1h' } };
const RULES = {
  kairos: 1,
  slots: {
    hero: { default: { id: 'brand', content: { headline: 'Our new season' } },
      variants: [{ id: 'picked', priority: 1, when: { eq: [1, 1] }, content: { headline: 'Picked for you' } }] },
    cart: { default: { id: 'browse', content: { text: 'Browse our deals' } },
      variants: [
        { id: 'one_cart', priority: 2, when: { eq: [cartCount, 1] }, content: { text: 'Still thinking about it?' } },
        { id: 'carts', priority: 1, when: { gte: [cartCount, 2] }, content: { text: 'Your cart misses you' } },
      ] },
  },
};
const BUNDLE = compile(RULES);
const ORIGIN_HERO = '<h2>Our new season</h2>';
const PAGE = (island = '') => `<!doctype html><html><head><meta charset="utf-8">${island}
<script src="/kairos/kairos.js" data-bundle="/kairos/bundle.bin" data-timeout="10000" async></script>
</head><body><section data-kairos-slot="hero">${ORIGIN_HERO}</section>
<p data-kairos-slot="cart">Browse our deals</p></body></html>`;
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
let origin, edge, browser, originBase;

before(async () => {
  origin = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE());
    if (url.pathname === '/broken-state') {
      return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE('<script type="application/json" id="kairos-state">{"v":1,"decision":</script>'));
    }
    if (url.pathname === '/kairos/bundle.bin') return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(BUNDLE);
    if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
    const file = path.join(ROOT, 'www', path.normalize(url.pathname.replace(/^\/kairos\//, '/')));
    if (!url.pathname.startsWith('/kairos/') || !fs.existsSync(file) || !fs.statSync(file).isFile()) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise((r) => origin.listen(0, '127.0.0.1', r));
  originBase = `http://127.0.0.1:${origin.address().port}`;
  edge = await wranglerDev({
    vars: { ORIGIN: originBase, HISTORY_KEY, IDENTITY_KEY, TRACK: '[]', BUNDLE_TTL_SECONDS: '0' },
    kv: { bundle: BUNDLE },
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await edge?.stop();
  await new Promise((r) => origin?.close(r));
});

/** A browser session with consent given, watching requests, console warnings and slot mutations. */
async function visitor() {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'kairos_consent', value: '1', url: edge.base }]);
  const page = await context.newPage();
  const requests = [];
  const warnings = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text()); });
  page.on('pageerror', (e) => warnings.push(`pageerror: ${e.message}`));
  // Every change under a slot once the page is parsed: the runtime's, not the parser's.
  await page.addInitScript(() => {
    window.__slotMutations = 0;
    document.addEventListener('DOMContentLoaded', () => {
      new MutationObserver((records) => {
        for (const r of records) {
          const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
          if (node && node.closest('[data-kairos-slot]')) window.__slotMutations += 1;
        }
      }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
    });
  });
  /** Loads a page through the edge; resolves once the runtime has its decision. */
  async function load(url = '/') {
    requests.length = 0;
    const response = await page.goto(edge.base + url);
    const html = await response.text();
    await page.waitForFunction(() => window.kairos && window.kairos.lastDecision, null, { timeout: 15000 });
    await page.waitForTimeout(300); // time for anything that would change the page
    return { response, html, state: stateIn(html) };
  }
  return { context, page, requests, warnings, load };
}

const history = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('kairos:history') || '[]'));

test('an edge-personalised page is adopted: no wasm, no mutation, the same decision', async () => {
  const v = await visitor();
  try {
    const { html, state } = await v.load();
    assert.ok(state, 'the edge wrote its state into the page');
    assert.equal(state.decision.slots.hero.variant, 'picked');
    assert.match(html, /<template data-kairos-origin><h2>Our new season<\/h2><\/template>/, 'the origin markup travels along');
    assert.deepEqual(await v.page.evaluate(() => window.kairos.lastDecision), state.decision, "the page's decision is the edge's");
    assert.equal(await v.page.evaluate(() => window.__slotMutations), 0, 'no slot changed after load');
    assert.deepEqual(v.requests.filter((p) => p.endsWith('.wasm') || p.endsWith('.bin')), [], 'no wasm and no bundle fetched');
    assert.equal(await v.page.textContent('[data-kairos-slot="hero"]'), 'Picked for you');
    assert.deepEqual(v.warnings, []);
  } finally {
    await v.context.close();
  }
});

test('a cart event in the page, then a reload through the edge, counts that event exactly once', async () => {
  const v = await visitor();
  try {
    await v.load();
    await v.page.evaluate(() => window.kairos.track('Cart Viewed', { product_id: 'sku-1' }));
    // The first decision made here loads the engine.
    await v.page.waitForFunction(() => window.kairos.lastDecision.slots.cart.variant === 'one_cart', null, { timeout: 15000 });
    assert.ok(v.requests.some((p) => p.endsWith('.wasm')), 'the engine is loaded when a decision is needed');
    assert.ok(await v.page.evaluate(() => window.__slotMutations) > 0, 'the observer sees a decision made here');
    const [cart] = (await history(v.page)).filter((e) => e.e === 'cart_viewed');

    for (let reload = 0; reload < 2; reload++) {
      const { state } = await v.load();
      assert.equal(state.decision.slots.cart.variant, 'one_cart', `reload ${reload}: the edge counted the page's event once`);
      assert.deepEqual(state.events.filter((e) => e.e === 'cart_viewed').map((e) => e.i), [cart.i], 'with the page id');
      assert.deepEqual(await v.page.evaluate(() => window.kairos.lastDecision), state.decision);
      assert.equal((await history(v.page)).filter((e) => e.e === 'cart_viewed').length, 1, 'one history: merged by id');
      const cookies = await v.context.cookies();
      assert.equal(cookies.find((c) => c.name === 'kairos_pending'), undefined, 'the edge kept the pending event and cleared the cookie');
    }
    assert.deepEqual(v.warnings, []);
  } finally {
    await v.context.close();
  }
});

test('consent withdrawn in the page restores the origin markup, wipes both stores and gives defaults at the edge', async () => {
  const v = await visitor();
  try {
    await v.load();
    await v.page.evaluate(() => window.kairos.consent({ personalization: false }));
    await v.page.waitForFunction(() => window.kairos.lastDecision.consent === false, null, { timeout: 15000 });
    assert.equal(await v.page.innerHTML('[data-kairos-slot="hero"]'), ORIGIN_HERO, "the origin's content, not the edge's");
    const stored = await v.page.evaluate(() => ['kairos:history', 'kairos:aid', 'kairos:visitor'].map((k) => localStorage.getItem(k)));
    assert.deepEqual(stored, [null, null, null]);
    assert.equal((await v.context.cookies()).find((c) => c.name === 'kairos_aid'), undefined);

    const { response, html, state } = await v.load();
    assert.equal(state.consent, false);
    assert.ok(Object.values(state.decision.slots).every((s) => s.is_default && s.reason === 'no_consent'));
    assert.ok(!html.includes('data-kairos-variant'), 'every slot as the origin sent it');
    assert.equal(response.headers()['x-kairos-id'], undefined);
    const names = (await v.context.cookies()).map((c) => c.name);
    assert.ok(!names.includes('kairos_h') && !names.includes('kairos_aid'), `edge stores wiped: ${names}`);
    assert.deepEqual(v.warnings, []);
  } finally {
    await v.context.close();
  }
});

test('bad input on the new paths gives a working page with at most one warning', async () => {
  // A malformed state island (the page straight from the origin): one warning, decided here.
  const v = await visitor();
  try {
    await v.context.addCookies([{ name: 'kairos_consent', value: '1', url: originBase }]);
    await v.page.goto(originBase + '/broken-state');
    await v.page.waitForFunction(() => window.kairos && window.kairos.lastDecision, null, { timeout: 15000 });
    assert.equal(v.warnings.length, 1, `${v.warnings}`);
    assert.match(v.warnings[0], /edge state is unreadable/);
    assert.equal(await v.page.evaluate(() => window.kairos.lastDecision.slots.hero.variant), 'picked');
  } finally {
    await v.context.close();
  }

  // A tampered id cookie: the edge replaces it, and the page adopts the new id's decision.
  const t = await visitor();
  try {
    await t.context.addCookies([{ name: 'kairos_aid', value: 'aAAAAAAAAAAAAAAAAAAAAAA.forged-signature', url: edge.base }]);
    const { response, state } = await t.load();
    assert.equal(response.headers()['x-kairos-id'], 'refused');
    const id = (await t.context.cookies()).find((c) => c.name === 'kairos_aid').value.split('.')[0];
    assert.notEqual(id, 'aAAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(state.anonymous_id, id);
    assert.deepEqual(await t.page.evaluate(() => window.kairos.lastDecision), state.decision);
    assert.deepEqual(t.warnings, []);

    // Saved visitor bytes of another bundle: refused, and the visitor rebuilt from the history.
    await t.page.evaluate(() => localStorage.setItem('kairos:visitor', btoa('KVIS not this bundle')));
    await t.page.evaluate(() => window.kairos.track('Cart Viewed', {}));
    await t.page.waitForFunction(() => window.kairos.lastDecision.slots.cart.variant === 'one_cart', null, { timeout: 15000 });
    assert.ok(t.warnings.length <= 1, `${t.warnings}`);
  } finally {
    await t.context.close();
  }
});
