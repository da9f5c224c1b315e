// Page-script budgets in real headless Chromium: gzipped sizes, load + instantiate time,
// first decision after the script runs, and how long slots stay hidden.
// Run: bash benches/browser.sh
import { gzipSync } from 'node:zlib';
import { readFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../www/serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const gz = (p) => gzipSync(readFileSync(join(root, p)), { level: 9 }).length;
// What the tag makes the page download: the wasm, the runtime bundled with its glue, the tag.
const files = ['www/pkg/kairos_bg.wasm', 'www/kairos.min.mjs', 'www/kairos.js'];
let total = 0;
console.log('gzipped sizes (level 9):');
for (const f of files) { const n = gz(f); total += n; console.log(`  ${f.padEnd(28)} ${String(readFileSync(join(root, f)).length).padStart(8)} B raw  ${String(n).padStart(7)} B gz`); }
console.log(`  ${'total (wasm + runtime + tag)'.padEnd(28)} ${''.padStart(15)}  ${String(total).padStart(7)} B gz (goal ≤ 61,440)`);

mkdirSync(join(root, 'target/www-bundles'), { recursive: true });
execFileSync(join(root, 'target/release/kairos'), ['compile', join(root, 'examples/demo/rules.json'), '-o', join(root, 'target/www-bundles/demo.bin')]);
const server = await startServer(0);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
/** Runs in the page: marks `kairos:revealed` once the anti-flicker style is gone. */
function markReveal() {
  new MutationObserver((_, obs) => { if (!document.getElementById('kairos-hide') && document.readyState !== 'loading') { performance.mark('kairos:revealed'); obs.disconnect(); } })
    .observe(document, { childList: true, subtree: true });
}
const runs = [];
for (let i = 0; i < 15; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => localStorage.setItem('kairos:consent', '{"personalization":true}'));
  await page.addInitScript(markReveal);
  await page.goto(`${base}/shop.html`);
  await page.waitForFunction(() => performance.getEntriesByName('kairos:decided').length > 0, null, { timeout: 5000 });
  runs.push(await page.evaluate(() => {
    const t = (n) => performance.getEntriesByName(n)[0]?.startTime;
    return { script: t('kairos:script'), loaded: t('kairos:loaded'), decided: t('kairos:decided'), revealed: t('kairos:revealed') };
  }));
  await context.close();
}

// The same shop through the edge Worker (workerd via Miniflare): the page adopts the edge's
// decision from its kairos-state island (docs/handoff.md) instead of loading the engine.
const { startWorker } = await import('../tests/worker/harness.mjs');
const worker = await startWorker({ origin: base, bindings: { TRACK: '[]' } });
await worker.kv.put('bundle', new Uint8Array(readFileSync(join(root, 'target/www-bundles/demo.bin'))));
const edgeBase = (await worker.mf.ready).href.replace('127.0.0.1', 'localhost').replace(/\/$/, '');
const adopted = [];
for (let i = 0; i < 15; i++) {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'kairos_consent', value: '1', url: edgeBase }]);
  const page = await context.newPage();
  await page.addInitScript(markReveal);
  await page.goto(`${edgeBase}/shop.html`);
  await page.waitForFunction(() => performance.getEntriesByName('kairos:adopted').length > 0, null, { timeout: 5000 });
  adopted.push(await page.evaluate(() => {
    const t = (n) => performance.getEntriesByName(n)[0]?.startTime;
    return { script: t('kairos:script'), adopted: t('kairos:adopted'), revealed: t('kairos:revealed') };
  }));
  await context.close();
}
await worker.mf.dispose();
await browser.close();
server.close();
const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const warm = runs.slice(1); // the first run compiles the wasm cold
console.log(`\nChromium, demo shop on loopback, median of ${warm.length} fresh contexts (first run: cold):`);
console.log(`  script start → bundle fetched + wasm instantiated + bundle loaded: ${med(warm.map((r) => r.loaded - r.script)).toFixed(1)} ms (cold ${(runs[0].loaded - runs[0].script).toFixed(1)} ms)`);
console.log(`  script start → first decision applied:                            ${med(warm.map((r) => r.decided - r.script)).toFixed(1)} ms (cold ${(runs[0].decided - runs[0].script).toFixed(1)} ms)`);
console.log(`  loaded → decided (decision + DOM update):                         ${med(warm.map((r) => r.decided - r.loaded)).toFixed(2)} ms`);
console.log(`  slots hidden from navigation start until revealed:                ${med(warm.filter((r) => r.revealed).map((r) => r.revealed)).toFixed(1)} ms (cap 300 ms)`);

console.log(`\nThe same shop through the edge Worker (Miniflare, loopback), median of ${adopted.length} fresh contexts:`);
// The shop's "why" panel then asks for an explanation, which the island does not carry: that
// loads the engine after the adoption (tests/worker/handoff.test.mjs checks a page without one).
console.log(`  script start → edge decision adopted:                             ${med(adopted.map((r) => r.adopted - r.script)).toFixed(1)} ms`);
console.log(`  slots hidden from navigation start until revealed:                ${med(adopted.filter((r) => r.revealed).map((r) => r.revealed)).toFixed(1)} ms (cap 300 ms)`);
