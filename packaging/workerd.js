// `kairos-engine` under workerd (Cloudflare Workers, wrangler, Miniflare): the page module,
// instantiated at import from the compiled module the runtime hands over for a .wasm import.
import wasm from '../page/pkg/kairos_bg.wasm';
import { initSync } from '../page/pkg/kairos.js';

initSync({ module: wasm });

export { Kairos, Visitor, bucket, decide } from '../page/pkg/kairos.js';
