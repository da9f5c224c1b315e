// The resident visitor and the JSON-text path in Node (pkg/node), against the object path: every
// scenario case decides as written through all three, and a visitor that was saved and restored
// decides as before. Bad events and bad saved bytes get their codes, and change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, caseFiles, compileBundle, runFile } from '../scenario-cases.mjs';

const require = createRequire(import.meta.url);
const { Kairos } = require(join(ROOT, 'pkg', 'node', 'kairos.js'));
const files = caseFiles();

/** The visitor a context describes: its person, then its events tracked one by one. */
function visitorOf(engine, ctx) {
  const { customer_id, consent, profile, scores, timezone, utc_offset } = ctx;
  const v = engine.visitor(defined({ customer_id, consent, profile, scores, timezone, utc_offset }));
  for (const e of ctx.events ?? []) v.track(e);
  return v;
}

const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function momentOf(ctx) {
  const { now, session, geo, timezone, utc_offset, event } = ctx;
  return defined({ now, session, geo, timezone, utc_offset, event });
}

for (const entry of files) {
  test(`visitor, JSON text and object decide alike: ${entry.file}`, async () => {
    const engine = Kairos.load(compileBundle(entry.bundle));
    const viaVisitor = await runFile(entry, (c) => visitorOf(engine, c.context).decide(momentOf(c.context), true));
    assert.ok(viaVisitor.length === 0, `visitor: ${viaVisitor.join('\n')}`);
    const viaJson = await runFile(entry, (c) => engine.decideJson(JSON.stringify(c.context), true));
    assert.ok(viaJson.length === 0, `decideJson: ${viaJson.join('\n')}`);
    for (const c of entry.doc.cases) {
      const object = JSON.stringify(engine.decide(c.context, true));
      assert.equal(JSON.stringify(engine.decideJson(JSON.stringify(c.context), true)), object, c.name);
      const v = visitorOf(engine, c.context);
      assert.equal(JSON.stringify(v.decide(momentOf(c.context), true)), object, `${c.name}: visitor`);
      assert.equal(JSON.stringify(v.decideJson(JSON.stringify(momentOf(c.context)), true)), object, `${c.name}: visitor, moment as JSON`);
      const restored = engine.restore(v.save());
      assert.equal(JSON.stringify(restored.decide(momentOf(c.context), true)), object, `${c.name}: restored`);
      // Without explanations (slots stop at the winning priority level), and one slot at a time.
      const plain = engine.decide(c.context, false);
      assert.equal(JSON.stringify(v.decide(momentOf(c.context), false)), JSON.stringify(plain), `${c.name}: unexplained`);
      for (const slot of engine.slotNames()) {
        assert.equal(JSON.stringify(v.render(slot, momentOf(c.context))), JSON.stringify(plain.slots[slot]), `${c.name}: render ${slot}`);
      }
      assert.throws(() => v.render('no_such_slot', momentOf(c.context)), (e) => e.code === 'E_SLOT');
    }
  });
}

test('trackJson: a batch as JSON text tracks as the same events one by one, all or none', () => {
  const entry = files.find((f) => f.doc.cases.some((c) => (c.context.events ?? []).length >= 3)) ?? files[0];
  const engine = Kairos.load(compileBundle(entry.bundle));
  for (const c of entry.doc.cases) {
    const events = c.context.events ?? [];
    const one = engine.visitor({ consent: { personalization: true } });
    for (const e of events) one.track(e);
    const batch = engine.visitor({ consent: { personalization: true } });
    assert.equal(batch.trackJson(JSON.stringify(events)), events.length);
    assert.equal(Buffer.from(batch.save()).toString('hex'), Buffer.from(one.save()).toString('hex'), c.name);
    if (events.length) {
      const single = engine.visitor({ consent: { personalization: true } });
      assert.equal(single.trackJson(JSON.stringify(events[0])), 1);
      assert.equal(single.length, 1);
    }
  }
  const v = engine.visitor({ consent: { personalization: true } });
  v.trackJson('[{"e": "login", "t": 1800000000000}]');
  const before = Buffer.from(v.save()).toString('hex');
  const good = { e: 'login', t: 1_800_000_100_000 };
  assert.throws(() => v.trackJson(JSON.stringify([good, good, good, { e: 'login', t: 'soon' }])),
    (e) => e.code === 'E_EVENT' && e.path.startsWith('[3]'), 'a bad fourth event');
  assert.throws(() => v.trackJson('[{"e": "login", "t": 1800000000000},\n  {"e": }]'),
    (e) => e.code === 'E_EVENT' && e.line === 2 && e.column > 0, 'bad JSON is located');
  assert.equal(Buffer.from(v.save()).toString('hex'), before, 'nothing was half-applied');
  assert.equal(v.length, 1);
});

test('refused events and saved bytes carry codes and change nothing', () => {
  const engine = Kairos.load(compileBundle(files[0].bundle));
  const other = Kairos.load(compileBundle(files[1].bundle));
  const v = engine.visitor({ consent: { personalization: true } });
  v.track({ e: 'login', t: 1_800_000_000_000 });
  const before = Buffer.from(v.save()).toString('hex');
  for (const bad of [{ e: 'login' }, { e: 'login', t: 'not a time' }, { t: 1 }, 42]) {
    assert.throws(() => v.track(bad), (e) => e.code === 'E_EVENT' && typeof e.path === 'string', JSON.stringify(bad));
  }
  assert.equal(Buffer.from(v.save()).toString('hex'), before);
  assert.equal(v.length, 1);
  const bytes = v.save();
  assert.throws(() => other.restore(bytes), (e) => e.code === 'E_VISITOR_BUNDLE');
  assert.throws(() => engine.restore(bytes.slice(0, bytes.length - 1)), (e) => e.code === 'E_VISITOR_CORRUPT');
  assert.throws(() => engine.restore(new TextEncoder().encode('{"events":[]}')), (e) => e.code === 'E_VISITOR_VERSION');
  assert.throws(() => engine.decideJson('{"now": 1, "session": {"device": 3}}'), (e) => e.code === 'E_CONTEXT' && e.line === 1 && e.column > 0);
  assert.throws(() => v.decide({ session: {} }), (e) => e.code === 'E_CONTEXT');
  assert.throws(() => v.decideJson('{"now": 1,\n "session": {"device": 3}}'),
    (e) => e.code === 'E_CONTEXT' && e.path === 'session.device' && e.line === 2 && e.column > 0);
  assert.throws(() => v.decideJson('{"session": {}}'), (e) => e.code === 'E_CONTEXT' && /now/.test(e.message));
});

test('shared slot decisions are frozen, so one caller cannot change another decision', () => {
  const engine = Kairos.load(compileBundle(files[0].bundle));
  const ctx = files[0].doc.cases[0].context;
  const a = engine.decide(ctx);
  const slot = Object.keys(a.slots)[0];
  if (!a.slots[slot].explain && Object.isFrozen(a.slots[slot])) {
    assert.throws(() => { 'use strict'; a.slots[slot].variant = 'x'; }, TypeError);
  }
  assert.notEqual(engine.decide(ctx).slots[slot].variant, 'x');
});

test('a person or moment field given as undefined or null reads as absent', () => {
  const engine = Kairos.load(compileBundle(files[0].bundle));
  const v = engine.visitor({ customer_id: undefined, consent: { personalization: true }, profile: undefined, scores: null });
  const d = v.decide({ now: 1_800_000_000_000, session: undefined, geo: null });
  assert.equal(d.consent, true);
  assert.equal(JSON.stringify(d), JSON.stringify(engine.visitor({ consent: { personalization: true } }).decide({ now: 1_800_000_000_000 })));
});
