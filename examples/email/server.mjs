// An email server's open-time endpoint, in plain Node: when a message is opened, the image or
// link points at /open/<customer>/<message> (message ids must be unguessable in production: they
// are the only secret in the link), and the body is rendered from the customer's state
// at that moment (balance, profile) and the event that triggered the send (kept per message).
//
//   node examples/email/server.mjs [BUNDLE] [PORT]     (BUNDLE: `kairos compile` output)
//
// The wasm module is the Node build (pkg/node, typed by pkg/node/kairos.d.ts).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const ROOT = path.resolve(import.meta.dirname, '../..');
const { Kairos } = createRequire(import.meta.url)(path.join(ROOT, 'pkg/node/kairos.js'));

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Starts the server. `store` answers `customer(id)` → {profile, consent} and `message(id)` →
 * {customer, event}: whatever the live system keeps. Returns { url, close }.
 */
export async function startEmailServer({ bundle, store, port = 0, now = () => Date.now() }) {
  const engine = Kairos.load(bundle);
  const server = http.createServer((req, res) => {
    const m = req.url.match(/^\/open\/([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-]{1,64})$/);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    const [, customerId, messageId] = m;
    const message = store.message(messageId);
    const customer = message && message.customer === customerId ? store.customer(customerId) : undefined;
    // A visitor per open: the person from the store, the moment the open and its triggering
    // event; only those cross into wasm. Unknown or mismatched ids get the generic content:
    // never another customer's data.
    const person = customer ? { customer_id: customerId, consent: customer.consent, profile: customer.profile } : {};
    const moment = customer ? { now: now(), event: message.event } : { now: now() };
    const renderFor = (who, at) => {
      const visitor = engine.visitor(who);
      try {
        return visitor.render('email_body', at);
      } finally {
        visitor.free();
      }
    };
    let slot;
    try {
      slot = renderFor(person, moment);
    } catch (e) {
      // Bad data in the store: log the code, not the data, and send the generic content.
      console.error('render failed:', e.code);
      try {
        slot = renderFor({}, { now: now() });
      } catch (e2) {
        console.error('generic render failed:', e2.code);
        res.writeHead(500, { 'content-type': 'text/plain' });
        return res.end('unavailable');
      }
    }
    const { subject, html } = slot.content;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'private, no-store' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body data-variant="${escapeHtml(slot.variant)}">${html}</body></html>`);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

// Run directly: a demo store with one customer and one sent message.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const bundlePath = process.argv[2] || path.join(ROOT, 'target/email.bin');
  const ctx = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/email/context.json'), 'utf8'));
  const customers = { 'cust-501': { profile: ctx.profile, consent: ctx.consent } };
  const messages = { 'msg-1': { customer: 'cust-501', event: ctx.event } };
  const store = { customer: (id) => customers[id], message: (id) => messages[id] };
  const { url } = await startEmailServer({ bundle: fs.readFileSync(bundlePath), store, port: Number(process.argv[3] || 8090) });
  console.log(`open ${url}/open/cust-501/msg-1`);
}
