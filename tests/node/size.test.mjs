// Size budgets (deterministic bytes, not timings): what a page downloads for kairos (.wasm, glue,
// runtime and tag, minified and gzip -9) and the Worker's .wasm stay within benches/size-budget.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUDGET, measure } from '../../benches/size.mjs';

const sizes = measure();

test('the page module, glue, runtime and tag together stay within the page budget (gzip -9)', () => {
  const p = sizes.page;
  assert.ok(p.wasm_gz > 0 && p.glue_gz > 0 && p.runtime_gz > 0 && p.tag_gz > 0, JSON.stringify(p));
  assert.equal(p.total_gz, p.wasm_gz + p.glue_gz + p.runtime_gz + p.tag_gz);
  assert.ok(p.total_gz <= BUDGET.page_total_gz, `page total ${p.total_gz} B gzipped, budget ${BUDGET.page_total_gz} B: ${JSON.stringify(p)}`);
});

test('the Worker wasm stays within its budget (gzip -9)', () => {
  const w = sizes.worker;
  assert.ok(w.wasm_gz <= BUDGET.worker_wasm_gz, `worker wasm ${w.wasm_gz} B gzipped, budget ${BUDGET.worker_wasm_gz} B`);
});
