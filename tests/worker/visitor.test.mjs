// The scenario spec vectors (docs/vectors.md) through the page module's resident visitor inside
// workerd: a small Worker (visitor-worker.mjs) loads www/pkg as a Worker would, and decides every
// case by context, by a visitor told the events one by one, and by that visitor saved and
// restored. The three must agree byte for byte and with the expected values, as they do natively
// (tests/visitor.rs), in Node (tests/node/visitor.test.mjs) and in Chromium (tests/browser/).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { ROOT } from './harness.mjs';
import { caseFiles, compareEveryWay, compileBundle } from '../scenario-cases.mjs';

const files = caseFiles();
const dir = path.join(ROOT, 'target', 'workerd-visitor');
let mf;

before(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, 'www', 'pkg'), path.join(dir, 'pkg'), { recursive: true });
  cpSync(path.join(ROOT, 'tests', 'worker', 'visitor-worker.mjs'), path.join(dir, 'worker.mjs'));
  cpSync(path.join(ROOT, 'tests', 'every-way.mjs'), path.join(dir, 'every-way.mjs'));
  mf = new Miniflare({
    modules: true,
    scriptPath: path.join(dir, 'worker.mjs'),
    modulesRoot: dir,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2025-09-01',
  });
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
});

for (const { file, doc, bundle } of files) {
  test(`the page module in workerd decides as written, by context and by visitor: ${file}`, async () => {
    const body = JSON.stringify({ bundle: Buffer.from(compileBundle(bundle)).toString('base64'), contexts: doc.cases.map((c) => c.context) });
    const res = await mf.dispatchFetch('http://vectors.test/', { method: 'POST', body });
    assert.equal(res.status, 200, await res.clone().text());
    const decided = await res.json();
    const failures = [];
    doc.cases.forEach((c, j) => {
      for (const p of compareEveryWay(c, decided[j])) failures.push(`${file} › ${c.name}: ${p}`);
    });
    assert.ok(failures.length === 0, `${failures.length} mismatch(es):\n${failures.join('\n')}`);
  });
}
