// Faults at the edge, in workerd: a KV that throws, stalls past its budget or holds garbage (a
// wrapped binding standing in for KV), an origin that fails, stalls or resets the connection, and
// oversized headers. The visitor always gets the origin's page or the defaults; kairos answers
// 5xx only when the origin did (its status passes through) or could not be reached at all; each
// fault logs one line with nothing personal in it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Miniflare } from 'miniflare';
import { cookies, HISTORY_KEY, IDENTITY_KEY, IPHONE, page, startOrigin, TRACK, WORKER_SCRIPT } from './harness.mjs';

// A KV namespace whose every read does what MODE says (workers-rs calls get(key, {type})).
const FAKE_KV = `
export default function (env) {
  return {
    async get(key, options) {
      if (env.MODE === 'throws') throw new Error('KV is down');
      if (env.MODE === 'stalls') { await new Promise((r) => setTimeout(r, 3000)); return null; }
      if (env.MODE === 'garbage') {
        const bytes = new TextEncoder().encode('KAIROS garbage, not a bundle: {"profile": 7}');
        return (options?.type ?? options) === 'arrayBuffer' ? bytes.buffer : new TextDecoder().decode(bytes);
      }
      return null;
    },
  };
}`;

/** The worker with KV replaced by the fake in `mode`; its log lines collected. */
async function startFaultyWorker(mode, originUrl) {
  const log = [];
  const collect = (stream) => stream.on('data', (chunk) => log.push(...String(chunk).split('\n').filter((l) => l.includes('kairos:'))));
  const mf = new Miniflare({
    handleRuntimeStdio: (stdout, stderr) => { collect(stdout); collect(stderr); },
    workers: [
      {
        name: 'kairos',
        ...WORKER_SCRIPT,
        wrappedBindings: { KAIROS: { scriptName: 'fake-kv', bindings: { MODE: mode } } },
        bindings: { ORIGIN: originUrl, HISTORY_KEY, IDENTITY_KEY, TRACK, BUNDLE_TTL_SECONDS: '60', KV_BUDGET_MS: '100' },
      },
      { name: 'fake-kv', modules: true, script: FAKE_KV },
    ],
  });
  await mf.ready;
  return { mf, log, fetch: (url, init) => mf.dispatchFetch(new URL(url, 'http://shop.test').href, init) };
}

const settle = () => new Promise((r) => setTimeout(r, 200));

function assertImpersonal(lines) {
  for (const line of lines) {
    for (const secret of ['shopper-', HISTORY_KEY, IDENTITY_KEY, 'iPhone', 'shop.test']) {
      assert.ok(!line.includes(secret), `log line leaks ${secret}: ${line}`);
    }
  }
}

let origin;
before(async () => {
  origin = await startOrigin({
    '/broken': (req, res) => { res.writeHead(500, { 'content-type': 'text/html' }); res.end('<p>origin error page</p>'); },
    '/slow': (req, res) => setTimeout(() => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page('slow')); }, 1500),
    '/reset': (req) => req.socket.destroy(),
  });
});
after(async () => origin?.close());

for (const mode of ['throws', 'stalls', 'garbage']) {
  describe(`KV ${mode}`, () => {
    let w;
    before(async () => { w = await startFaultyWorker(mode, origin.url); });
    after(async () => w?.mf.dispose());

    test('pages are decided with the built-in bundle, the APIs answer 200, one log line', async () => {
      const headers = { cookie: cookies('shopper-1'), 'user-agent': IPHONE };
      const res = await w.fetch('/', { headers });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-kairos-bundle'), 'builtin');
      assert.match(await res.text(), /data-kairos-slot="hero"/);
      const api = await w.fetch('/v1/decide', { headers });
      assert.equal(api.status, 200);
      assert.ok((await api.json()).slots.hero.variant);
      await settle();
      // The bundle read fails once (then the fallback is cached); the customer record read once per request.
      assert.equal(w.log.filter((l) => l.includes('KV bundle')).length, 1, w.log.join('\n'));
      assert.equal(w.log.filter((l) => l.includes('customer record')).length, 2, w.log.join('\n'));
      assert.equal(w.log.length, 3, w.log.join('\n'));
      assertImpersonal(w.log);
    });
  });
}

describe('origin faults', () => {
  let w;
  before(async () => { w = await startFaultyWorker('empty', origin.url); });
  after(async () => w?.mf.dispose());

  test('an origin 500 passes through with its own status and body, unpersonalised', async () => {
    const res = await w.fetch('/broken');
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '<p>origin error page</p>');
    assert.equal(res.headers.get('x-kairos-bundle'), null);
  });

  test('a slow origin is waited for and its page personalised', async () => {
    const res = await w.fetch('/slow', { headers: { 'user-agent': IPHONE } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<title>slow<\/title>/);
    assert.equal(res.headers.get('x-kairos-bundle'), 'builtin');
  });

  test('a reset connection is a coded 502 and one log line', async () => {
    const before = w.log.length;
    const res = await w.fetch('/reset');
    assert.equal(res.status, 502);
    assert.equal((await res.json()).error.code, 'E_ORIGIN_UNREACHABLE');
    await settle();
    assert.deepEqual(w.log.slice(before).map((l) => l.trim().replace(/^.*kairos:/, 'kairos:')), ['kairos: origin unreachable']);
  });

  test('oversized headers: the page still comes through, never a kairos 5xx', async () => {
    const big = 'x'.repeat(12 * 1024);
    const headers = { cookie: `${cookies('shopper-2')}; kairos_h=${big}`, 'user-agent': `${IPHONE} ${big}`, referer: big };
    for (let i = 0; i < 20; i++) headers[`x-pad-${i}`] = big.slice(0, 2000);
    const res = await w.fetch('/', { headers });
    assert.ok(res.status < 500, `status ${res.status}`);
    if (res.status === 200) assert.match(await res.text(), /data-kairos-slot="hero"/);
    assertImpersonal(w.log);
  });
});

test('no origin listening at all: a coded 502', async () => {
  const dead = http.createServer();
  await new Promise((r) => dead.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${dead.address().port}`;
  await new Promise((r) => dead.close(r));
  const w = await startFaultyWorker('empty', url);
  try {
    const res = await w.fetch('/');
    assert.equal(res.status, 502);
    assert.equal((await res.json()).error.code, 'E_ORIGIN_UNREACHABLE');
  } finally {
    await w.mf.dispose();
  }
});
