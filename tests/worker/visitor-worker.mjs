// A Worker that runs the page module (www/pkg) inside workerd: POST `{bundle: base64, contexts}`
// and each context is decided three ways (../every-way.mjs). visitor.test.mjs copies it, with
// every-way.mjs, beside a copy of www/pkg.
import init, { Kairos } from './pkg/kairos.js';
import wasm from './pkg/kairos_bg.wasm';
import { everyWay } from './every-way.mjs';

let ready;

export default {
  async fetch(request) {
    ready ??= init({ module_or_path: wasm });
    await ready;
    const { bundle, contexts } = await request.json();
    const engine = Kairos.load(Uint8Array.from(atob(bundle), (c) => c.charCodeAt(0)));
    return Response.json(contexts.map((ctx) => everyWay(engine, ctx)));
  },
};
