// The Worker's cold start in a real workerd (Miniflare 4), against a one-line Worker in the same
// runtime: wall time from spawning workerd to ready, and from ready to the first answer of
// `POST /v1/decide` (bundle from KV, demo context); and workerd's CPU time over each span, read
// from /proc/<pid>/task/*/schedstat (nanoseconds on CPU, every thread), which is what Cloudflare's 1 s start-up limit
// counts (on its machines, not these). Medians of RUNS fresh processes.
//   bash scripts/build-worker.sh && cargo build -p kairos-cli && node benches/worker-cold.mjs
import { Miniflare } from 'miniflare';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WORKER_SCRIPT, ROOT, compile, HISTORY_KEY, IDENTITY_KEY } from '../tests/worker/harness.mjs';

const RUNS = Number(process.env.RUNS || 9);
const demoContext = readFileSync(path.join(ROOT, 'examples/demo/context.json'), 'utf8');
const bundle = compile('examples/demo/rules.json');

/** workerd processes started by this process (Miniflare spawns it as a child). */
function workerdPids() {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,comm=']).toString();
  const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
  const mine = new Set([String(process.pid)]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of rows) if (mine.has(ppid) && !mine.has(pid)) { mine.add(pid); grew = true; }
  }
  return rows.filter(([pid, , comm]) => mine.has(pid) && comm.startsWith('workerd')).map(([pid]) => pid);
}

/** CPU time of every thread of `pids` (V8 compiles wasm on background threads). */
const cpuMs = (pids) => pids.reduce((sum, pid) => {
  let tasks = [];
  try { tasks = readdirSync(`/proc/${pid}/task`); } catch (_) { return sum; }
  for (const task of tasks) {
    try { sum += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]) / 1e6; } catch (_) { /* thread gone */ }
  }
  return sum;
}, 0);

async function once(options, prepare, first) {
  const t0 = performance.now();
  const mf = new Miniflare(options);
  await mf.ready;
  const t1 = performance.now();
  const pids = workerdPids();
  const cpuReady = cpuMs(pids);
  await prepare(mf);
  const cpuPrepared = cpuMs(pids);
  const t2 = performance.now();
  await first(mf);
  const t3 = performance.now();
  const cpuFirst = cpuMs(pids);
  await mf.dispose();
  return { ready_ms: t1 - t0, first_ms: t3 - t2, cpu_ready_ms: cpuReady, cpu_first_ms: cpuFirst - cpuPrepared };
}

const kairos = {
  ...WORKER_SCRIPT,
  kvNamespaces: ['KAIROS'],
  bindings: { ORIGIN: 'http://127.0.0.1:9', HISTORY_KEY, IDENTITY_KEY, BUNDLE_TTL_SECONDS: '0' },
};
const hello = { modules: true, script: 'export default { fetch() { return new Response("ok"); } }', compatibilityDate: '2025-09-01' };

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = {};
for (const [name, options, prepare, first] of [
  ['one-line Worker (workerd itself)', hello, async () => {}, async (mf) => { await (await mf.dispatchFetch('http://x/')).text(); }],
  // The bundle is put in KV after ready, untimed: a deployed Worker finds it there.
  ['kairos Worker, POST /v1/decide', kairos, async (mf) => (await mf.getKVNamespace('KAIROS')).put('bundle', bundle), async (mf) => {
    const res = await mf.dispatchFetch('http://shop.test/v1/decide', { method: 'POST', body: demoContext });
    if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
    await res.text();
  }],
]) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(options, prepare, first));
  rows[name] = Object.fromEntries(Object.keys(runs[0]).map((k) => [k, med(runs.map((r) => r[k]))]));
}
console.log(`workerd cold start, medians of ${RUNS} fresh processes (ms):`);
console.log('| Worker | spawn → ready | ready → first answer | workerd CPU to ready | CPU of the first answer |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, r] of Object.entries(rows)) {
  console.log(`| ${name} | ${r.ready_ms.toFixed(1)} | ${r.first_ms.toFixed(1)} | ${r.cpu_ready_ms.toFixed(1)} | ${r.cpu_first_ms.toFixed(1)} |`);
}
