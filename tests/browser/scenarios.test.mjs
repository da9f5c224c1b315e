// The scenario spec vectors (docs/vectors.md) through the page module (www/pkg) in headless
// Chromium, loaded as the page script loads it: `init({ module_or_path })` with the served .wasm,
// bundles fetched over HTTP, then `Kairos.load(bytes).decide(context, true)`, and the same case
// through a resident visitor (events tracked one by one) and that visitor saved and restored. Every
// case of every file is decided in one page visit; the decisions are compared here with the
// expected values, and the visitor's with the context's byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSite } from './chromium.mjs';
import { ROOT, caseFiles, compareEveryWay, compileBundle } from '../scenario-cases.mjs';

const files = caseFiles();
const bundles = join(ROOT, 'target', 'www-bundles', 'vectors'); // served at /bundles/vectors/
let site, decided;

before(async () => {
  mkdirSync(bundles, { recursive: true });
  for (const { file, bundle } of files) compileBundle(bundle, join(bundles, file.replace('.cases.json', '.bin')));
  site = await startSite();
  const { browser, base } = site;
  const page = await (await browser.newContext()).newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(`${base}/t/every-way.mjs`, (route) => route.fulfill({ contentType: 'text/javascript', body: readFileSync(join(ROOT, 'tests', 'every-way.mjs'), 'utf8') }));
  await page.route(`${base}/t/vectors`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>vectors</title>' }));
  await page.goto(`${base}/t/vectors`);
  const input = files.map(({ file, doc }) => ({ bin: file.replace('.cases.json', '.bin'), contexts: doc.cases.map((c) => c.context) }));
  decided = await page.evaluate(async (input) => {
    const { default: init, Kairos } = await import('/pkg/kairos.js');
    await init({ module_or_path: '/pkg/kairos_bg.wasm' });
    const { everyWay } = await import('/t/every-way.mjs');
    const out = [];
    for (const { bin, contexts } of input) {
      const engine = Kairos.load(new Uint8Array(await (await fetch(`/bundles/vectors/${bin}`)).arrayBuffer()));
      out.push(contexts.map((ctx) => everyWay(engine, ctx)));
    }
    return out;
  }, input);
  assert.deepEqual(errors, []);
});

after(() => site?.close());

files.forEach(({ file, doc }, i) => {
  test(`the page module in Chromium decides as written, by context and by visitor: ${file}`, () => {
    const failures = [];
    doc.cases.forEach((c, j) => {
      for (const p of compareEveryWay(c, decided[i][j])) failures.push(`${file} › ${c.name}: ${p}`);
    });
    assert.ok(failures.length === 0, `${failures.length} mismatch(es):\n${failures.join('\n')}`);
  });
});
