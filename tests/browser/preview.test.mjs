// QA previews and the debug overlay in real headless Chromium (docs/preview.md): a token made by
// `kairos preview` with the site key forces slots in the page, for the session only, recording
// nothing as shown; bad tokens are ignored with one warning; the overlay module is fetched only
// when a preview or the debug key allows it, and is screenshotted for the docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startSite } from './chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'target', 'debug', 'kairos');
const bundles = join(root, 'target', 'www-bundles');
const tmp = mkdtempSync(join(tmpdir(), 'kairos-preview-'));
const SIGNING = JSON.parse(readFileSync(join(root, 'tests', 'vectors', 'signing.json'), 'utf8'));
const VECTOR = JSON.parse(readFileSync(join(root, 'tests', 'vectors', 'preview.json'), 'utf8'));
const DEBUG_SECRET = 'qa-debug-0123456789';
const DEBUG_KEY = createHash('sha256').update(DEBUG_SECRET).digest('hex');
/** Outside the demo's 10 % holdout (bucket 7866 for salt demo-2026), as in page.test.mjs. */
const TEST_ID = 'aAQEBAQEBAQEBAQEBAQEBAQ';
let site, browser, base;

const kairos = (...args) => execFileSync(cli, args, { encoding: 'utf8' }).trim();
const token = (...slots) => kairos('preview', '--key', join(tmp, 'site.key'), ...slots.flatMap((s) => ['--slot', s]));

before(async () => {
  mkdirSync(bundles, { recursive: true });
  writeFileSync(join(tmp, 'site.key'), `${SIGNING.seed}\n`, { mode: 0o600 });
  writeFileSync(join(tmp, 'other.key'), `${'42'.repeat(32)}\n`, { mode: 0o600 });
  kairos('compile', join(root, 'examples/demo/rules.json'), '-o', join(bundles, 'preview-demo.bin'), '--sign', join(tmp, 'site.key'));
  site = await startSite();
  ({ browser, base } = site);
});

after(() => site?.close());

function pageHtml({ debugKey } = {}) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script src="/kairos.js" data-bundle="/bundles/preview-demo.bin" data-timeout="10000" data-public-key="${SIGNING.public_key}" data-beacon="/collect"${debugKey ? ` data-debug-key="${debugKey}"` : ''} async></script>
<style>body{font:16px system-ui;margin:24px;background:#f6f7f9} section,div,a{display:block;margin:12px 0}</style>
</head><body><section data-kairos-slot="hero"><h2>New season, new shoes</h2></section>
<a data-kairos-slot="cta" href="/signup">Sign up</a><div data-kairos-slot="offer">Default offer</div></body></html>`;
}

/** A browser session (one context: its cookies are the session's). */
async function session({ consent = true } = {}) {
  const context = await browser.newContext({ timezoneId: 'Europe/Paris', viewport: { width: 960, height: 640 } });
  const fetched = [];
  const beacons = [];
  context.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await context.route(`${base}/collect`, (route) => { beacons.push(route.request().postData()); return route.fulfill({ status: 204 }); });
  await context.addInitScript(([id, c]) => {
    if (!localStorage.getItem('kairos:aid')) localStorage.setItem('kairos:aid', id);
    localStorage.setItem('kairos:consent', JSON.stringify({ personalization: c }));
  }, [TEST_ID, consent]);
  const warnings = [];
  async function visit(query = '', html = pageHtml()) {
    await context.route(`${base}/t/page**`, (route) => route.fulfill({ contentType: 'text/html', body: html }));
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text()); });
    page.on('pageerror', (e) => warnings.push(`pageerror: ${e.message}`));
    await page.goto(`${base}/t/page${query}`);
    await page.waitForFunction(() => window.kairos && window.kairos.ready);
    await page.evaluate(() => window.kairos.ready);
    await page.waitForFunction(() => window.kairos.lastDecision);
    return page;
  }
  const previewCookie = async () => (await context.cookies()).find((c) => c.name === 'kairos_preview');
  return { context, visit, warnings, fetched, beacons, previewCookie, close: () => context.close() };
}

const decision = (page) => page.evaluate(() => window.kairos.lastDecision);
const forcedOf = (d) => Object.fromEntries(Object.entries(d.slots)
  .filter(([, s]) => s.reason === 'forced').map(([name, s]) => [name, { is_default: s.is_default, variant: s.variant }]));
const shown = (page, slot) => page.$eval(`[data-kairos-slot="${slot}"]`, (el) => el.getAttribute('data-kairos-variant'));
const kairosWarnings = (warnings) => warnings.filter((w) => /kairos/.test(w));

test('a preview link forces its slots for the session, records nothing as shown, and ?kairos_preview=off ends it', async () => {
  const s = await session();
  const plain = await s.visit();
  const ordinary = await decision(plain);
  assert.notEqual(ordinary.slots.offer.variant, 'propensity_override');
  await plain.close();
  const exposuresBefore = await (await s.visit()).evaluate(() => JSON.parse(localStorage.getItem('kairos:history') || '[]').filter((e) => e.e === '$exposure').length);

  const t = token('offer=propensity_override', 'hero=brand');
  const page = await s.visit(`?kairos_preview=${t}`);
  const forced = await decision(page);
  assert.deepEqual([forced.slots.offer.variant, forced.slots.offer.reason], ['propensity_override', 'forced']);
  assert.deepEqual([forced.slots.hero.variant, forced.slots.hero.reason, forced.slots.hero.is_default], ['brand', 'forced', true]);
  assert.equal(forced.slots.cta.variant, ordinary.slots.cta.variant, 'an unforced slot decides as ever');
  assert.equal(await shown(page, 'offer'), 'propensity_override', 'the page shows the forced variant');
  const cookie = await s.previewCookie();
  assert.equal(cookie?.value, t);
  assert.equal(cookie.expires, -1, 'a session cookie: gone when the browser session ends');
  // Something happens on the page: still forced, still nothing recorded as shown.
  await page.evaluate(() => window.kairos.track('Product Viewed', { product_id: 'sku-1', category: 'running' }));
  assert.equal((await decision(page)).slots.offer.reason, 'forced');
  const exposuresAfter = await page.evaluate(() => JSON.parse(localStorage.getItem('kairos:history') || '[]').filter((e) => e.e === '$exposure').length);
  assert.equal(exposuresAfter, exposuresBefore, 'no exposure joins the history while previewing');
  await page.evaluate(() => window.dispatchEvent(new Event('pagehide')));
  const beaconed = s.beacons.flatMap((b) => JSON.parse(b).batch);
  await page.close();

  const next = await s.visit(); // the session cookie alone keeps it
  assert.equal((await decision(next)).slots.offer.reason, 'forced');
  await next.evaluate(() => window.dispatchEvent(new Event('pagehide')));
  const ended = await s.visit('?kairos_preview=off');
  assert.equal((await decision(ended)).slots.offer.variant, ordinary.slots.offer.variant);
  assert.equal(await s.previewCookie(), undefined, 'off clears the cookie');
  const before = s.beacons.length;
  await ended.evaluate(() => window.dispatchEvent(new Event('pagehide')));
  for (let i = 0; i < 50 && s.beacons.length === before; i++) await new Promise((r) => setTimeout(r, 100));
  const all = s.beacons.flatMap((b) => JSON.parse(b).batch);
  assert.ok(all.length > beaconed.length, 'ordinary views report exposures');
  assert.ok(all.every((e) => e.properties.reason !== 'forced'), 'no forced decision reaches the collector');
  assert.deepEqual(kairosWarnings(s.warnings), []);
  await s.close();
});

test('the shared vector forces in Chromium exactly what it forces natively, in Node and in workerd', async () => {
  const s = await session();
  const page = await s.visit(`?kairos_preview=${VECTOR.token}`);
  assert.deepEqual(forcedOf(await decision(page)), VECTOR.forced);
  await s.close();
});

test('unsigned, tampered, foreign and expired tokens are ignored with one warning, and forgotten', async () => {
  const good = token('offer=propensity_override');
  const expiredToken = (() => {
    // Made with a 1 s ttl, then read once it has run out.
    const t = kairos('preview', '--key', join(tmp, 'site.key'), '--slot', 'offer=propensity_override', '--ttl', '1s');
    execFileSync('sleep', ['1.1']);
    return t;
  })();
  const cases = [
    ['tampered', good.replace('propensity_override', 'evening_offer'), 'E_PREVIEW'],
    ['foreign', kairos('preview', '--key', join(tmp, 'other.key'), '--slot', 'offer=propensity_override'), 'E_PREVIEW'],
    ['unsigned', good.slice(0, good.lastIndexOf('.')), 'E_PREVIEW'],
    ['expired', expiredToken, 'E_PREVIEW_EXPIRED'],
  ];
  for (const [name, t, code] of cases) {
    const s = await session();
    const page = await s.visit(`?kairos_preview=${encodeURIComponent(t)}`);
    const d = await decision(page);
    assert.ok(Object.values(d.slots).every((slot) => slot.reason !== 'forced'), name);
    const ours = kairosWarnings(s.warnings);
    assert.equal(ours.length, 1, `${name}: ${JSON.stringify(s.warnings)}`);
    assert.match(ours[0], new RegExp(`preview token ignored.*${code}\\b`), name);
    assert.equal(await s.previewCookie(), undefined, `${name}: not kept`);
    await s.close();
  }
});

test('the debug overlay loads only when a preview or the debug key allows it, lists every slot, and is screenshotted', async () => {
  // Ordinary visitors, with or without the parameter, never fetch the module.
  const s = await session();
  await s.visit();
  await s.visit('?kairos_debug');
  await s.visit(`?kairos_debug=wrong-secret`, pageHtml({ debugKey: DEBUG_KEY }));
  assert.ok(!s.fetched.some((p) => p.endsWith('/kairos-debug.mjs')), `fetched: ${s.fetched.filter((p) => p.endsWith('.mjs'))}`);
  assert.equal(kairosWarnings(s.warnings).length, 2, 'one warning per refused page');
  await s.close();

  // The site's debug key opens it without a preview.
  const keyed = await session();
  const page = await keyed.visit(`?kairos_debug=${DEBUG_SECRET}`, pageHtml({ debugKey: DEBUG_KEY }));
  await page.waitForSelector('kairos-debug .panel');
  const rows = await page.$$eval('kairos-debug', ([host]) => [...host.shadowRoot.querySelectorAll('tbody tr')].map((r) => r.getAttribute('data-slot')));
  assert.deepEqual(rows.sort(), ['cta', 'hero', 'offer']);
  await keyed.close();

  // With a preview: forced slots say so, with why.
  const qa = await session();
  const t = token('offer=propensity_override');
  const shot = await qa.visit(`?kairos_preview=${t}&kairos_debug`);
  await shot.waitForSelector('kairos-debug .panel');
  await shot.evaluate(() => window.kairos.track('Product Viewed', { product_id: 'sku-77', category: 'running' }));
  const table = await shot.$eval('kairos-debug', (host) => [...host.shadowRoot.querySelectorAll('tbody tr')].map((r) => [...r.cells].map((c) => c.textContent)));
  const offer = table.find((r) => r[0] === 'offer');
  assert.deepEqual(offer.slice(1, 3), ['propensity_override', 'forced']);
  assert.match(offer[4], /forced by a preview token/);
  const hero = table.find((r) => r[0] === 'hero');
  assert.equal(hero[2], 'rule', 'the tracked view re-decided, explained');
  assert.match(hero[4], /won among/);
  assert.ok(qa.fetched.some((p) => p.endsWith('/kairos-debug.mjs')));
  const png = await shot.screenshot();
  assert.ok(png.length > 10_000, 'a real picture');
  mkdirSync(join(root, 'target', 'screenshots'), { recursive: true });
  writeFileSync(join(root, 'target', 'screenshots', 'preview-overlay.png'), png);
  if (process.env.UPDATE_SCREENSHOTS) copyFileSync(join(root, 'target', 'screenshots', 'preview-overlay.png'), join(root, 'docs', 'preview-overlay.png'));
  assert.deepEqual(kairosWarnings(qa.warnings), []);
  await qa.close();
});
