// Applies slot patches computed in Rust (src/html.rs: what each slot becomes, attributes
// already filtered) with the runtime's HTMLRewriter, which parses the streamed page natively
// instead of inside wasm. Mirrors stream.rs's lol_html apply().
export function rewriteSlots(response, patchesJson) {
  const patches = JSON.parse(patchesJson);
  return new HTMLRewriter()
    .on('[data-kairos-slot]', {
      element(el) {
        const p = patches[el.getAttribute('data-kairos-slot')];
        if (!p) return;
        if (typeof p.html === 'string') el.setInnerContent(p.html, { html: true });
        else if (typeof p.text === 'string') el.setInnerContent(p.text, { html: false });
        for (const [name, value] of p.attrs) el.setAttribute(name, value);
        el.setAttribute('data-kairos-variant', p.variant);
      },
    })
    .transform(response);
}
