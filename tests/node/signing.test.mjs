// Signed bundles in Node (docs/signing.md): the documented vector checked with Node's own Ed25519
// (OpenSSL, an implementation independent of kairos), envelopes built here in JS accepted by the
// wasm module, and every wrong signature refused with a coded error when a key is configured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const kairos = require(join(root, 'pkg', 'node', 'kairos.js'));
const cli = join(root, 'target', 'debug', 'kairos');
const tmp = mkdtempSync(join(tmpdir(), 'kairos-signing-'));
const vector = JSON.parse(readFileSync(join(root, 'tests', 'vectors', 'signing.json'), 'utf8'));
const hex = (s) => Buffer.from(s, 'hex');

/** An Ed25519 key pair from a 32-byte seed, in Node's key objects. */
function keyPair(seed) {
  const der = Buffer.concat([hex('302e020100300506032b657004220420'), seed]); // PKCS#8 prefix for a raw seed
  const privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const publicKey = crypto.createPublicKey(privateKey);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  return { privateKey, publicKey, hex: raw.toString('hex'), id: crypto.createHash('sha512').update(raw).digest().subarray(0, 8) };
}

/** docs/signing.md's envelope, built in JS: magic, version, key id, signature, bundle. */
function envelope(bundle, pair) {
  const head = Buffer.concat([Buffer.from('KAIROSSIG'), Buffer.from([1]), pair.id]);
  const signature = crypto.sign(null, Buffer.concat([head, bundle]), pair.privateKey);
  return Buffer.concat([head, signature, bundle]);
}

function compile(rulesPath) {
  const out = join(tmp, rulesPath.replace(/[\/.]/g, '_') + '.bin');
  execFileSync(cli, ['compile', join(root, rulesPath), '-o', out]);
  return readFileSync(out);
}

const ctx = JSON.parse(readFileSync(join(root, 'examples/demo/context.json'), 'utf8'));
const site = keyPair(hex(vector.seed));
const other = keyPair(crypto.randomBytes(32));

test('the documented vector verifies with Node’s own Ed25519', () => {
  assert.equal(site.hex, vector.public_key);
  assert.equal(site.id.toString('hex'), vector.key_id);
  const env = hex(vector.envelope);
  assert.deepEqual(env.subarray(82), hex(vector.bundle));
  const message = Buffer.concat([env.subarray(0, 18), env.subarray(82)]);
  assert.ok(crypto.verify(null, message, site.publicKey, hex(vector.signature)));
  assert.deepEqual(envelope(hex(vector.bundle), site), env, 'Ed25519 signing is deterministic');
  assert.deepEqual(kairos.Kairos.load(env, { publicKey: vector.public_key }).slotNames(), ['hero']);
});

test('a bundle signed by the CLI and one signed here both load with the key', () => {
  const keyFile = join(tmp, 'site.key');
  writeFileSync(keyFile, `${vector.seed}\n`, { mode: 0o600 });
  const out = join(tmp, 'signed.bin');
  execFileSync(cli, ['compile', join(root, 'examples/demo/rules.json'), '-o', out, '--sign', keyFile]);
  const byCli = readFileSync(out);
  const plain = compile('examples/demo/rules.json');
  assert.deepEqual(byCli, envelope(plain, site), 'the CLI and Node make the same envelope');
  const expected = kairos.Kairos.load(plain).decide(ctx, true);
  for (const bytes of [byCli, envelope(plain, site)]) {
    assert.deepEqual(kairos.Kairos.load(bytes, { publicKey: site.hex }).decide(ctx, true), expected);
    assert.deepEqual(kairos.Kairos.load(bytes).decide(ctx, true), expected, 'no key: signed bundles load too');
    assert.deepEqual(kairos.Kairos.load(bytes, {}).decide(ctx, true), expected);
  }
});

test('with a key configured, unsigned and mis-signed bundles are refused with codes', () => {
  const plain = compile('examples/demo/rules.json');
  const signed = envelope(plain, site);
  const flipped = (i) => { const b = Buffer.from(signed); b[i] ^= 0x04; return b; };
  const cases = [
    ['unsigned', plain, 'E_BUNDLE_UNSIGNED'],
    ['another key', envelope(plain, other), 'E_BUNDLE_KEY'],
    ['flipped bundle bit', flipped(signed.length - 7), 'E_BUNDLE_SIGNATURE'],
    ['flipped signature bit', flipped(40), 'E_BUNDLE_SIGNATURE'],
    ['truncated', signed.subarray(0, 60), 'E_BUNDLE_SIGNATURE'],
    ['not a bundle', Buffer.from('{"kairos": 1}'), 'E_BUNDLE_UNSIGNED'],
  ];
  for (const [name, bytes, code] of cases) {
    assert.throws(() => kairos.Kairos.load(bytes, { publicKey: site.hex }), (e) => e instanceof Error && e.code === code, name);
  }
  for (const bad of ['', 'abcd', 'zz'.repeat(32), `01${'00'.repeat(31)}`, 42]) {
    assert.throws(() => kairos.Kairos.load(signed, { publicKey: bad }), (e) => e.code === 'E_KEY', String(bad));
  }
  // The instance keeps working after every refusal.
  assert.ok(kairos.Kairos.load(signed, { publicKey: site.hex }).decide(ctx, false).slots.hero);
});
