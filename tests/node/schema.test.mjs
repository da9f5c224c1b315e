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
