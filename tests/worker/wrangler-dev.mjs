// `wrangler dev` (workerd) serving the built Worker (build/worker) for tests that drive a real
// browser through the edge. Configuration is a temporary wrangler.toml under target/; the KV
// bundle is written with `wrangler kv key put --local` into the same persisted state.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './harness.mjs';

const WRANGLER = path.join(ROOT, 'node_modules/.bin/wrangler');
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' };

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Starts `wrangler dev` with `vars` and the KV entries `kv` (key → bytes); returns { base, stop }. */
export async function wranglerDev({ vars, kv = {} }) {
  const dir = fs.mkdtempSync(path.join(ROOT, 'target', 'wrangler-dev-'));
  const main = path.relative(dir, path.join(ROOT, 'build/worker/shim.mjs'));
  const toml = [
    'name = "kairos-test"',
    `main = "${main}"`,
    'compatibility_date = "2025-09-01"',
    '[[kv_namespaces]]',
    'binding = "KAIROS"',
    'id = "kairos-test"',
    '[vars]',
    ...Object.entries(vars).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    '[[rules]]',
    'type = "CompiledWasm"',
    'globs = ["**/*.wasm"]',
    'fallthrough = true',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'wrangler.toml'), toml + '\n');
  const state = path.join(dir, 'state');
  for (const [key, bytes] of Object.entries(kv)) {
    const file = path.join(dir, `kv-${key.replace(/\W/g, '_')}`);
    fs.writeFileSync(file, bytes);
    execFileSync(WRANGLER, ['kv', 'key', 'put', key, '--path', file, '--binding', 'KAIROS', '--local', '--persist-to', state], { cwd: dir, env: ENV, stdio: 'pipe' });
  }
  const port = await freePort();
  // Its own inspector port too, so several instances can run at once.
  const inspector = await freePort();
  const child = spawn(WRANGLER, ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', state, '--show-interactive-dev-session=false'], {
    cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  // localhost: Chromium keeps the Worker's `Secure` cookies from it, as from any HTTPS site.
  const base = `http://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${log}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/decide`, { method: 'POST', body: '{"now": 0}' });
      if (res.status === 200 || res.status === 400 || res.status === 503) break;
    } catch (_) { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not answer within 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    log: () => log,
    stop: async () => {
      try { process.kill(-child.pid, 'SIGTERM'); } catch (_) { /* already gone */ }
      await new Promise((r) => { if (child.exitCode !== null) r(); else child.on('exit', r); setTimeout(r, 5000); });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
