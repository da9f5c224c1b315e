// What a page and the Worker download, in gzip -9 bytes: the page's .wasm, its wasm-bindgen glue,
// the runtime (www/kairos.mjs) and the tag (www/kairos.js), each JS file minified with esbuild as
// a site would ship it; the Worker's .wasm and its JS. Deterministic for given build outputs, so
// the budget test (tests/node/size.test.mjs) and `bash benches/size.sh` share this one measure.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The budgets, in one place: gzip -9 bytes (benches/size-budget.json says why each is where it is). */
export const BUDGET = JSON.parse(readFileSync(join(ROOT, 'benches', 'size-budget.json'), 'utf8'));

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const minified = (file) =>
  execFileSync(join(ROOT, 'node_modules', '.bin', 'esbuild'), [file, '--minify', '--log-level=error'], { maxBuffer: 1 << 26 });

/** `{page: {wasm_gz, glue_gz, runtime_gz, tag_gz, total_gz, wasm_raw}, worker: {wasm_gz, js_gz, total_gz, wasm_raw}}`. */
export function measure() {
  const file = (...p) => {
    const f = join(ROOT, ...p);
    if (!existsSync(f)) throw new Error(`${f} is missing: run bash scripts/build-wasm.sh and scripts/build-worker.sh`);
    return f;
  };
  const wasm = readFileSync(file('www', 'pkg', 'kairos_bg.wasm'));
  const page = {
    wasm_gz: gz(wasm),
    glue_gz: gz(minified(file('www', 'pkg', 'kairos.js'))),
    runtime_gz: gz(minified(file('www', 'kairos.mjs'))),
    tag_gz: gz(minified(file('www', 'kairos.js'))),
    wasm_raw: wasm.length,
  };
  page.total_gz = page.wasm_gz + page.glue_gz + page.runtime_gz + page.tag_gz;
  const workerWasm = readFileSync(file('build', 'worker', 'index_bg.wasm'));
  const js = Buffer.concat([readFileSync(file('build', 'worker', 'index.js')), readFileSync(file('build', 'worker', 'shim.mjs'))]);
  const worker = { wasm_gz: gz(workerWasm), js_gz: gz(js), wasm_raw: workerWasm.length };
  worker.total_gz = worker.wasm_gz + worker.js_gz;
  return { page, worker };
}
