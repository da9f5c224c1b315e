// Applies slot patches computed in Rust (src/html.rs: what each slot becomes, attributes
// already filtered) with the runtime's HTMLRewriter, which parses the streamed page natively
// instead of inside wasm. Mirrors stream.rs's lol_html apply(): a rewritten slot keeps the
// origin's own markup in an inert <template data-kairos-origin> before the variant's content, and
// the edge's state island (docs/handoff.md) goes first in <head>.
const ORIGIN_OPEN = '<template data-kairos-origin>';
const ORIGIN_CLOSE = '</template>';

export function rewritePage(response, patchesJson, stateHtml) {
  const patches = JSON.parse(patchesJson);
  let island = stateHtml;
  return new HTMLRewriter()
    .on('head', {
      element(el) {
        if (island) el.prepend(island, { html: true });
        island = null;
      },
    })
    .on('[data-kairos-slot]', {
      element(el) {
        const p = patches[el.getAttribute('data-kairos-slot')];
        if (!p) return;
        const html = typeof p.html === 'string';
        if (html || typeof p.text === 'string') {
          el.prepend(ORIGIN_OPEN, { html: true });
          el.append(ORIGIN_CLOSE, { html: true });
          el.append(html ? p.html : p.text, { html });
        }
        for (const [name, value] of p.attrs) el.setAttribute(name, value);
        el.setAttribute('data-kairos-variant', p.variant);
      },
    })
    .transform(response);
}
