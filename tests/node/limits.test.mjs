// Depth bombs through the real wasm modules (a fixed 1 MiB stack, no guard page, and JS values
// with no parser recursion limit): each is a coded, located error, never a stack overflow, and
// the instance keeps working. The JSON forms of these bombs are tested natively (tests/limits.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const kairos = require(join(root, 'pkg', 'node', 'kairos.js'));
const cli = join(root, 'target', 'debug', 'kairos');
const tmp = mkdtempSync(join(tmpdir(), 'kairos-limits-'));

/** `depth` levels of `wrap` around `inner`, built without recursion. */
function nest(depth, wrap, inner) {
  let v = inner;
  for (let i = 0; i < depth; i++) v = wrap(v);
  return v;
}

const DEEP = 100_000;
const out = join(tmp, 'demo.bin');
execFileSync(cli, ['compile', join(root, 'examples/demo/rules.json'), '-o', out]);
const engine = kairos.Kairos.load(readFileSync(out));
const ctx = JSON.parse(readFileSync(join(root, 'examples/demo/context.json'), 'utf8'));

test('deep context values are refused with E_CONTEXT, and the instance keeps deciding', () => {
  const cases = [
    ['profile value', { ...ctx, profile: { x: nest(DEEP, (v) => [v], 1) } }, /^context profile\.x/],
    ['event property', { ...ctx, events: [{ e: 'x', t: 0, p: { y: nest(DEEP, (v) => ({ a: v }), 1) } }] }, /^context events\[0\]/],
    ['analytics envelope', { ...ctx, events: [{ e: 'x', t: 0, context: nest(DEEP, (v) => ({ a: v }), 1) }] }, /^context events\[0\]/],
    ['client hint', { ...ctx, session: { ...ctx.session, client_hints: { brands: nest(DEEP, (v) => [v], 1) } } }, /^context session\.client_hints/],
  ];
  for (const [name, bomb, where] of cases) {
    assert.throws(() => engine.decide(bomb, true), (e) => {
      assert.ok(e instanceof Error && !(e instanceof RangeError), `${name}: ${e}`);
      assert.equal(e.code, 'E_CONTEXT', name);
      assert.match(e.message, where, name);
      assert.match(e.message, /nested deeper than 32 levels/, name);
      return true;
    });
    assert.ok(engine.decide(ctx, false).slots.hero, `${name}: still deciding`);
  }
});

test('deep rules given to the playground build are refused with E_DEPTH and a path', async () => {
  const { initSync, compileRules } = await import(join(root, 'pkg', 'playground', 'kairos.js'));
  initSync({ module: readFileSync(join(root, 'pkg', 'playground', 'kairos_bg.wasm')) });
  const withWhen = (when) => ({ kairos: 1, slots: { s: { default: { id: 'd' }, variants: [{ id: 'v', when }] } } });
  const withContent = (content) => ({ kairos: 1, slots: { s: { default: { id: 'd' }, variants: [{ id: 'v', content }] } } });
  const cases = [
    ['not', withWhen(nest(DEEP, (v) => ({ not: v }), true)), 'slots.s.variants[0].when.not.not'],
    ['all', withWhen(nest(DEEP, (v) => ({ all: [v] }), true)), 'slots.s.variants[0].when.all[0].all[0]'],
    ['list', withWhen(nest(DEEP, (v) => [v], 1)), 'slots.s.variants[0].when'],
    ['content', withContent(nest(DEEP, (v) => ({ a: v }), 1)), 'slots.s.variants[0].content.a.a'],
  ];
  for (const [name, rules, path] of cases) {
    assert.throws(() => compileRules(rules), (e) => {
      assert.ok(e instanceof Error && !(e instanceof RangeError), `${name}: ${e}`);
      assert.equal(e.code, 'E_DEPTH', `${name}: ${e.message}`);
      assert.ok(e.path.startsWith(path), `${name}: ${e.path}`);
      assert.match(e.message, /nested deeper than/, name);
      return true;
    });
  }
  // Still compiling afterwards (the nesting counter unwound).
  assert.ok(compileRules(withWhen({ not: { not: true } })).length > 16);
});
