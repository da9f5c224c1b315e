// The example email server (examples/email/server.mjs) in real Node with the wasm module:
// content rendered at open time from live state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startEmailServer } from '../../examples/email/server.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
let server;
const customers = {};
const messages = {};

before(async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kairos-email-')), 'email.bin');
  execFileSync(path.join(ROOT, 'target/debug/kairos'), ['compile', path.join(ROOT, 'examples/email/rules.json'), '-o', out]);
  const ctx = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/email/context.json'), 'utf8'));
  customers['cust-501'] = { profile: { ...ctx.profile }, consent: ctx.consent };
  messages['msg-1'] = { customer: 'cust-501', event: ctx.event };
  server = await startEmailServer({
    bundle: fs.readFileSync(out),
    store: { customer: (id) => customers[id], message: (id) => messages[id] },
    now: () => Date.parse('2026-11-23T18:30:00Z'),
  });
});

after(() => server?.close());

const open = async (p) => {
  const res = await fetch(`${server.url}${p}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'private, no-store');
  return res.text();
};

test('opened twice with the balance changed in between: each opening shows the balance then', async () => {
  const first = await open('/open/cust-501/msg-1');
  assert.match(first, /data-variant="deposit_match"/);
  assert.match(first, /deposit of <b>\$120\.00<\/b>/);
  assert.match(first, /we add <b>\$60\.00<\/b>/);
  assert.match(first, /balance right now: \$12\.40\./);
  customers['cust-501'].profile.balance = 31;
  const second = await open('/open/cust-501/msg-1');
  assert.match(second, /balance right now: \$31\.00\./);
  // Funded customers (scenario 1: $50 or more) no longer get the deposit nudge.
  customers['cust-501'].profile.balance = 75;
  assert.match(await open('/open/cust-501/msg-1'), /data-variant="generic_reminder"/);
  customers['cust-501'].profile.balance = 12.4;
});

test('unknown or mismatched ids get the generic content, never customer data', async () => {
  messages['msg-2'] = { customer: 'someone-else', event: messages['msg-1'].event };
  for (const p of ['/open/cust-404/msg-1', '/open/cust-501/msg-2', '/open/cust-501/msg-404']) {
    const html = await open(p);
    assert.match(html, /data-variant="generic_reminder"/, p);
    assert.ok(!html.includes('Ana') && !html.includes('$'), p);
  }
});

test('customer data is escaped where it lands', async () => {
  customers['cust-501'].profile.first_name = '<img src=x onerror=alert(1)>"';
  const html = await open('/open/cust-501/msg-1');
  assert.ok(html.includes('Hi &lt;img src=x onerror=alert(1)&gt;&quot;,'), html);
  assert.ok(!html.includes('<img'));
  customers['cust-501'].profile.first_name = 'Ana';
});

test('the Node API is typed and reports bad slots with a code', () => {
  const dts = fs.readFileSync(path.join(ROOT, 'pkg/node/kairos.d.ts'), 'utf8');
  assert.match(dts, /render\(slot: string, context: Context\): SlotDecision;/);
  const { Kairos } = createRequire(import.meta.url)(path.join(ROOT, 'pkg/node/kairos.js'));
  const k = Kairos.load(execFileSync(path.join(ROOT, 'target/debug/kairos'), ['compile', path.join(ROOT, 'examples/email/rules.json'), '-o', '-']));
  assert.throws(() => k.render('hero', { now: 0 }), (e) => e.code === 'E_SLOT' && /email_body/.test(e.message));
});

