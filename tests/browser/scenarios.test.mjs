// The scenario spec vectors (docs/vectors.md) through the page module (www/pkg) in headless
// Chromium, loaded as the page script loads it: `init({ module_or_path })` with the served .wasm,
// bundles fetched over HTTP, then `Kairos.load(bytes).decide(context, true)`, and the same case
// through a resident visitor (events tracked one by one) and that visitor saved and restored. Every
// case of every file is decided in one page visit; the decisions are compared here with the
// expected values, and the visitor's with the context's byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { startServer } from '../../www/serve.mjs';
import { ROOT, caseFiles, compare, compileBundle } from '../scenario-cases.mjs';

const files = caseFiles();
const bundles = join(ROOT, 'target', 'www-bundles', 'vectors'); // served at /bundles/vectors/
let server, browser, decided;

before(async () => {
  mkdirSync(bundles, { recursive: true });
  for (const { file, bundle } of files) compileBundle(bundle, join(bundles, file.replace('.cases.json', '.bin')));
  server = await startServer(0);
  const base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
  const page = await (await browser.newContext()).newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(`${base}/t/vectors`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>vectors</title>' }));
  await page.goto(`${base}/t/vectors`);
  const input = files.map(({ file, doc }) => ({ bin: file.replace('.cases.json', '.bin'), contexts: doc.cases.map((c) => c.context) }));
  decided = await page.evaluate(async (input) => {
    const { default: init, Kairos } = await import('/pkg/kairos.js');
    await init({ module_or_path: '/pkg/kairos_bg.wasm' });
    const out = [];
    for (const { bin, contexts } of input) {
      const engine = Kairos.load(new Uint8Array(await (await fetch(`/bundles/vectors/${bin}`)).arrayBuffer()));
      const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      out.push(contexts.map((ctx) => {
        try {
          const decision = engine.decide(ctx, true);
          // The same person as a resident visitor, told the events one by one, then saved and restored.
          const { customer_id, consent, profile, scores, timezone, utc_offset, now, session, geo, event } = ctx;
          const visitor = engine.visitor(defined({ customer_id, consent, profile, scores, timezone, utc_offset }));
          for (const e of ctx.events ?? []) visitor.track(e);
          const moment = defined({ now, session, geo, timezone, utc_offset, event });
          const tracked = visitor.decide(moment, true);
          const restored = engine.restore(visitor.save()).decide(moment, true);
          return { decision, tracked, restored };
        } catch (e) { return { error: `${e.code ?? ''} ${e.message}` }; }
      }));
    }
    return out;
  }, input);
  assert.deepEqual(errors, []);
});

after(async () => {
  await browser?.close();
  server?.close();
});

files.forEach(({ file, doc }, i) => {
  test(`the page module in Chromium decides as written, by context and by visitor: ${file}`, () => {
    const failures = [];
    doc.cases.forEach((c, j) => {
      const { decision, tracked, restored, error } = decided[i][j];
      const problems = error ? [`decide failed: ${error}`] : compare(c, decision);
      if (!error) {
        for (const [how, d] of [['visitor', tracked], ['restored visitor', restored]]) {
          problems.push(...compare(c, d).map((p) => `${how}: ${p}`));
          if (JSON.stringify(d) !== JSON.stringify(decision)) problems.push(`${how} differs from decide(context)`);
        }
      }
      for (const p of problems) failures.push(`${file} › ${c.name}: ${p}`);
    });
    assert.ok(failures.length === 0, `${failures.length} mismatch(es):\n${failures.join('\n')}`);
  });
});
