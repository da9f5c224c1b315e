// The Worker's routes against schema/openapi.json, live under `wrangler dev` (workerd): every
// answer below (successes and each error with its code) must be a documented status, with a
// documented content type, a body valid against its schema and documented header values. The
// document itself must lint clean with Redocly's recommended-strict rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { ROOT } from './harness.mjs';
import { wranglerDev } from './wrangler-dev.mjs';

const DOC = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/openapi.json'), 'utf8'));
const KAIROS = path.join(ROOT, 'target/debug/kairos');
const BUNDLE = execFileSync(KAIROS, ['compile', path.join(ROOT, 'examples/demo/rules.json'), '-o', '-']);
const OPEN_KEY = 'contract-open-token-key-0123456789ab';
// A key no bundle here is signed by: that edge has no usable bundle.
const FOREIGN_KEY = 'f3c68aba2f8b93a46058892a38140f194b820269bf499b1b5d0badf2d734160a';

// The document as one schema, so `#/components/…` references resolve where they are.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(DOC, 'openapi');
const checked = new Set();

/** A JSON pointer into the document, `$ref`s followed. */
function at(...keys) {
  let node = DOC;
  for (const key of keys) {
    node = node?.[key];
    while (node && node.$ref) node = node.$ref.slice(2).split('/').reduce((n, k) => n?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], DOC);
  }
  return node;
}

const pointer = (...keys) => keys.map((k) => String(k).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Checks one live answer against the document; returns the body (parsed when JSON). */
async function check(method, template, res) {
  const operation = at('paths', template, method);
  assert.ok(operation, `${method.toUpperCase()} ${template} is not in the document`);
  const spec = at('paths', template, method, 'responses', String(res.status));
  assert.ok(spec, `${method.toUpperCase()} ${template}: status ${res.status} is not documented`);
  checked.add(`${method.toUpperCase()} ${template} ${res.status}`);
  for (const [name, header] of Object.entries(spec.headers || {})) {
    const value = res.headers.get(name);
    if (value === null) continue;
    const schema = (header.$ref ? at(...header.$ref.slice(2).split('/')) : header).schema;
    assert.ok(ajv.validate(schema, value), `${name}: ${value}: ${ajv.errorsText()}`);
  }
  const text = await res.text();
  if (!spec.content) {
    assert.equal(text, '', `${res.status} has no documented body`);
    return null;
  }
  const type = (res.headers.get('content-type') || '').split(';')[0].trim();
  assert.ok(spec.content[type], `${method.toUpperCase()} ${template} ${res.status}: content type ${type} is not documented`);
  if (type !== 'application/json') return text;
  const body = JSON.parse(text);
  const ref = `openapi#/${pointer('paths', template, method, 'responses', String(res.status))}`;
  // Responses may be `$ref`s: validate against the schema where the reference lands.
  const raw = DOC.paths[template][method].responses[String(res.status)];
  const schemaRef = raw.$ref
    ? `openapi${raw.$ref}/content/application~1json/schema`
    : `${ref}/content/${pointer(type)}/schema`;
  const validate = ajv.getSchema(schemaRef);
  assert.ok(validate, `no schema at ${schemaRef}`);
  assert.ok(validate(body), `${method.toUpperCase()} ${template} ${res.status}: ${ajv.errorsText(validate.errors)}\n${text}`);
  return body;
}

let origin;
let edge;
let refusing;
let unreachable;

before(async () => {
  origin = http.createServer((req, res) => {
    if (req.url === '/') {
      return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<!doctype html><html><head><title>shop</title></head><body><div data-kairos-slot="hero">origin</div></body></html>');
    }
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<p>not here</p>');
  });
  await new Promise((r) => origin.listen(0, '127.0.0.1', r));
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = closed.address().port;
  await new Promise((r) => closed.close(r));
  // One after another: a failed start must not leave the others running.
  edge = await wranglerDev({ vars: { ORIGIN: `http://127.0.0.1:${origin.address().port}`, OPEN_TOKEN_KEY: OPEN_KEY, TRACK: '[]' }, kv: { bundle: BUNDLE } });
  refusing = await wranglerDev({ vars: { BUNDLE_PUBLIC_KEY: FOREIGN_KEY, OPEN_TOKEN_KEY: OPEN_KEY }, kv: { bundle: BUNDLE } });
  unreachable = await wranglerDev({ vars: { ORIGIN: `http://127.0.0.1:${closedPort}` }, kv: { bundle: BUNDLE } });
});

after(async () => {
  await Promise.all([edge?.stop(), refusing?.stop(), unreachable?.stop()]);
  await new Promise((r) => origin?.close(r));
});

const post = (base, route, body, headers = {}) => fetch(`${base}${route}`, { method: 'POST', body, headers });
const token = (slot, key = OPEN_KEY) => execFileSync(KAIROS, ['token', '--customer', 'cust-501', '--slot', slot, '--ttl', '7d'], {
  env: { ...process.env, KAIROS_OPEN_KEY: key }, encoding: 'utf8',
}).trim();
const errorCode = (body) => body.error?.code ?? body.errorCode;

test('the document lints clean (Redocly, recommended-strict)', () => {
  const lint = spawnSync(path.join(ROOT, 'node_modules/.bin/redocly'), ['lint', 'schema/openapi.json'], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  assert.equal(lint.status, 0, lint.stdout + lint.stderr);
});

test('/v1/decide: decisions, and each error with its code', async () => {
  const consent = { cookie: 'kairos_consent=1' };
  const mine = await check('get', '/v1/decide', await fetch(`${edge.base}/v1/decide`, { headers: consent }));
  assert.ok(mine.slots.hero);
  const posted = await check('post', '/v1/decide', await post(edge.base, '/v1/decide', '{"now": "2026-11-23T17:30:00Z", "consent": {"personalization": true}}'));
  assert.equal(posted.consent, true);
  const cases = [
    ['{"now": 5, "consent": []}', 400, 'E_CONTEXT'],
    [new Uint8Array([0xff, 0xfe]), 400, 'E_BODY'],
    ['{"now": "x"'.padEnd((1 << 20) + 10, ' '), 413, 'E_BODY_TOO_LARGE'],
  ];
  for (const [body, status, code] of cases) {
    const res = await post(edge.base, '/v1/decide', body);
    assert.equal(res.status, status);
    assert.equal(errorCode(await check('post', '/v1/decide', res)), code);
  }
  const located = await check('post', '/v1/decide', await post(edge.base, '/v1/decide', '{"now": 5,\n "consent": []}'));
  assert.deepEqual([located.error.path, located.error.line], ['consent', 2]);
  const put = await fetch(`${edge.base}/v1/decide`, { method: 'PUT', body: '{}' });
  assert.equal(put.status, 405);
  // PUT is not an operation of its own: the answer is the one documented for the path's GET.
  assert.equal(errorCode(await check('get', '/v1/decide', put)), 'E_METHOD');
  for (const [method, res] of [['post', await post(refusing.base, '/v1/decide', '{"now": 0}')], ['get', await fetch(`${refusing.base}/v1/decide`)]]) {
    assert.equal(res.status, 503);
    assert.equal(errorCode(await check(method, '/v1/decide', res)), 'E_NO_BUNDLE');
  }
});

test('/v1/open/{token}: HTML, the AMP list, the preflight, and E_SLOT', async () => {
  const html = await check('get', '/v1/open/{token}', await fetch(`${edge.base}/v1/open/${token('hero')}`));
  assert.match(html, /<h2>/);
  const amp = await check('get', '/v1/open/{token}', await fetch(`${edge.base}/v1/open/${token('hero')}?format=json`));
  assert.equal(amp.items.length, 1);
  const forged = await fetch(`${edge.base}/v1/open/${token('hero', 'another-sites-open-token-key-012345')}`);
  assert.equal(forged.headers.get('x-kairos-token'), 'bad_signature');
  await check('get', '/v1/open/{token}', forged);
  const noSlot = await fetch(`${edge.base}/v1/open/${token('nope')}`);
  assert.equal(noSlot.status, 404);
  assert.equal(errorCode(await check('get', '/v1/open/{token}', noSlot)), 'E_SLOT');
  const pre = await fetch(`${edge.base}/v1/open/${token('hero')}`, { method: 'OPTIONS' });
  await check('options', '/v1/open/{token}', pre);
  const none = await fetch(`${refusing.base}/v1/open/${token('hero')}`);
  assert.equal(errorCode(await check('get', '/v1/open/{token}', none)), 'E_NO_BUNDLE');
});

test('OFREP: flags, the 304, and every error code', async () => {
  const one = '/ofrep/v1/evaluate/flags/{key}';
  const all = '/ofrep/v1/evaluate/flags';
  const context = '{"context": {"targetingKey": "cust-42", "consent": {"personalization": true}}}';
  await check('post', one, await post(edge.base, '/ofrep/v1/evaluate/flags/hero', context));
  const first = await post(edge.base, all, context);
  const etag = first.headers.get('etag');
  await check('post', all, first);
  await check('post', all, await post(edge.base, all, context, { 'if-none-match': etag }));
  const errors = [
    [edge, '/ofrep/v1/evaluate/flags/nope', one, context, 404, 'FLAG_NOT_FOUND'],
    [edge, '/ofrep/v1/evaluate/flags/hero', one, '{not json', 400, 'PARSE_ERROR'],
    [edge, '/ofrep/v1/evaluate/flags/hero', one, '{"context": {"consent": 1}}', 400, 'INVALID_CONTEXT'],
    [edge, '/ofrep/v1/evaluate/flags/hero', one, ' '.repeat((1 << 20) + 1), 413, 'PARSE_ERROR'],
    [edge, all, all, '[]', 400, 'PARSE_ERROR'],
    [edge, all, all, '{"context": {"tier": [1]}}', 400, 'INVALID_CONTEXT'],
    [edge, all, all, ' '.repeat((1 << 20) + 1), 413, 'PARSE_ERROR'],
    [refusing, '/ofrep/v1/evaluate/flags/hero', one, context, 500, 'GENERAL'],
    [refusing, all, all, context, 500, 'GENERAL'],
  ];
  for (const [at, route, template, body, status, code] of errors) {
    const res = await post(at.base, route, body);
    assert.equal(res.status, status, `${route} ${body.slice(0, 30)}`);
    assert.equal(errorCode(await check('post', template, res)), code);
  }
  for (const [route, template] of [['/ofrep/v1/evaluate/flags/hero', one], [all, all]]) {
    const get = await fetch(`${edge.base}${route}`);
    assert.equal(get.status, 405);
    // GET is not an operation of its own: the answer is the one documented for the path's POST.
    assert.equal(errorCode(await check('post', template, get)), 'GENERAL');
  }
  for (const [route, template] of [['/ofrep/v1/evaluate/flags/hero', one], [all, all]]) {
    await check('options', template, await fetch(`${edge.base}${route}`, { method: 'OPTIONS' }));
  }
});

test('the proxy: a personalised page with its diagnostic headers, the origin\'s 404, E_NO_ORIGIN, E_ORIGIN_UNREACHABLE', async () => {
  const page = await fetch(`${edge.base}/`, { headers: { cookie: 'kairos_consent=1' } });
  assert.equal(page.headers.get('x-kairos-bundle'), 'kv');
  assert.ok(page.headers.get('x-kairos-id'));
  assert.match(await check('get', '/{page}', page), /id="kairos-state"/);
  await check('get', '/{page}', await fetch(`${edge.base}/missing`));
  const noOrigin = await fetch(`${refusing.base}/`);
  assert.equal(errorCode(await check('get', '/{page}', noOrigin)), 'E_NO_ORIGIN');
  const down = await fetch(`${unreachable.base}/`);
  assert.equal(errorCode(await check('get', '/{page}', down)), 'E_ORIGIN_UNREACHABLE');
});

test('every documented error code was produced live (E_INTERNAL only by a trap: tests/worker/faults.test.mjs)', () => {
  const documented = [];
  for (const [route, ops] of Object.entries(DOC.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (method === 'parameters') continue;
      for (const status of Object.keys(op.responses)) documented.push(`${method.toUpperCase()} ${route} ${status}`);
    }
  }
  const unchecked = documented.filter((d) => !checked.has(d) && !d.endsWith(' 500'));
  assert.deepEqual(unchecked, []);
});
