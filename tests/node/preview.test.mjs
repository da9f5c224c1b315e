// QA previews in Node's wasm module (docs/preview.md): the shared vector's token forces exactly
// its slots in a resident visitor; tampered, expired or unkeyed tokens throw their codes and force
// nothing; a preview leaves the visitor's saved bytes unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, compileBundle } from '../scenario-cases.mjs';

const require = createRequire(import.meta.url);
const { Kairos } = require(join(ROOT, 'pkg', 'node', 'kairos.js'));
const VECTOR = JSON.parse(readFileSync(join(ROOT, 'tests', 'vectors', 'preview.json'), 'utf8'));
const NOW = Date.parse('2026-12-07T12:00:00Z');

const forcedOf = (decision) => Object.fromEntries(Object.entries(decision.slots)
  .filter(([, s]) => s.reason === 'forced').map(([name, s]) => [name, { is_default: s.is_default, variant: s.variant }]));

function visitor() {
  const engine = Kairos.load(compileBundle(VECTOR.rules));
  return engine.visitor({ consent: { personalization: true } });
}

test('the vector token forces exactly its slots, and the saved visitor keeps no trace', () => {
  const v = visitor();
  const saved = Buffer.from(v.save()).toString('hex');
  assert.equal(v.preview(VECTOR.token, VECTOR.public_key, NOW), '', 'every pair is in the bundle');
  const d = v.decide({ now: NOW }, true);
  assert.deepEqual(forcedOf(d), VECTOR.forced);
  assert.match(d.slots.offer.explain.summary, /forced by a preview token/);
  assert.equal(Buffer.from(v.save()).toString('hex'), saved);
});

test('bad tokens throw their codes and force nothing', () => {
  const cases = [
    [VECTOR.tampered, VECTOR.public_key, NOW, 'E_PREVIEW'],
    [VECTOR.token, VECTOR.public_key, Date.parse('2100-01-01T00:00:00Z'), 'E_PREVIEW_EXPIRED'],
    [VECTOR.token, 'zz'.repeat(32), NOW, 'E_KEY'],
    [VECTOR.token, 'undefined', NOW, 'E_KEY'],
    ['kp1.', VECTOR.public_key, NOW, 'E_PREVIEW'],
  ];
  for (const [token, key, now, code] of cases) {
    const v = visitor();
    assert.equal(v.preview(VECTOR.token, VECTOR.public_key, NOW), '');
    assert.throws(() => v.preview(token, key, now), (e) => e.code === code, code);
    assert.deepEqual(forcedOf(v.decide({ now: NOW })), {}, `${code}: a refused token ends the preview`);
  }
});

test('a pair the bundle lacks is named, and the rest is forced', () => {
  const engine = Kairos.load(compileBundle('examples/scenarios/19-holdout.json'));
  const v = engine.visitor({ consent: { personalization: true }, customer_id: 'c-1' });
  assert.equal(v.preview(VECTOR.token, VECTOR.public_key, NOW), 'the bundle lacks `offer~propensity_override`, `hero~brand`: not forced');
  assert.deepEqual(forcedOf(v.decide({ now: NOW })), {});
});
