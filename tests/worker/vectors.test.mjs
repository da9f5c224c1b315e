// The scenario spec vectors (docs/vectors.md) through the built Worker in workerd: each
// scenario's compiled bundle goes into KV under `bundle`, and each case's context is POSTed to
// /v1/decide?explain=1 as JSON text; the answers are compared with the expected values. One worker
// for all files: the harness sets BUNDLE_TTL_SECONDS to 0, so every request reads KV again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './harness.mjs';
import { caseFiles, compileBundle, runFile } from '../scenario-cases.mjs';

const files = caseFiles();
let w;

before(async () => {
  w = await startWorker({ bindings: { BUNDLE_TTL_SECONDS: '0' } });
});

after(async () => {
  await w?.mf.dispose();
});

for (const entry of files) {
  test(`the Worker decides as written: ${entry.file}`, async () => {
    await w.kv.put('bundle', compileBundle(entry.bundle));
    const failures = await runFile(entry, async (c) => {
      const res = await w.fetch('/v1/decide?explain=1', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.context),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text}`);
      // The decision must come from the bundle just put, not the built-in one or a cached one.
      if (res.headers.get('x-kairos-bundle') !== 'kv') throw new Error(`bundle source ${res.headers.get('x-kairos-bundle')}`);
      return JSON.parse(text);
    });
    assert.ok(failures.length === 0, `${failures.length} mismatch(es):\n${failures.join('\n')}`);
  });
}
