// Starts the built worker (build/worker, from scripts/build-worker.sh) in workerd through
// Miniflare, with local KV, and a real origin HTTP server on loopback for proxy mode.
import { Miniflare } from 'miniflare';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const HISTORY_KEY = 'test-history-key-0123456789abcdef';
export const IDENTITY_KEY = 'test-identity-key-0123456789abcdef';
export const DEBUG_TOKEN = 'test-debug-token-0123';
export const TRACK = JSON.stringify([
  { prefix: '/cart/', event: 'cart_viewed', id_prop: 'product_id' },
  { prefix: '/product/', event: 'product_viewed', id_prop: 'product_id' },
]);
const CLI = path.join(ROOT, 'target/debug/kairos');

/** Compiles rules (a path under ROOT, or a rules object) with the native CLI; returns bundle bytes. */
export function compile(rules) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kairos-'));
  const src = typeof rules === 'string' ? path.join(ROOT, rules) : path.join(dir, 'rules.json');
  if (typeof rules !== 'string') fs.writeFileSync(src, JSON.stringify(rules));
  execFileSync(CLI, ['compile', src, '-o', path.join(dir, 'bundle.bin')]);
  // A view over its own ArrayBuffer: Miniflare's KV proxy refuses pooled Node Buffers.
  return new Uint8Array(fs.readFileSync(path.join(dir, 'bundle.bin')));
}

/** Decides natively with the CLI (the reference the worker must match). */
export function decideNative(rulesPath, contextText, explain = false) {
  const args = ['decide', '--bundle', path.join(ROOT, rulesPath), '--context', '-'];
  if (explain) args.push('--explain');
  return JSON.parse(execFileSync(CLI, args, { input: contextText }).toString());
}

/**
 * An origin whose routes are (req, res) handlers keyed by path; unknown paths get a small page.
 * Returns { url, close, routes } so tests can add routes.
 */
export async function startOrigin(routes = {}) {
  const server = http.createServer((req, res) => {
    const route = routes[new URL(req.url, 'http://x').pathname];
    if (route) return route(req, res);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=600' });
    res.end(page(req.url));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    routes,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

export function page(title = 'page') {
  return `<!doctype html><html><head><title>${title}</title></head><body>
<section data-kairos-slot="hero"><h2>Default hero</h2></section>
<p><a data-kairos-slot="cta" href="/signup">Sign up</a></p>
<div data-kairos-slot="offer"></div>
<div data-kairos-slot="home_banner">Default banner</div>
<div data-kairos-slot="cross_sell">Default cross-sell</div>
<div data-kairos-slot="service_notice"></div>
<div data-kairos-slot="plan"></div>
<div data-kairos-slot="not_in_bundle">Untouched</div>
</body></html>`;
}

/** The built Worker as Miniflare loads it (build/worker, from scripts/build-worker.sh). */
export const WORKER_SCRIPT = {
  modules: true,
  scriptPath: path.join(ROOT, 'build/worker/shim.mjs'),
  modulesRoot: path.join(ROOT, 'build/worker'),
  modulesRules: [
    { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
    { type: 'CompiledWasm', include: ['**/*.wasm'] },
  ],
  compatibilityDate: '2025-09-01',
};

export async function startWorker({ origin, bindings = {} } = {}) {
  const mf = new Miniflare({
    ...WORKER_SCRIPT,
    kvNamespaces: ['KAIROS'],
    bindings: {
      ORIGIN: origin ?? 'http://127.0.0.1:9', HISTORY_KEY, IDENTITY_KEY, DEBUG_TOKEN, TRACK, BUNDLE_TTL_SECONDS: '0', ...bindings,
    },
  });
  await mf.ready;
  const kv = await mf.getKVNamespace('KAIROS');
  return { mf, kv, fetch: (url, init) => mf.dispatchFetch(new URL(url, 'http://shop.test').href, init) };
}

/** The customer-id cookie value as a site signs it (crates/kairos-edge/src/identity.rs): `<id>.<base64url HMAC-SHA256>`. */
export function signId(id, key = IDENTITY_KEY) {
  return `${id}.${crypto.createHmac('sha256', key).update(`kairos-uid1|${id}`).digest('base64url')}`;
}

/** Consent + signed customer cookies, plus any extra cookie pairs. */
export function cookies(customer, { consent = true, extra = [] } = {}) {
  return [`kairos_uid=${signId(customer)}`, `kairos_consent=${consent ? 1 : 0}`, ...extra].join('; ');
}

export const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';

/** An Etc/GMT zone in which the local hour is now `hour` (scenario rules read local time). */
export function zoneAtLocalHour(hour) {
  let offset = (((hour - new Date().getUTCHours()) % 24) + 24) % 24;
  if (offset > 12) offset -= 24;
  if (offset === 0) return 'Etc/GMT';
  return `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`; // POSIX sign: Etc/GMT-3 is UTC+3
}

export const iso = (msAgo) => new Date(Date.now() - msAgo).toISOString();
export const HOUR = 3600e3;
export const DAY = 24 * HOUR;

/** The page as a visitor sees it: without the edge's state island and the inert templates that
 *  keep the origin's markup of rewritten slots (docs/handoff.md). */
export function visible(html) {
  return html
    .replace(/<script type="application\/json" id="kairos-state">[\s\S]*?<\/script>/, '')
    .replace(/<template data-kairos-origin>[\s\S]*?<\/template>/g, '');
}

/** The edge's state island in a page, parsed (null when there is none). */
export function stateIn(html) {
  const m = html.match(/<script type="application\/json" id="kairos-state">([\s\S]*?)<\/script>/);
  return m ? JSON.parse(m[1]) : null;
}

/** The variant a rewritten page shows in a slot (null: the page's own default). */
export function variantIn(html, slot) {
  const m = html.match(new RegExp(`<[a-z0-9]+ data-kairos-slot="${slot}"[^>]*>`));
  if (!m) throw new Error(`slot ${slot} not in page`);
  return m[0].match(/data-kairos-variant="([^"]*)"/)?.[1] ?? null;
}

export function setCookieValue(res, name) {
  const all = res.headers.getSetCookie ? res.headers.getSetCookie() : [res.headers.get('set-cookie') ?? ''];
  const hit = all.find((c) => c.startsWith(`${name}=`));
  return hit === undefined ? undefined : hit.slice(name.length + 1).split(';')[0];
}
