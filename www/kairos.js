/* kairos classic script: <script src="/kairos/kairos.js" data-bundle="/kairos/bundle.bin" async></script>
 * Queues calls made before the engine is ready, feeds an existing analytics.track/page,
 * and loads the ES module runtime. On any failure the page keeps its default content. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__kairosLoaded) return;
  mark('kairos:script');
  window.__kairosLoaded = true;
  var queue = [];
  var methods = ['track', 'page', 'identify', 'consent', 'decide', 'onDecision'];
  var stub = { ready: null };
  methods.forEach(function (m) { stub[m] = function () { queue.push([m, arguments]); }; });
  window.kairos = stub;

  function mark(name) { try { performance.mark(name); } catch (_) { /* timing is optional */ } }
  function reveal() { var s = document.getElementById('kairos-hide'); if (s && s.parentNode) s.parentNode.removeChild(s); }

  // Analytics shim: an existing analytics.track/page call feeds kairos too.
  function shim(analytics) {
    if (!analytics || analytics.__kairos) return;
    ['track', 'page'].forEach(function (m) {
      var original = analytics[m];
      if (typeof original !== 'function') return;
      analytics[m] = function () {
        try { window.kairos[m].apply(window.kairos, arguments); } catch (e) { /* never break analytics */ }
        return original.apply(this, arguments);
      };
    });
    analytics.__kairos = true;
  }

  var base = script.src.replace(/[^\/?#]*([?#].*)?$/, '');
  var data = script.dataset || {};
  var wasmUrl = data.wasm || base + 'pkg/kairos_bg.wasm';
  // Started now, while the runtime module is still on its way: the bundle's bytes and the
  // compiled wasm are what the first decision waits for, not the module graph. The runtime falls
  // back to its own fetch if either fails (a wrong MIME type, an old browser).
  var early = {};
  // A page the edge personalised carries its decision (docs/handoff.md): its slots are final as
  // sent, so they are shown now; the runtime adopts the decision, and the wasm and the bundle are
  // fetched only if a later event needs a decision here.
  var edgeDecided = !!document.getElementById('kairos-state');
  if (edgeDecided) reveal();
  else try {
    early.bundle = fetch(data.bundle);
    early.wasm = WebAssembly.compileStreaming ? WebAssembly.compileStreaming(fetch(wasmUrl)) : fetch(wasmUrl);
    early.bundle.catch(function () {});
    early.wasm.catch(function () {});
  } catch (_) { early = {}; }
  // The runtime, the wasm-bindgen glue and its snippets as one module (scripts/build-wasm.sh).
  stub.ready = import(base + 'kairos.min.mjs').then(function (m) {
    var config = window.kairosConfig || {}; // scores/geo the server already knows
    var k = m.createKairos({
      scores: config.scores,
      geo: config.geo,
      bundleUrl: data.bundle,
      wasmUrl: wasmUrl,
      early: early,
      beacon: data.beacon,
      publicKey: data.publicKey, // data-public-key: refuse bundles (and previews) not signed by this key
      debugKey: data.debugKey, // data-debug-key: SHA-256 (hex) of the ?kairos_debug= value that opens the overlay
      timeoutMs: data.timeout ? Number(data.timeout) : undefined
    });
    return k.ready.then(function (api) {
      window.kairos = api;
      shim(window.analytics);
      queue.forEach(function (call) {
        try { api[call[0]].apply(api, call[1]); } catch (e) { /* a bad queued call must not stop the rest */ }
      });
      return api;
    });
  }).catch(function (e) {
    reveal();
    try { console.warn('kairos: could not start; showing defaults', e && e.message); } catch (_) {}
    return stub;
  });
})();
