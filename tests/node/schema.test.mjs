// Every bundled example validates against the checked-in JSON Schema, and the schema rejects junk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const schema = JSON.parse(readFileSync(join(root, 'schema', 'bundle.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

const bundles = ['examples/demo/rules.json'];
for (const f of readdirSync(join(root, 'examples', 'scenarios')).sort()) {
  if (f.endsWith('.json') && !f.endsWith('.context.json')) bundles.push(`examples/scenarios/${f}`);
}

test('there are scenario bundles to validate', () => assert.ok(bundles.length >= 22, `found ${bundles.length}`));

for (const path of bundles) {
  test(`${path} validates against schema/bundle.schema.json`, () => {
    const ok = validate(JSON.parse(readFileSync(join(root, path), 'utf8')));
    assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 3), null, 1));
  });
}

test('the schema rejects what the compiler rejects structurally', () => {
  const base = JSON.parse(readFileSync(join(root, 'examples/demo/rules.json'), 'utf8'));
  const bad = [
    { ...base, kairos: 2 },
    { ...base, slots: {} },
    { ...base, extra: true },
    { ...base, segments: { s: { gtt: [1, 2] } } },
    { ...base, segments: { s: { gte: [1] } } },
    { ...base, segments: { s: { count: { event: 'x', within: '48 hours' } } } },
    { ...base, segments: { s: { local_time_between: ['18:00', '25:00'] } } },
  ];
  for (const b of bad) assert.equal(validate(b), false, JSON.stringify(b).slice(0, 120));
});

test('every exposure `kairos gen --exposures` writes validates against schema/exposure.schema.json', async () => {
  const { execFileSync } = await import('node:child_process');
  const exposure = new Ajv({ allErrors: true, strict: false }).compile(
    JSON.parse(readFileSync(join(root, 'schema', 'exposure.schema.json'), 'utf8')),
  );
  const log = execFileSync(join(root, 'target/debug/kairos'), [
    'gen', '--exposures', '--bundle', join(root, 'examples/demo/rules.json'), '--customers', '500', '--days', '2', '--seed', '5',
  ], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const events = log.trim().split('\n').map((line) => JSON.parse(line)).filter((e) => e.event === 'Experiment Viewed');
  assert.ok(events.length > 1000, `${events.length} exposures`);
  assert.ok(events.some((e) => e.properties.holdout) && events.some((e) => !e.properties.holdout), 'both arms');
  for (const e of events) assert.ok(exposure(e), JSON.stringify(exposure.errors?.slice(0, 3)));
});
