// The kairos edge Worker as a fetch handler, for `export default createWorker()` in a Worker a JS
// team deploys without a Rust toolchain (npm package: kairos-engine/worker). Everything is
// configured from `env`, as docs/edge.md lists it: vars and secrets (ORIGIN, TRACK, HISTORY_KEY,
// IDENTITY_KEY, …) and the KAIROS KV binding. `options.vars` adds or overrides string vars in code.
//
// The core does not panic on input (fuzzed and property-tested), but if the wasm ever traps, the
// instance is poisoned: start a fresh one (wasm-bindgen's --experimental-reset-state-function)
// so one bad request cannot break every later one in this isolate.
import * as kairos from './index.js';

export function createWorker(options = {}) {
  const vars = { ...(options.vars || {}) };
  for (const [name, value] of Object.entries(vars)) {
    if (typeof value !== 'string') throw new TypeError(`kairos: vars.${name} must be a string`);
  }
  const withVars = Object.keys(vars).length > 0;
  return {
    async fetch(request, env, ctx) {
      try {
        return await kairos.fetch(request, withVars ? { ...env, ...vars } : env, ctx);
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError || /Module terminated|unreachable/i.test(String(e))) {
          kairos.__wbg_reset_state();
        }
        console.error('kairos: internal error', e instanceof Error ? e.name : 'unknown');
        return new Response('{"error":{"code":"E_INTERNAL","message":"internal error"}}', {
          status: 500,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        });
      }
    },
  };
}

export default createWorker();
