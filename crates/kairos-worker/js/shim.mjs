// Worker entry: hands each request to the Rust `fetch` (crates/kairos-worker/src/lib.rs).
// The core does not panic on input (fuzzed and property-tested), but if the wasm ever traps, the
// instance is poisoned: start a fresh one (wasm-bindgen's --experimental-reset-state-function)
// so one bad request cannot break every later one in this isolate.
import * as kairos from './index.js';

export default {
  async fetch(request, env, ctx) {
    try {
      return await kairos.fetch(request, env, ctx);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError || /Module terminated|unreachable/i.test(String(e))) {
        kairos.__wbg_reset_state();
      }
      console.error('kairos: internal error', e instanceof Error ? e.name : 'unknown');
      return new Response('{"error":{"message":"internal error"}}', {
        status: 500,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      });
    }
  },
};
