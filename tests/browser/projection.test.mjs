// One decision, four surfaces, one output: the page script (real Chromium), the Worker's
// HTMLRewriter (real workerd), `kairos rewrite` (lol_html) and `kairos render` all apply the core's
// projection (src/html.rs) to the vectors in tests/vectors/projection, and each must match the
// hand-written expected.json, slot by slot, and the HTML surfaces must match each other exactly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startSite } from './chromium.mjs';
import { compile, cookies, ROOT, startWorker } from '../worker/harness.mjs';

const dir = join(ROOT, 'tests/vectors/projection');
const cli = join(ROOT, 'target/debug/kairos');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).slots;
const context = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8'));
const pageHtml = readFileSync(join(dir, 'page.html'), 'utf8');
let site, base, browser, origin, w;

before(async () => {
  mkdirSync(join(ROOT, 'target/www-bundles'), { recursive: true });
  execFileSync(cli, ['compile', join(dir, 'rules.json'), '-o', join(ROOT, 'target/www-bundles/projection.bin')]);
  site = await startSite();
  ({ base, browser } = site);
  origin = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(pageHtml); });
  await new Promise((resolve) => origin.listen(0, '127.0.0.1', resolve));
  w = await startWorker({ origin: `http://127.0.0.1:${origin.address().port}` });
  await w.kv.put('bundle', compile('tests/vectors/projection/rules.json'));
  await w.kv.put('customer/cust-7', JSON.stringify({ profile: context.profile }));
});

after(async () => {
  await site?.close();
  await w?.mf.dispose();
  origin?.close();
});

/** Each slot element's state: its variant marker, inner HTML and attributes (page bookkeeping and
 *  the edge's inert template of the origin's markup left out). */
function slotStates(root) {
  const skip = new Set(['data-kairos-slot', 'data-kairos-variant', 'data-kairos-default']);
  return Object.fromEntries([...root.querySelectorAll('[data-kairos-slot]')].map((el) => {
    const shown = el.cloneNode(true);
    for (const t of shown.querySelectorAll(':scope > template[data-kairos-origin]')) t.remove();
    return [el.getAttribute('data-kairos-slot'), {
      variant: el.getAttribute('data-kairos-variant'),
      html: shown.innerHTML,
      text: shown.textContent,
      attrs: [...el.attributes].filter((a) => !skip.has(a.name)).map((a) => [a.name, a.value]),
    }];
  }));
}

/** Parses HTML text in Chromium and reads its slots, so every surface is read by the same parser. */
async function parsedSlots(page, html) {
  return page.evaluate(([text, fn]) => {
    const doc = new DOMParser().parseFromString(text, 'text/html');
    // eslint-disable-next-line no-new-func
    return new Function(`return (${fn})`)()(doc);
  }, [html, slotStates.toString()]);
}

test('the page, the Worker, kairos rewrite and kairos render show the same decision the same way', async () => {
  const ctx = await browser.newContext({ timezoneId: 'UTC' });
  const page = await ctx.newPage();
  await page.addInitScript(() => localStorage.setItem('kairos:consent', JSON.stringify({ personalization: true })));
  const tagged = pageHtml.replace('</head>', '<script src="/kairos.js" data-bundle="/bundles/projection.bin" async></script></head>');
  await page.route(`${base}/t/projection`, (route) => route.fulfill({ contentType: 'text/html', body: tagged }));
  await page.goto(`${base}/t/projection`);
  await page.waitForFunction(() => window.kairos && window.kairos.ready);
  await page.evaluate(async (profile) => {
    await window.kairos.ready;
    window.kairos.identify('cust-7', profile);
  }, context.profile);
  const onPage = await page.evaluate(`(${slotStates.toString()})(document)`);

  const workerHtml = await (await w.fetch('/', { headers: { cookie: cookies('cust-7') } })).text();
  const atEdge = await parsedSlots(page, workerHtml);
  const rewritten = execFileSync(cli, ['rewrite', '--bundle', join(dir, 'rules.json'), '--context', join(dir, 'context.json'), join(dir, 'page.html')]).toString();
  const byCli = await parsedSlots(page, rewritten);
  const original = await parsedSlots(page, pageHtml);

  assert.deepEqual(atEdge, byCli, 'the Worker and kairos rewrite');
  assert.deepEqual(onPage, byCli, 'the page script and kairos rewrite');

  const normalised = (html) => page.evaluate((h) => { const t = document.createElement('template'); t.innerHTML = h; return t.innerHTML; }, html);
  for (const [slot, want] of Object.entries(expected)) {
    const got = onPage[slot];
    if (want === null) {
      assert.deepEqual(got, original[slot], `${slot}: a default slot is untouched`);
      continue;
    }
    assert.equal(got.variant, want.variant, `${slot}: variant marker`);
    if (want.html !== null) assert.equal(got.html, await normalised(want.html), `${slot}: html`);
    else if (want.text !== null) assert.equal(got.text, want.text, `${slot}: text`);
    else assert.equal(got.html, original[slot].html, `${slot}: content kept`);
    const kept = original[slot].attrs.filter(([name]) => !want.attrs.some(([n]) => n === name));
    assert.deepEqual([...got.attrs].sort(), [...kept, ...want.attrs].sort(), `${slot}: attributes`);

    const rendered = execFileSync(cli, ['render', '--bundle', join(dir, 'rules.json'), '--context', join(dir, 'context.json'), '--slot', slot]).toString().replace(/\n$/, '');
    if (want.html !== null) assert.equal(rendered, want.html, `${slot}: kairos render`);
    else if (want.text !== null) assert.equal(rendered, want.text, `${slot}: kairos render`);
    else assert.doesNotThrow(() => JSON.parse(rendered), `${slot}: kairos render prints structured content as JSON`);
  }
  await ctx.close();
});
