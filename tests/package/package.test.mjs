// The npm package as a new team meets it (the automerge packaging_tests idea). It is packed by
// scripts/package.sh and the tarball is installed into a fresh project. The project uses it from:
// - Node ESM and Node CJS;
// - an esbuild browser bundle in Chromium, and the React example (OpenFeature's React SDK);
// - the README's install command and one tag;
// - a Worker built by `wrangler deploy --dry-run` (the workerd condition), then run in workerd;
// - TypeScript --strict under node16 and bundler resolution.
// publint and attw check the tarball. Every way decides the demo context as the native CLI does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { launchChromium } from '../browser/chromium.mjs';
import { ROOT, compile, decideNative } from '../worker/harness.mjs';

const bin = (name) => path.join(ROOT, 'node_modules/.bin', name);
const NAME = 'kairos-engine';
const CONTEXT = fs.readFileSync(path.join(ROOT, 'examples/demo/context.json'), 'utf8');
let app, tarball, expected, browser;

const write = (rel, text) => {
  fs.mkdirSync(path.dirname(path.join(app, rel)), { recursive: true });
  fs.writeFileSync(path.join(app, rel), text);
};
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: app, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...opts });

before(async () => {
  tarball = run('bash', [path.join(ROOT, 'scripts/package.sh')], { cwd: ROOT }).trim().split('\n').pop();
  assert.ok(fs.existsSync(tarball), `package.sh printed ${tarball}`);
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'kairos-package-'));
  write('package.json', JSON.stringify({ name: 'package-test', version: '0.0.0', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball]);
  fs.writeFileSync(path.join(app, 'bundle.bin'), compile('examples/demo/rules.json'));
  write('context.json', CONTEXT);
  expected = decideNative('examples/demo/rules.json', CONTEXT);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

/** Serves `files` (URL path → [content type, body]) on loopback. */
async function serve(files) {
  const server = createServer((req, res) => {
    const file = files[new URL(req.url, 'http://x').pathname];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

/** Opens `site` in a fresh Chromium context, runs `check(page)`, and asserts the page threw nothing. */
async function inChromium(site, check) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(site.base + '/');
    await check(page);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await site.close();
  }
}

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.ts': 'text/plain', '.json': 'application/json', '.bin': 'application/octet-stream' };
/** Every file under `dir`, keyed by `prefix` + its relative path. */
function tree(dir, prefix) {
  const out = {};
  for (const rel of fs.readdirSync(dir, { recursive: true })) {
    const full = path.join(dir, rel);
    if (fs.statSync(full).isFile()) out[prefix + rel.split(path.sep).join('/')] = [TYPES[path.extname(rel)] || 'application/octet-stream', fs.readFileSync(full)];
  }
  return out;
}

test('the OpenFeature server provider, installed beside @openfeature/server-sdk, answers as the native CLI', () => {
  run('npm', ['install', '--no-audit', '--no-fund', '--offline', '@openfeature/server-sdk@1.23.0', '@openfeature/core@1.12.0']);
  write('openfeature.mjs', `import { readFileSync } from 'node:fs';
import { OpenFeature } from '@openfeature/server-sdk';
import { KairosProvider } from '${NAME}/openfeature/server';
const context = JSON.parse(readFileSync('context.json', 'utf8'));
const { customer_id: targetingKey, ...rest } = context;
await OpenFeature.setProviderAndWait(new KairosProvider({ bundle: () => new Uint8Array(readFileSync('bundle.bin')) }));
const client = OpenFeature.getClient();
const out = {};
for (const slot of ['cta', 'hero', 'offer']) {
  const d = await client.getObjectDetails(slot, {}, { targetingKey, ...rest });
  out[slot] = { variant: d.variant, content: d.value, reason: d.flagMetadata.kairosReason };
}
console.log(JSON.stringify(out));
`);
  const got = JSON.parse(run('node', ['openfeature.mjs']));
  for (const slot of ['cta', 'hero', 'offer']) {
    assert.deepEqual(got[slot], { variant: expected.slots[slot].variant, content: expected.slots[slot].content, reason: expected.slots[slot].reason }, slot);
  }
});

test('Node ESM and CJS decide as the native CLI, with one instance behind both', () => {
  write('esm.mjs', `import { readFileSync } from 'node:fs';
import { Kairos } from '${NAME}';
const engine = Kairos.load(readFileSync('bundle.bin'));
console.log(JSON.stringify(engine.decide(JSON.parse(readFileSync('context.json', 'utf8')))));
`);
  write('cjs.cjs', `const { readFileSync } = require('node:fs');
const { Kairos } = require('${NAME}');
const engine = Kairos.load(readFileSync('bundle.bin'));
console.log(JSON.stringify(engine.decide(JSON.parse(readFileSync('context.json', 'utf8')))));
import('${NAME}').then((esm) => { if (esm.Kairos !== Kairos) throw new Error('two instances'); });
`);
  assert.deepEqual(JSON.parse(run('node', ['esm.mjs'])), expected);
  assert.deepEqual(JSON.parse(run('node', ['cjs.cjs'])), expected);
});

test('an esbuild browser bundle emits and resolves the wasm, and decides in Chromium as natively', async () => {
  write('browser/main.js', `import init, { Kairos } from '${NAME}';
import wasmUrl from '${NAME}/wasm';
await init({ module_or_path: wasmUrl });
const bundle = new Uint8Array(await (await fetch('/bundle.bin')).arrayBuffer());
const context = await (await fetch('/context.json')).json();
window.result = Kairos.load(bundle).decide(context);
`);
  run(bin('esbuild'), ['browser/main.js', '--bundle', '--format=esm', '--platform=browser', '--loader:.wasm=file', '--outdir=dist', '--log-level=warning']);
  const emitted = fs.readdirSync(path.join(app, 'dist')).filter((f) => f.endsWith('.wasm'));
  assert.equal(emitted.length, 1, `one .wasm emitted: ${emitted}`);
  const site = await serve({
    '/': ['text/html', '<!doctype html><script type="module" src="/main.js"></script>'],
    ...tree(path.join(app, 'dist'), '/'),
    '/bundle.bin': ['application/octet-stream', fs.readFileSync(path.join(app, 'bundle.bin'))],
    '/context.json': ['application/json', CONTEXT],
  });
  await inChromium(site, async (page) => {
    await page.waitForFunction(() => window.result, null, { timeout: 10000 });
    assert.deepEqual(await page.evaluate(() => window.result), expected);
  });
});

test('the React example (examples/react): OpenFeature\'s React SDK and the web provider, bundled by esbuild, in Chromium', async () => {
  run('npm', ['install', '--no-audit', '--no-fund', '--offline', '@openfeature/react-sdk@1.4.1', '@openfeature/web-sdk@1.10.0', '@openfeature/core@1.12.0', 'react@19.3.1', 'react-dom@19.3.1']);
  write('react/app.jsx', fs.readFileSync(path.join(ROOT, 'examples/react/app.jsx'), 'utf8'));
  run(bin('esbuild'), ['react/app.jsx', '--bundle', '--format=esm', '--platform=browser', '--loader:.wasm=file', '--outdir=react-dist', '--log-level=warning', '--define:process.env.NODE_ENV="production"']);
  const site = await serve({
    '/': ['text/html', '<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>'],
    ...tree(path.join(app, 'react-dist'), '/'),
    '/bundle.bin': ['application/octet-stream', fs.readFileSync(path.join(app, 'bundle.bin'))],
  });
  // What kairos decides natively for the example's visitor, before and after the product view.
  const visitor = { customer_id: 'cust-42', now: '2026-11-23T17:30:00Z', timezone: 'Europe/Paris', consent: { personalization: true } };
  const before = decideNative('examples/demo/rules.json', JSON.stringify(visitor));
  const after = decideNative('examples/demo/rules.json', JSON.stringify({ ...visitor, session: { product_views: [{ id: 'sku-77', category: 'running' }] } }));
  assert.notEqual(before.slots.hero.variant, after.slots.hero.variant, 'the product view changes the hero');
  await inChromium(site, async (page) => {
    const hero = (variant) => page.waitForSelector(`#hero[data-variant="${variant}"]`, { timeout: 10000 });
    await hero(before.slots.hero.variant);
    assert.equal(await page.$eval('#hero', (e) => e.innerHTML), before.slots.hero.content.html);
    assert.equal(await page.$eval('#cta', (e) => e.dataset.variant), before.slots.cta.variant);
    await page.click('#browse');
    await hero(after.slots.hero.variant);
    assert.equal(await page.$eval('#hero', (e) => e.innerHTML), after.slots.hero.content.html);
    assert.equal(await page.$eval('#hero', (e) => e.dataset.reason), 'TARGETING_MATCH');
  });
});

/** The README's install section: its `npm install` command and its one tag. */
function readmeInstall() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Install'), readme.indexOf('\n## ', readme.indexOf('## Install') + 1));
  const install = section.match(/^npm install (\S+)$/m);
  const tag = section.match(/^<script src="([^"]+)" data-bundle="([^"]+)"[^>]*><\/script>$/m);
  assert.ok(install && tag, 'README has an Install section with `npm install <name>` and one <script> tag');
  return { name: install[1], tag: tag[0], src: tag[1], bundle: tag[2] };
}

test("the README's install command and one tag personalise a page from the installed package", async () => {
  const { name, tag, src, bundle } = readmeInstall();
  assert.equal(name, NAME);
  // The tag's directory is the package's page/ served as it is.
  const dir = src.slice(0, src.lastIndexOf('/') + 1);
  const site = await serve({
    '/': ['text/html', `<!doctype html><html><head>${tag}</head><body>
<section data-kairos-slot="hero"><h2>Default hero</h2></section><a data-kairos-slot="cta" href="/signup">Sign up</a></body></html>`],
    ...tree(path.join(app, 'node_modules', NAME, 'page'), dir),
    [bundle]: ['application/octet-stream', fs.readFileSync(path.join(app, 'bundle.bin'))],
    '/favicon.ico': ['image/x-icon', ''],
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    // Consent given earlier, and an anonymous id outside the demo bundle's holdout.
    await page.addInitScript(() => {
      localStorage.setItem('kairos:consent', JSON.stringify({ personalization: true }));
      localStorage.setItem('kairos:aid', 'aAQEBAQEBAQEBAQEBAQEBAQ'); // bucket 7866 for salt demo-2026
    });
    await page.goto(site.base + '/');
    await page.waitForFunction(() => window.kairos && window.kairos.lastDecision, null, { timeout: 10000 });
    const { decision, variants } = await page.evaluate(() => ({
      decision: window.kairos.lastDecision,
      variants: Object.fromEntries([...document.querySelectorAll('[data-kairos-slot]')].map((el) => [el.dataset.kairosSlot, el.getAttribute('data-kairos-variant')])),
    }));
    assert.equal(decision.consent, true);
    assert.deepEqual(Object.keys(decision.slots), Object.keys(expected.slots));
    for (const slot of ['hero', 'cta']) {
      const d = decision.slots[slot];
      assert.equal(variants[slot], d.is_default ? null : d.variant, `${slot} shows its decision`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await site.close();
  }
});

test('wrangler deploy --dry-run resolves the workerd condition, and the Worker decides in workerd', async () => {
  write('worker/wrangler.toml', 'name = "package-test"\nmain = "src/index.js"\ncompatibility_date = "2025-09-01"\n');
  write('worker/src/index.js', `import { Kairos } from '${NAME}';
import { createWorker } from '${NAME}/worker';

const edge = createWorker();
export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname !== '/core') return edge.fetch(request, env, ctx);
    const bundle = new Uint8Array(await env.KAIROS.get('bundle', 'arrayBuffer'));
    return Response.json(Kairos.load(bundle).decide(await request.json()));
  },
};
`);
  const cwd = path.join(app, 'worker');
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', XDG_CONFIG_HOME: path.join(app, '.config') };
  run(bin('wrangler'), ['deploy', '--dry-run', '--outdir', 'dist'], { cwd, env });
  const out = fs.readdirSync(path.join(cwd, 'dist'));
  const script = fs.readFileSync(path.join(cwd, 'dist', 'index.js'), 'utf8');
  assert.match(script, /initSync\(\{ module: \w+ \}\)/, 'the workerd entry (instantiated at import) was bundled');
  assert.equal(out.filter((f) => f.endsWith('.wasm')).length, 2, `the core's and the edge Worker's wasm: ${out}`);

  const mf = new Miniflare({
    modules: true,
    scriptPath: path.join(cwd, 'dist/index.js'),
    modulesRoot: path.join(cwd, 'dist'),
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2025-09-01',
    kvNamespaces: ['KAIROS'],
    bindings: { ORIGIN: 'http://127.0.0.1:9' },
  });
  try {
    const kv = await mf.getKVNamespace('KAIROS');
    // A view over its own ArrayBuffer: Miniflare's KV proxy refuses pooled Node Buffers.
    await kv.put('bundle', new Uint8Array(fs.readFileSync(path.join(app, 'bundle.bin'))));
    const core = await mf.dispatchFetch('http://shop.test/core', { method: 'POST', body: CONTEXT });
    assert.deepEqual(await core.json(), expected);
    const posted = await mf.dispatchFetch('http://shop.test/v1/decide', { method: 'POST', body: CONTEXT });
    assert.equal(posted.headers.get('x-kairos-bundle'), 'kv');
    assert.deepEqual(await posted.json(), expected);
  } finally {
    await mf.dispose();
  }
});

test('tsc --strict accepts the package under node16 and bundler resolution, and real decisions as its types', () => {
  // Real decisions as object literals of the generated types: a missing or undeclared key fails.
  const explained = decideNative('examples/demo/rules.json', CONTEXT, true);
  const decisions = `import type { Decision } from '${NAME}';\nexport const decisions: Decision[] = ${JSON.stringify([expected, explained], null, 1)};\n`;
  write('ts/node16/decisions.mts', decisions);
  write('ts/node16/esm.mts', `import { Kairos, type Decision, type Reason, type KairosError, type ErrorCode } from '${NAME}';
import { decisions } from './decisions.mjs';
declare const bytes: Uint8Array;
const engine: Kairos = Kairos.load(bytes);
const visitor = engine.visitor({ customer_id: 'c-1', consent: { personalization: true } });
visitor.track({ event: 'cart_viewed', timestamp: Date.now() });
const decision: Decision = visitor.decide({ now: Date.now() });
const reason: Reason = decision.slots['hero']!.reason;
try { engine.render('hero', { now: 0 }); } catch (e) { const code: ErrorCode = (e as KairosError).code; console.log(code); }
console.log(reason, decisions.length);
`);
  write('ts/node16/cjs.cts', `import kairos = require('${NAME}');
declare const bytes: Uint8Array;
const d: kairos.Decision = kairos.decide(bytes, { now: '2026-11-23T18:30:00Z' });
export const variant: string = d.slots['hero']!.variant;
`);
  write('ts/bundler/decisions.ts', decisions);
  write('ts/bundler/main.ts', `import init, { Kairos, type PageDecision } from '${NAME}';
import wasmUrl from '${NAME}/wasm';
import { createKairos, type KairosApi } from '${NAME}/page';
import worker, { createWorker, type KairosWorker } from '${NAME}/worker';
import { decisions } from './decisions';
await init({ module_or_path: wasmUrl });
declare const bytes: Uint8Array;
const page: PageDecision = Kairos.load(bytes).decidePage({ now: 0 });
const api: KairosApi = createKairos({ bundleUrl: '/kairos/bundle.bin' });
const edge: KairosWorker = createWorker({ vars: { ORIGIN: 'https://shop.example' } });
console.log(page.patches, api.lastDecision, edge === worker, decisions.length);
`);
  const base = { strict: true, noEmit: true, target: 'es2022', lib: ['es2022', 'dom'], types: [], skipLibCheck: false };
  write('ts/node16/tsconfig.json', JSON.stringify({ compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, include: ['*.mts', '*.cts'] }));
  write('ts/bundler/tsconfig.json', JSON.stringify({ compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' }, include: ['*.ts'] }));
  for (const dir of ['ts/node16', 'ts/bundler']) {
    try {
      run(bin('tsc'), ['-p', path.join(app, dir)]);
    } catch (e) {
      assert.fail(`tsc -p ${dir}:\n${e.stdout}${e.stderr}`);
    }
  }
});

test('publint and arethetypeswrong report nothing', () => {
  const installed = path.join(app, 'node_modules', NAME);
  const lint = run(bin('publint'), ['--strict', installed]);
  assert.match(lint, /All good/, lint);
  // The root entry is dual (ESM and CJS) and checked under every resolution; the page runtime, the
  // tag, the Worker and the wasm asset are ESM-only by design, checked under the esm-only profile.
  const attw = (args) => {
    try {
      return run(bin('attw'), [tarball, '--no-color', '--no-emoji', ...args]);
    } catch (e) {
      return assert.fail(`attw ${args.join(' ')}:\n${e.stdout}${e.stderr}`);
    }
  };
  attw(['--entrypoints', '.']);
  attw(['--profile', 'esm-only', '--entrypoints', './page', './page/tag', './worker', './wasm', './openfeature/server', './openfeature/web']);
});
