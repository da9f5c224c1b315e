// The worker on a real local Workers runtime (workerd via Miniflare): decide API, streaming
// HTML rewrite, pass-through, KV bundle fallback, consent, history cookie, holdout vectors.
// One file: the routes share one worker, one origin and one KV, started once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import {
  ROOT, compile, cookies, DEBUG_TOKEN, decideNative, IPHONE, page, setCookieValue, signId, startOrigin, startWorker, variantIn, visible, stateIn,
} from './harness.mjs';

const demoContext = fs.readFileSync(path.join(ROOT, 'examples/demo/context.json'), 'utf8');
let origin;
let w;

// Lets the 1 MB test hold the origin mid-page until the client has seen the rewritten slot.
let releaseBigPage;
const bigHead = `<!doctype html><html><body><h1 data-kairos-slot="hero">Default hero</h1>${'<p>filler</p>'.repeat(4000)}`;
const bigTail = `${'<p>more filler text</p>'.repeat(45000)}<div data-kairos-slot="cta">Sign up</div><p id="end">end</p></body></html>`;

before(async () => {
  origin = await startOrigin({
    '/big': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write(bigHead);
      new Promise((r) => { releaseBigPage = r; }).then(() => res.end(bigTail));
    },
    '/data.json': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' });
      res.end('{"data-kairos-slot": "hero", "html": "<div data-kairos-slot=\\"hero\\">x</div>"}');
    },
    '/logo.png': (req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]));
    },
    '/old': (req, res) => { res.writeHead(302, { location: '/new' }); res.end(); },
    '/gone': (req, res) => { res.writeHead(404, { 'content-type': 'text/html' }); res.end(page('gone')); },
    '/ranged': (req, res) => {
      origin.seen.ranged = { range: req.headers.range, inm: req.headers['if-none-match'], fwdHost: req.headers['x-forwarded-host'] };
      if (req.headers.range) { res.writeHead(206, { 'content-type': 'text/html', 'content-range': 'bytes 0-9/100' }); return res.end('<!doctype '); }
      res.writeHead(200, { 'content-type': 'text/html', etag: '"v1"', 'accept-ranges': 'bytes' });
      res.end(page('ranged'));
    },
    '/echo': (req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { res.writeHead(201, { 'content-type': 'text/plain' }); res.end(`${req.method} ${body}`); });
    },
  });
  origin.seen = {};
  w = await startWorker({ origin: origin.url });
});

after(async () => {
  await w?.mf.dispose();
  await origin?.close();
});

describe('POST /v1/decide', () => {
  test('decides like the native CLI, with and without explanations', async () => {
    for (const explain of [false, true]) {
      const res = await w.fetch(`/v1/decide${explain ? '?explain=1' : ''}`, { method: 'POST', body: demoContext });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /application\/json/);
      assert.equal(res.headers.get('x-kairos-bundle'), 'builtin');
      assert.deepEqual(await res.json(), decideNative('examples/demo/rules.json', demoContext, explain));
    }
  });

  test('bad input is a located 400, never a 500', async () => {
    const cases = [
      ['{"now": 1, "session": {"device": 5}}', { status: 400, path: 'session.device', line: 1 }],
      ['{"now": 1,\n  "sesion": {}}', { status: 400, line: 2 }],
      ['{"now": ', { status: 400, line: 1 }],
      ['', { status: 400 }],
      ['[1, 2]', { status: 400 }],
    ];
    for (const [body, want] of cases) {
      const res = await w.fetch('/v1/decide', { method: 'POST', body });
      assert.equal(res.status, want.status, body);
      const { error } = await res.json();
      assert.ok(error.message.length > 0);
      if (want.path) assert.equal(error.path, want.path);
      if (want.line) assert.equal(error.line, want.line, body);
    }
    const big = await w.fetch('/v1/decide', { method: 'POST', body: 'x'.repeat((1 << 20) + 1) });
    assert.equal(big.status, 413);
    await big.arrayBuffer();
    const put = await w.fetch('/v1/decide', { method: 'PUT', body: demoContext });
    assert.equal(put.status, 405);
    await put.arrayBuffer();
  });
});

describe('proxy mode', () => {
  test('rewrites every slot of an HTML page and keeps it out of shared caches', async () => {
    await w.kv.put('bundle', compile('examples/scenarios/15-travel-kyc-trial.json'));
    await w.kv.put('customer/cust-15', JSON.stringify({
      profile: { home_country: 'FR', kyc_expiry: new Date(Date.now() + 7 * 864e5).toISOString(), plan: 'trial',
        trial_ends_at: new Date(Date.now() + 2 * 864e5).toISOString() },
    }));
    const res = await w.fetch('/', { headers: { cookie: cookies('cust-15') }, cf: { country: 'PT' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    assert.match(res.headers.get('vary'), /Cookie/);
    assert.equal(res.headers.get('content-length'), null);
    const html = await res.text();
    assert.equal(variantIn(html, 'cross_sell'), 'travel_insurance');
    assert.equal(variantIn(html, 'service_notice'), 'kyc_reminder');
    assert.equal(variantIn(html, 'plan'), 'trial_upgrade');
    assert.match(visible(html), /<div data-kairos-slot="cross_sell" data-kairos-variant="travel_insurance">Travelling in PT\?<\/div>/);
    assert.match(html, /data-kairos-variant="travel_insurance"><template data-kairos-origin>Default cross-sell<\/template>Travelling/, 'the origin markup travels along');
    assert.match(html, /<div data-kairos-slot="not_in_bundle">Untouched<\/div>/);
    const state = stateIn(html);
    assert.equal(state.v, 1);
    assert.equal(state.decision.slots.cross_sell.variant, 'travel_insurance');
    assert.equal(state.consent, true);
    await w.kv.delete('bundle');
  });

  test('streams a 1 MB page: the rewritten head arrives before the origin has sent the rest', async () => {
    // identity: local workerd gzips responses for clients that accept it, and its compressor
    // holds output back; on Cloudflare compression happens after the worker.
    const headers = { cookie: cookies('cust-42'), 'user-agent': IPHONE, 'accept-encoding': 'identity' };
    await w.kv.put('bundle', compile({
      kairos: 1,
      slots: { hero: { default: { id: 'plain', content: null },
        variants: [{ id: 'edge_hero', priority: 1, when: { eq: [1, 1] }, content: { text: 'Edge hero' } }] } },
    }));
    const res = await w.fetch('/big', { headers });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let received = '';
    // The origin holds the tail until released, so a buffering worker would never answer here.
    while (!received.includes('Edge hero')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'stream ended before the first slot');
      received += decoder.decode(value, { stream: true });
    }
    assert.ok(!received.includes('id="end"'));
    releaseBigPage();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    assert.ok(received.length > 1_000_000, `${received.length} bytes`);
    assert.ok(received.endsWith('<p id="end">end</p></body></html>'));
    assert.ok(visible(received).includes('<h1 data-kairos-slot="hero" data-kairos-variant="edge_hero">Edge hero</h1>'));
    assert.equal((received.match(/<p>filler<\/p>/g) || []).length, 4000);
    await w.kv.delete('bundle');
  });

  test('the runtime HTMLRewriter and `kairos rewrite` (lol_html) give the same page', async () => {
    const always = { eq: [1, 1] };
    const rules = {
      kairos: 1,
      slots: {
        hero: { default: { id: 'plain', content: null },
          variants: [{ id: 'text_hero', priority: 1, when: always, content: { headline: 'Fish & <chips> "tonight"' } }] },
        cta: { default: { id: 'plain', content: null },
          variants: [{ id: 'attrs_cta', priority: 1, when: always,
            content: { text: 'Go', attrs: { href: '/go?a=1&b=2', class: 'hot', onclick: 'x()', src: 'jav\tascript:x', srcdoc: '<b>', 'data-x': 'javascript&#58;alert(1)' } } }] },
        offer: { default: { id: 'plain', content: null },
          variants: [{ id: 'html_offer', priority: 1, when: always, content: { html: '<strong>15%</strong> off' } }] },
        plan: { default: { id: 'keep', content: { text: 'unused' } }, variants: [] },
      },
    };
    await w.kv.put('bundle', compile(rules));
    const res = await w.fetch('/twin', { headers: { cookie: cookies('cust-twin'), 'accept-encoding': 'identity' } });
    // The state island is the edge service's own (kairos rewrite has no visitor to hand over).
    const edge = (await res.text()).replace(/<script type="application\/json" id="kairos-state">[\s\S]*?<\/script>/, '');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kairos-twin-'));
    fs.writeFileSync(path.join(dir, 'rules.json'), JSON.stringify(rules));
    fs.writeFileSync(path.join(dir, 'ctx.json'), JSON.stringify({ now: Date.now(), customer_id: 'cust-twin', consent: { personalization: true } }));
    fs.writeFileSync(path.join(dir, 'page.html'), page('/twin'));
    const cli = execFileSync(path.join(ROOT, 'target/debug/kairos'), ['rewrite', '--bundle', path.join(dir, 'rules.json'),
      '--context', path.join(dir, 'ctx.json'), path.join(dir, 'page.html')]).toString();
    assert.equal(edge, cli.replace(/\n$/, ''));
    assert.match(visible(edge), /data-kairos-variant="text_hero">Fish &amp; &lt;chips&gt; "tonight"<\/section>/);
    assert.match(visible(edge), /<a data-kairos-slot="cta" href="\/go\?a=1&amp;b=2" class="hot" data-x="javascript&amp;#58;alert\(1\)" data-kairos-variant="attrs_cta">Go<\/a>/);
    assert.ok(!edge.includes('onclick') && !edge.includes('ascript:') && !edge.includes('srcdoc'));
    await w.kv.delete('bundle');
  });

  test('non-HTML, redirects, origin errors and other methods pass through untouched', async () => {
    const json = await w.fetch('/data.json', { headers: { cookie: cookies('cust-42') } });
    assert.equal(json.headers.get('cache-control'), 'public, max-age=60');
    assert.equal(json.headers.get('x-kairos-bundle'), null);
    assert.equal(await json.text(), '{"data-kairos-slot": "hero", "html": "<div data-kairos-slot=\\"hero\\">x</div>"}');

    const png = await w.fetch('/logo.png');
    assert.deepEqual([...new Uint8Array(await png.arrayBuffer())], [0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);

    const redirect = await w.fetch('/old', { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/new');
    await redirect.arrayBuffer();

    const gone = await w.fetch('/gone', { headers: { cookie: cookies('cust-42') } });
    assert.equal(gone.status, 404);
    assert.equal(await gone.text(), page('gone'));

    const post = await w.fetch('/echo', { method: 'POST', body: 'hello' });
    assert.equal(post.status, 201);
    assert.equal(await post.text(), 'POST hello');
  });

  test('HEAD says what GET would about caching; ranges and validators are not forwarded for pages', async () => {
    const head = await w.fetch('/', { method: 'HEAD', headers: { cookie: cookies('cust-42') } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('cache-control'), 'private, no-store');
    assert.equal(head.headers.get('content-length'), null);
    assert.equal((await head.arrayBuffer()).byteLength, 0);

    const ranged = await w.fetch('/ranged', { headers: { range: 'bytes=0-9', 'if-none-match': '"v1"', cookie: cookies('cust-42') } });
    assert.equal(ranged.status, 200);
    assert.equal(ranged.headers.get('content-range'), null);
    const body = await ranged.text();
    assert.ok(body.includes('</html>'), 'the whole page');
    assert.deepEqual(origin.seen.ranged, { range: undefined, inm: undefined, fwdHost: 'shop.test' });
  });

  test('an unreachable origin is a 502 with a message', async () => {
    const lonely = await startWorker({ origin: 'http://127.0.0.1:9' });
    try {
      const res = await lonely.fetch('/');
      assert.equal(res.status, 502);
      assert.match((await res.json()).error.message, /origin/);
    } finally {
      await lonely.mf.dispose();
    }
  });
});

describe('bundle from KV', () => {
  const demo = () => w.fetch('/v1/decide', { method: 'POST', body: demoContext });

  test('empty KV, then a KV bundle, then a corrupt one: built-in fallback each time it is needed', async () => {
    await w.kv.delete('bundle');
    let res = await demo();
    assert.equal(res.headers.get('x-kairos-bundle'), 'builtin');
    await res.arrayBuffer();

    await w.kv.put('bundle', compile('examples/scenarios/19-holdout.json'));
    res = await demo();
    assert.equal(res.headers.get('x-kairos-bundle'), 'kv');
    assert.deepEqual(Object.keys((await res.json()).slots).sort(), ['cta', 'hero']);

    const corrupt = compile('examples/scenarios/19-holdout.json');
    corrupt[corrupt.length - 3] ^= 0xff;
    for (const bytes of [corrupt, new TextEncoder().encode('not a bundle'), corrupt.slice(0, 20)]) {
      await w.kv.put('bundle', bytes);
      res = await demo();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-kairos-bundle'), 'builtin');
      assert.deepEqual(await res.json(), decideNative('examples/demo/rules.json', demoContext));
    }
    await w.kv.delete('bundle');
  });

  test('the KV bundle is cached in the isolate for its TTL', async () => {
    const cached = await startWorker({ origin: origin.url, bindings: { BUNDLE_TTL_SECONDS: '3600' } });
    try {
      await cached.kv.put('bundle', compile('examples/scenarios/19-holdout.json'));
      const first = await cached.fetch('/v1/decide', { method: 'POST', body: demoContext });
      assert.equal(first.headers.get('x-kairos-bundle'), 'kv');
      await first.arrayBuffer();
      await cached.kv.delete('bundle');
      const second = await cached.fetch('/v1/decide', { method: 'POST', body: demoContext });
      assert.equal(second.headers.get('x-kairos-bundle'), 'kv', 'still the cached KV bundle');
      await second.arrayBuffer();
    } finally {
      await cached.mf.dispose();
    }
  });
});

describe('consent and history', () => {
  test('without consent: defaults, no customer record or history read, history cookie cleared', async () => {
    await w.kv.put('bundle', compile('examples/scenarios/15-travel-kyc-trial.json'));
    await w.kv.put('customer/cust-15', JSON.stringify({ profile: { home_country: 'FR' } }));
    for (const headers of [
      { cookie: cookies('cust-15', { consent: false, extra: ['kairos_h=1.abc.def'] }) },
      { cookie: `kairos_uid=${signId('cust-15')}` },
      { cookie: cookies('cust-15'), 'sec-gpc': '1' },
    ]) {
      const res = await w.fetch('/', { headers, cf: { country: 'PT' } });
      assert.equal(res.headers.get('x-kairos-customer'), 'off');
      assert.equal(res.headers.get('x-kairos-history'), 'off');
      const html = await res.text();
      for (const slot of ['cross_sell', 'service_notice', 'plan']) assert.equal(variantIn(html, slot), null, slot);
      const h = setCookieValue(res, 'kairos_h');
      if (headers.cookie.includes('kairos_h=')) assert.equal(h, '', 'cookie cleared');
      else assert.equal(h, undefined, 'nothing stored');
    }
    const json = await w.fetch('/v1/decide', { headers: { cookie: `kairos_uid=${signId('cust-15')}` }, cf: { country: 'PT' } });
    const d = await json.json();
    assert.equal(d.consent, false);
    assert.ok(Object.values(d.slots).every((s) => s.reason === 'no_consent'));
    await w.kv.delete('bundle');
  });

  test('history cookie: tracked pages accumulate, and a forged or foreign cookie is replaced', async () => {
    let res = await w.fetch('/cart/sku-1', { headers: { cookie: cookies('cust-h') } });
    assert.equal(res.headers.get('x-kairos-history'), 'absent');
    await res.text();
    const first = setCookieValue(res, 'kairos_h');
    assert.match(first, /^2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    res = await w.fetch('/cart/sku-1', { headers: { cookie: cookies('cust-h', { extra: [`kairos_h=${first}`] }) } });
    assert.equal(res.headers.get('x-kairos-history'), 'valid');
    await res.text();
    const second = setCookieValue(res, 'kairos_h');
    assert.ok(second.length > first.length);

    const forged = second.slice(0, 10) + (second[10] === 'A' ? 'B' : 'A') + second.slice(11);
    for (const cookie of [cookies('cust-h', { extra: [`kairos_h=${forged}`] }), cookies('cust-other', { extra: [`kairos_h=${second}`] })]) {
      res = await w.fetch('/', { headers: { cookie } });
      assert.equal(res.headers.get('x-kairos-history'), 'invalid');
      await res.text();
      const replaced = setCookieValue(res, 'kairos_h');
      assert.ok(replaced && replaced !== second, 'a fresh cookie replaces the bad one');
      const owner = cookie.match(/kairos_uid=([^.;]+)/)[1];
      const check = await w.fetch('/', { headers: { cookie: cookies(owner, { extra: [`kairos_h=${replaced}`] }) } });
      assert.equal(check.headers.get('x-kairos-history'), 'valid');
      await check.text();
    }
  });
});

describe('identity, explanations, caps', () => {
  test('an unsigned or wrongly signed customer id is ignored: anonymous, no KV record read', async () => {
    await w.kv.put('customer/cust-id', JSON.stringify({ profile: { tier: 'gold' } }));
    for (const uid of ['cust-id', `cust-id.${'A'.repeat(43)}`, signId('cust-id', 'another-identity-key-0123456789abcd')]) {
      const res = await w.fetch('/v1/decide', { headers: { cookie: `kairos_uid=${uid}; kairos_consent=1` } });
      assert.equal(res.headers.get('x-kairos-customer'), 'absent', uid);
      await res.arrayBuffer();
    }
    const ok = await w.fetch('/v1/decide', { headers: { cookie: cookies('cust-id') } });
    assert.equal(ok.headers.get('x-kairos-customer'), 'found');
    await ok.arrayBuffer();
  });

  test('edge explanations need the debug token', async () => {
    const plain = await (await w.fetch('/v1/decide?explain=1', { headers: { cookie: cookies('cust-42') } })).json();
    assert.ok(Object.values(plain.slots).every((s) => s.explain === undefined));
    const wrong = await (await w.fetch('/v1/decide?explain=1', { headers: { cookie: cookies('cust-42'), 'x-kairos-debug': `${DEBUG_TOKEN}x` } })).json();
    assert.ok(Object.values(wrong.slots).every((s) => s.explain === undefined));
    const debug = await (await w.fetch('/v1/decide?explain=1', { headers: { cookie: cookies('cust-42'), 'x-kairos-debug': DEBUG_TOKEN } })).json();
    assert.ok(Object.values(debug.slots).every((s) => typeof s.explain.summary === 'string'));
  });

  test('frequency caps hold at the edge through the history cookie', async () => {
    await w.kv.put('bundle', compile({
      kairos: 1,
      slots: {
        offer: { default: { id: 'none', content: null }, variants: [
          { id: 'once_a_day', priority: 2, when: { eq: [1, 1] }, cap: { max: 1, within: '1d' }, content: { text: 'Once' } },
          { id: 'always', priority: 1, when: { eq: [1, 1] }, content: { text: 'Always' } },
        ] },
        hero: { default: { id: 'plain', content: null }, variants: [{ id: 'uncapped', priority: 1, when: { eq: [1, 1] }, content: { text: 'Hi' } }] },
      },
    }));
    let history;
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const res = await w.fetch('/', { headers: { cookie: cookies('cust-cap', { extra: history ? [`kairos_h=${history}`] : [] }) } });
      seen.push(variantIn(await res.text(), 'offer'));
      history = setCookieValue(res, 'kairos_h');
    }
    assert.deepEqual(seen, ['once_a_day', 'always', 'always']);
    // Only the capped variant's exposure is kept: the uncapped hero adds nothing to the cookie.
    const oneExposure = history.length;
    const again = await w.fetch('/', { headers: { cookie: cookies('cust-cap', { extra: [`kairos_h=${history}`] }) } });
    await again.text();
    assert.equal(setCookieValue(again, 'kairos_h').length, oneExposure);
    await w.kv.delete('bundle');
  });
});

describe('customer records', () => {
  test('`kairos kv-customers` writes the keys and values the worker reads', async () => {
    const bulk = JSON.parse(execFileSync(path.join(ROOT, 'target/debug/kairos'),
      ['kv-customers', path.join(ROOT, 'examples/edge/customers.jsonl')]).toString());
    assert.deepEqual(bulk.map((e) => e.key), ['customer/cust-42', 'customer/cust-1401']);
    for (const { key, value } of bulk) await w.kv.put(key, value);
    const res = await w.fetch('/v1/decide', { headers: { cookie: cookies('cust-42') } });
    assert.equal(res.headers.get('x-kairos-customer'), 'found');
    await res.arrayBuffer();
    const missing = await w.fetch('/v1/decide', { headers: { cookie: cookies('cust-nobody') } });
    assert.equal(missing.headers.get('x-kairos-customer'), 'absent');
    await missing.arrayBuffer();
  });

  test('with PACKED_CUSTOMERS, records packed for the bundle (`kv-customers --bundle`) are restored, and decide as the JSON records do', async () => {
    const packing = await startWorker({ origin: 'http://127.0.0.1:9', bindings: { PACKED_CUSTOMERS: '1' } });
    try {
      const bulk = JSON.parse(execFileSync(path.join(ROOT, 'target/debug/kairos'),
        ['kv-customers', path.join(ROOT, 'examples/edge/customers.jsonl'), '--bundle', path.join(ROOT, 'examples/demo/rules.json')]).toString());
      assert.deepEqual(bulk.map((e) => e.key), ['customer/cust-42', 'visitor/cust-42', 'customer/cust-1401', 'visitor/cust-1401']);
      for (const { key, value, base64 } of bulk) await packing.kv.put(key, base64 ? new Uint8Array(Buffer.from(value, 'base64')).buffer : value);
      const decide = async (worker) => {
        const res = await worker.fetch('/v1/decide?explain=1', { headers: { cookie: cookies('cust-42'), 'user-agent': IPHONE, 'x-kairos-debug': DEBUG_TOKEN } });
        assert.equal(res.headers.get('x-kairos-bundle'), 'builtin', 'packed for the bundle in use');
        return [res.headers.get('x-kairos-customer'), await res.json()];
      };
      const [packedState, packed] = await decide(packing);
      assert.equal(packedState, 'packed');
      await packing.kv.delete('visitor/cust-42');
      const [jsonState, fromJson] = await decide(packing);
      assert.equal(jsonState, 'found');
      assert.deepEqual(packed, fromJson);
    } finally {
      await packing.mf.dispose();
    }
  });

  test('worker bundle stays within 1 MB gzipped', () => {
    const wasm = fs.readFileSync(path.join(ROOT, 'build/worker/index_bg.wasm'));
    const js = fs.readFileSync(path.join(ROOT, 'build/worker/index.js'));
    const total = gzipSync(wasm, { level: 9 }).length + gzipSync(js, { level: 9 }).length;
    assert.ok(total <= 1_000_000, `${total} bytes gzipped`);
  });
});

describe('holdout', () => {
  test('the worker reproduces the bucketing vectors', async () => {
    const { vectors } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/vectors/bucketing.json'), 'utf8'));
    const salt = 'holdout-2026';
    const rules = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/scenarios/19-holdout.json'), 'utf8'));
    rules.holdout = { salt, percent: 50 };
    await w.kv.put('bundle', compile(rules));
    const cases = vectors.filter((v) => v.salt === salt && v.customer_id !== '' && /^[A-Za-z0-9_.:@-]+$/.test(v.customer_id));
    assert.ok(cases.length >= 10, `${cases.length} vectors`);
    let held = 0;
    for (const v of cases) {
      const expected = v.bucket < 5000;
      held += expected;
      const posted = await w.fetch('/v1/decide', {
        method: 'POST',
        body: JSON.stringify({ now: Date.now(), customer_id: v.customer_id, consent: { personalization: true } }),
      });
      assert.equal((await posted.json()).holdout, expected, `POST ${v.customer_id} bucket ${v.bucket}`);
      const edge = await w.fetch('/v1/decide', { headers: { cookie: cookies(v.customer_id) } });
      assert.equal((await edge.json()).holdout, expected, `GET ${v.customer_id} bucket ${v.bucket}`);
    }
    assert.ok(held > 0 && held < cases.length, 'vectors on both sides of the line');
    await w.kv.delete('bundle');
  });
});
