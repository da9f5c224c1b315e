// Exposures from the Worker in workerd, received by a local collector on loopback: every slot of
// every page view with consent, from the holdout too, in the schema's shape; email opens report
// the slot rendered; nothing without consent; and a collector that is down or never answers
// costs the visitor nothing (docs/measurement.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Ajv from 'ajv';
import { ROOT, compile, startOrigin, startWorker, HISTORY_KEY } from './harness.mjs';

const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema/exposure.schema.json'), 'utf8')));
const OPEN_KEY = 'test-open-token-key-0123456789abcdef';
const RULES = {
  kairos: 1,
  name: 'lift-test',
  holdout: { salt: 'lift-test', percent: 50 },
  slots: {
    hero: { default: { id: 'brand', content: { headline: 'Our new season' } },
      variants: [{ id: 'picked', priority: 1, when: { eq: [1, 1] }, content: { headline: 'Picked for you' } }] },
    email_body: { default: { id: 'generic', content: { html: '<p>Hello</p>' } } },
  },
};
let collector, batches, hang, origin;

before(async () => {
  batches = [];
  hang = false;
  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      batches.push(JSON.parse(body));
      if (!hang) res.writeHead(204).end();
    });
  });
  await new Promise((r) => collector.listen(0, '127.0.0.1', r));
  origin = await startOrigin();
});

after(async () => {
  collector.closeAllConnections();
  await new Promise((r) => collector.close(r));
  await origin.close();
});

async function worker(collectorUrl) {
  const w = await startWorker({
    origin: origin.url,
    bindings: { COLLECTOR: collectorUrl, OPEN_TOKEN_KEY: OPEN_KEY, TRACK: '[]', HISTORY_KEY },
  });
  await w.kv.put('bundle', compile(RULES));
  return w;
}

async function until(check, ms = 5000) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (check()) return;
  assert.fail('timed out');
}

test('every slot of every consented page view reaches the collector, holdout visitors included', async () => {
  const w = await worker(`http://127.0.0.1:${collector.address().port}/collect`);
  try {
    batches.length = 0;
    for (let i = 0; i < 24; i++) {
      const res = await w.fetch('/', { headers: { cookie: 'kairos_consent=1' } });
      assert.equal(res.status, 200);
      await res.text();
    }
    const plain = await w.fetch('/', {});
    await plain.text();
    await until(() => batches.length >= 24);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(batches.length, 24, 'one batch per consented page view, none without consent');
    const events = batches.flatMap((b) => b.batch);
    for (const e of events) assert.ok(validate(e), `${JSON.stringify(e)}: ${JSON.stringify(validate.errors)}`);
    assert.ok(events.every((e) => e.properties.surface === 'edge' && e.anonymousId && !e.userId));
    assert.deepEqual([...new Set(events.map((e) => e.properties.slot))].sort(), ['email_body', 'hero'], 'default slots too');
    const hero = events.filter((e) => e.properties.slot === 'hero');
    const arms = new Set(hero.map((e) => `${e.properties.variation_id}/${e.properties.holdout}`));
    assert.deepEqual([...arms].sort(), ['holdout/true', 'picked/false'], 'the holdout is reported, with its arm');
    assert.ok(hero.every((e) => e.properties.experiment_id === 'lift-test:hero'));
    assert.equal(new Set(events.map((e) => e.messageId)).size, events.length);
  } finally {
    await w.mf.dispose();
  }
});

test('an email open reports the slot rendered, for the customer', async () => {
  const w = await worker(`http://127.0.0.1:${collector.address().port}/collect`);
  try {
    batches.length = 0;
    await w.kv.put('customer/cust-501', JSON.stringify({ consent: { personalization: true } }));
    const token = execFileSync(path.join(ROOT, 'target/debug/kairos'), ['token', '--customer', 'cust-501', '--slot', 'email_body', '--campaign', 'c', '--ttl', '7d'],
      { env: { ...process.env, KAIROS_OPEN_KEY: OPEN_KEY } }).toString().trim();
    const res = await w.fetch(`/v1/open/${token}`);
    assert.equal(res.status, 200);
    await res.text();
    await until(() => batches.length >= 1);
    const [e] = batches[0].batch;
    assert.equal(batches[0].batch.length, 1);
    assert.ok(validate(e), JSON.stringify(validate.errors));
    assert.equal(e.userId, 'cust-501');
    assert.equal(e.properties.surface, 'email');
    assert.equal(e.properties.slot, 'email_body');
  } finally {
    await w.mf.dispose();
  }
});

test('a collector that is down or never answers costs the visitor nothing', async () => {
  const down = await worker('http://127.0.0.1:9/collect'); // nothing listens on the discard port
  try {
    const res = await down.fetch('/', { headers: { cookie: 'kairos_consent=1' } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Picked for you|Our new season/);
  } finally {
    await down.mf.dispose();
  }
  hang = true;
  const slow = await worker(`http://127.0.0.1:${collector.address().port}/collect`);
  try {
    const started = Date.now();
    const res = await slow.fetch('/', { headers: { cookie: 'kairos_consent=1' } });
    assert.equal(res.status, 200);
    await res.text();
    assert.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms while the collector hangs`);
  } finally {
    hang = false;
    await slow.mf.dispose();
  }
});
