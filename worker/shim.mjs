// Worker entry: hands each request to the Rust `fetch` (src/bindings/worker.rs).
// The wasm-bindgen glue (index.js, built with --experimental-reset-state-function) starts a
// fresh instance after a trap, so one bad request cannot poison the isolate.
import * as kairos from './index.js';

export default {
  fetch(request, env, ctx) {
    return kairos.fetch(request, env, ctx);
  },
};
