// The scenario spec vectors (docs/vectors.md) through the wasm module in Node (pkg/node): each
// case's context, as a JS object, decided by `Kairos.load(bundle).decide(context, true)` and
// compared with the expected values written in examples/scenarios/cases/*.cases.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { ROOT, caseFiles, compileBundle, countSlots, runFile } from '../scenario-cases.mjs';

const require = createRequire(import.meta.url);
const { Kairos } = require(join(ROOT, 'pkg', 'node', 'kairos.js'));
const files = caseFiles();

test('every case file validates against schema/cases.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'cases.schema.json'), 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  assert.equal(files.length, 21);
  for (const { file, doc } of files) assert.ok(validate(doc), `${file}: ${JSON.stringify(validate.errors?.slice(0, 3), null, 1)}`);
  const cases = files.reduce((n, f) => n + f.doc.cases.length, 0);
  assert.ok(cases >= 256 && countSlots(files) >= 294, `${cases} cases: files went missing?`);
});

for (const entry of files) {
  test(`wasm in Node decides as written: ${entry.file}`, async () => {
    const engine = Kairos.load(compileBundle(entry.bundle));
    const failures = await runFile(entry, (c) => engine.decide(c.context, true));
    assert.ok(failures.length === 0, `${failures.length} mismatch(es):\n${failures.join('\n')}`);
  });
}
