// Load test of the worker on workerd (Miniflare on a loopback port) with wrk: pass-through
// of a 100 KB non-HTML body, POST /v1/decide, and the streamed rewrite of a 100 KB HTML page
// with three slots. The rewrite minus the pass-through is what kairos adds to a page.
// Run by benches/worker.sh (builds first); prints a Markdown table.
import { Miniflare } from 'miniflare';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const DURATION = process.env.DURATION || '10s';
const IDENTITY_KEY = 'bench-identity-key-0123456789abcdef';
const CONNECTIONS = process.env.CONNECTIONS || '8';

const slots = '<section data-kairos-slot="hero"><h2>Default</h2></section><a data-kairos-slot="cta" href="/signup">Sign up</a><div data-kairos-slot="offer"></div>';
const filler = '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>\n';
const body = `<!doctype html><html><head><title>bench</title></head><body>${slots}${filler.repeat(Math.ceil(100_000 / filler.length))}</body></html>`;

const origin = http.createServer((req, res) => {
  const type = req.url.startsWith('/page') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
await new Promise((r) => origin.listen(0, '127.0.0.1', r));

const mf = new Miniflare({
  modules: true,
  scriptPath: path.join(ROOT, 'build/worker/shim.mjs'),
  modulesRoot: path.join(ROOT, 'build/worker'),
  modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: '2025-09-01',
  kvNamespaces: ['KAIROS'],
  bindings: { ORIGIN: `http://127.0.0.1:${origin.address().port}`, HISTORY_KEY: 'bench-history-key-0123456789abcdef', IDENTITY_KEY, BUNDLE_TTL_SECONDS: '60' },
  host: '127.0.0.1',
  port: 0,
});
const url = await mf.ready;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kairos-wrk-'));
const context = fs.readFileSync(path.join(ROOT, 'examples/demo/context.json'), 'utf8');
const signedId = `cust-42.${crypto.createHmac('sha256', IDENTITY_KEY).update('kairos-uid1|cust-42').digest('base64url')}`;
const cookie = `kairos_uid=${signedId}; kairos_consent=1`;
const ua = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
const script = (method, payload, withCookie = true) => {
  const file = path.join(dir, `${method}-${withCookie}.lua`);
  fs.writeFileSync(file, [
    `wrk.method = "${method}"`,
    withCookie ? `wrk.headers["cookie"] = "${cookie}"` : '',
    `wrk.headers["user-agent"] = "${ua}"`,
    `wrk.headers["accept-encoding"] = "identity"`,
    payload ? `wrk.body = ${JSON.stringify(payload)}` : '',
  ].join('\n'));
  return file;
};

// Asynchronous: the origin server lives in this process and must keep answering.
async function run(name, pathname, lua) {
  const { stdout: out } = await promisify(execFile)('wrk', [`-t${Math.min(2, Number(CONNECTIONS))}`, `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', '-s', lua, `${url.href.replace(/\/$/, '')}${pathname}`]);
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]);
  const pct = (p) => out.match(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`)).slice(1);
  const ms = ([v, unit]) => Number(v) * (unit === 'us' ? 1e-3 : unit === 's' ? 1e3 : 1);
  const errors = out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? '0';
  return { name, rps, p50: ms(pct(50)), p99: ms(pct(99)), errors };
}

// Warm the isolate (bundle compiled, JIT warm) before measuring.
for (const p of ['/page', '/plain']) await (await fetch(`${url.href.replace(/\/$/, '')}${p}`, { headers: { cookie } })).text();

const rows = [
  await run('pass-through, 100 KB text/plain', '/plain', script('GET')),
  await run('POST /v1/decide (demo context)', '/v1/decide', script('POST', context)),
  await run('rewrite, 100 KB HTML, 3 slots (consent: KV record read, history cookie)', '/page', script('GET')),
  await run('100 KB HTML, no consent (all defaults: no KV, no rewrite)', '/page', script('GET', null, false)),
];
console.log(`wrk -t${Math.min(2, Number(CONNECTIONS))} -c${CONNECTIONS} -d${DURATION} --latency against workerd (Miniflare) on 127.0.0.1\n`);
console.log('| route | req/s | p50 ms | p99 ms | non-2xx |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`);
// Sustained load across the routes (page rewrite, pass-through, POST and GET /v1/decide), one
// after another on every connection: requests, errors (must be 0) and latency over the whole run.
const mixed = path.join(dir, 'mixed.lua');
fs.writeFileSync(mixed, `
local n = 0
local ctx = ${JSON.stringify(context)}
local paths = { "/page", "/plain", "/v1/decide", "/v1/decide" }
request = function()
  n = n + 1
  local k = n % 4 + 1
  local headers = { ["cookie"] = "${cookie}", ["user-agent"] = "${ua}", ["accept-encoding"] = "identity" }
  if k == 3 then
    headers["content-type"] = "application/json"
    return wrk.format("POST", paths[k], headers, ctx)
  end
  return wrk.format("GET", paths[k], headers)
end
`);
const SUSTAINED = process.env.SUSTAINED || '60s';
const { stdout: sustainedOut } = await promisify(execFile)('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SUSTAINED}`, '--latency', '-s', mixed, url.href.replace(/\/$/, '')], { maxBuffer: 1 << 20 });
const total = Number(sustainedOut.match(/(\d+) requests in/)[1]);
const non2xx = Number(sustainedOut.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
const socket = sustainedOut.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/)?.slice(1).map(Number) ?? [0, 0, 0, 0];
const socketErrors = socket.reduce((a, b) => a + b, 0);
const at = (p) => { const m = sustainedOut.match(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`)); return Number(m[1]) * (m[2] === 'us' ? 1e-3 : m[2] === 's' ? 1e3 : 1); };
console.log(`\nsustained: wrk -t2 -c${CONNECTIONS} -d${SUSTAINED}, the four routes in turn on each connection`);
console.log(`requests ${total}, errors ${non2xx + socketErrors} (non-2xx ${non2xx}, socket ${socketErrors}), p50 ${at(50).toFixed(2)} ms, p99 ${at(99).toFixed(2)} ms`);
if (non2xx + socketErrors > 0) process.exitCode = 1;

const [plain, , page, parseOnly] = rows;
console.log(`\nadded by kairos on a 100 KB page: p50 ${(page.p50 - plain.p50).toFixed(2)} ms, p99 ${(page.p99 - plain.p99).toFixed(2)} ms`);
console.log(`added without consent (decide only): p50 ${(parseOnly.p50 - plain.p50).toFixed(2)} ms, p99 ${(parseOnly.p99 - plain.p99).toFixed(2)} ms`);
const wasm = fs.readFileSync(path.join(ROOT, 'build/worker/index_bg.wasm'));
const gz = (await import('node:zlib')).gzipSync(wasm, { level: 9 }).length;
console.log(`worker wasm: ${wasm.length} bytes, ${gz} gzipped`);
await mf.dispose();
origin.close();
