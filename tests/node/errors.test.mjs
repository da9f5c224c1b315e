// JS errors from the wasm module keep their stable `code`, carry the inner error as `cause`
// (ES2022), and say where: `path` for contexts, `path`/`line`/`column` for located rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kairos = createRequire(import.meta.url)(join(root, 'pkg', 'node', 'kairos.js'));
const tmp = mkdtempSync(join(tmpdir(), 'kairos-errors-'));
execFileSync(join(root, 'target/debug/kairos'), ['compile', join(root, 'examples/demo/rules.json'), '-o', join(tmp, 'demo.bin')]);
const bundle = readFileSync(join(tmp, 'demo.bin'));

function thrown(fn) {
  try { fn(); } catch (e) { return e; }
  assert.fail('expected a throw');
}

test('a bad context: E_CONTEXT, the JSON path, and the deserialiser error as cause', () => {
  const engine = kairos.Kairos.load(bundle);
  const e = thrown(() => engine.decide({ now: '2026-06-01T12:00:00Z', consent: { personalization: 'yes' } }));
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'E_CONTEXT');
  assert.match(e.path, /consent/);
  assert.ok(e.cause, 'cause is set');
  assert.match(e.message, /consent/);
});

test('a corrupt or foreign bundle: its E_BUNDLE_* code', () => {
  const corrupt = Buffer.from(bundle); corrupt.fill(0x5a, 30, 60);
  assert.equal(thrown(() => kairos.Kairos.load(corrupt)).code, 'E_BUNDLE_CORRUPT');
  const version = Buffer.from(bundle); version[6] = 9;
  assert.equal(thrown(() => kairos.Kairos.load(version)).code, 'E_BUNDLE_VERSION');
  assert.equal(thrown(() => kairos.Kairos.load(Buffer.from('not a bundle'))).code, 'E_BUNDLE_MAGIC');
});

test('a malformed public key: E_KEY with the key error as cause', () => {
  const e = thrown(() => kairos.Kairos.load(bundle, { publicKey: 'zz' }));
  assert.equal(e.code, 'E_KEY');
  assert.ok(e.cause);
});

test('render of an unknown slot: E_SLOT naming the slots there are', () => {
  const engine = kairos.Kairos.load(bundle);
  const e = thrown(() => engine.render('no_such_slot', { now: '2026-06-01T12:00:00Z' }));
  assert.equal(e.code, 'E_SLOT');
  assert.match(e.message, /hero/);
});
