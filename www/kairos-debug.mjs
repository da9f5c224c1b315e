// kairos debug overlay (docs/preview.md): a panel listing each slot's variant, reason, missing
// signals and explanation. The page runtime imports this module only for `?kairos_debug` with an
// active preview or the site's debug key, so ordinary visitors never download it.
//
// Everything shown is set as text (never as markup), inside a shadow root so the page's styles
// and the panel's cannot meet.

const STYLE = `
:host { all: initial; }
.panel { position: fixed; right: 12px; bottom: 12px; z-index: 2147483647; width: min(820px, calc(100vw - 24px));
  max-height: 60vh; overflow: auto; background: #10151c; color: #e8edf2; border-radius: 10px;
  box-shadow: 0 8px 30px rgba(0,0,0,.35); font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
header { display: flex; gap: 8px; align-items: center; padding: 10px 12px; border-bottom: 1px solid #263140; position: sticky; top: 0; background: #10151c; }
header strong { font-size: 14px; }
header .note { color: #9fb0c3; flex: 1; }
button { all: unset; cursor: pointer; padding: 2px 8px; border-radius: 6px; background: #263140; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
col.c-slot { width: 12%; } col.c-variant { width: 22%; } col.c-reason { width: 13%; } col.c-missing { width: 18%; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid #1c2532; overflow-wrap: anywhere; }
th { color: #9fb0c3; font-weight: normal; }
.reason { padding: 1px 6px; border-radius: 4px; background: #263140; white-space: nowrap; }
.forced { background: #7c3aed; color: #fff; }
.rule { background: #15803d; color: #fff; }
.missing { color: #fbbf24; }
.why { color: #c7d2de; }
footer { padding: 8px 12px; color: #9fb0c3; }
`;

/** An element with text content only. */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

/** The missing signals of one slot: what its candidates lacked. */
function slotMissing(slot) {
  const seen = new Set();
  for (const c of slot.explain?.candidates || []) for (const m of c.missing || []) seen.add(m);
  return [...seen];
}

/** "until 14:05" from a preview token's expiry field (Unix seconds). */
function previewNote(token) {
  const seconds = Number(String(token).split('.')[1]);
  if (!Number.isFinite(seconds)) return 'preview active';
  const until = new Date(seconds * 1000);
  return `preview active until ${until.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
}

/** Opens the panel on `kairos` (the page API) and keeps it current with every decision. */
export function openOverlay(kairos, previewToken) {
  const existing = document.querySelector('kairos-debug');
  if (existing) existing.remove();
  const host = document.createElement('kairos-debug');
  const root = host.attachShadow({ mode: 'open' });
  root.appendChild(el('style', STYLE));
  const panel = el('section', null, 'panel');
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', 'kairos decisions');
  const header = el('header');
  header.append(el('strong', 'kairos'), el('span', previewToken ? previewNote(previewToken) : 'debug key', 'note'));
  const close = el('button', 'close');
  close.addEventListener('click', () => host.remove());
  header.append(close);
  const table = el('table');
  const columns = el('colgroup');
  const head = el('tr');
  for (const name of ['slot', 'variant', 'reason', 'missing', 'why']) {
    columns.append(el('col', null, `c-${name}`));
    head.append(el('th', name));
  }
  table.append(columns);
  const body = el('tbody');
  table.append(el('thead'), body);
  table.tHead.append(head);
  const footer = el('footer');
  panel.append(header, table, footer);
  root.appendChild(panel);
  document.body.appendChild(host);

  // Every decision is shown explained: one without explanations (an event's) is made again with.
  let explaining = false;
  function show(decision) {
    if (!decision || !decision.slots || !host.isConnected) return;
    if (!explaining && Object.values(decision.slots).some((slot) => !slot.explain)) {
      explaining = true;
      try { if (kairos.decide(true)) return; } finally { explaining = false; }
    }
    body.replaceChildren();
    for (const [name, slot] of Object.entries(decision.slots)) {
      const row = el('tr');
      row.setAttribute('data-slot', name);
      const reason = el('span', slot.reason, `reason ${slot.reason === 'forced' || slot.reason === 'rule' ? slot.reason : ''}`);
      const reasonCell = el('td');
      reasonCell.append(reason);
      const missing = slotMissing(slot);
      row.append(
        el('td', name),
        el('td', slot.is_default ? `${slot.variant} (default)` : slot.variant),
        reasonCell,
        el('td', missing.length ? missing.join(', ') : '—', missing.length ? 'missing' : ''),
        el('td', slot.explain?.summary || '—', 'why'),
      );
      body.append(row);
    }
    const flags = [`consent: ${decision.consent ? 'yes' : 'no'}`, `holdout: ${decision.holdout ? 'yes' : 'no'}`];
    if (decision.missing?.length) flags.push(`missing: ${decision.missing.join(', ')}`);
    footer.textContent = flags.join(' · ');
  }

  kairos.onDecision(show);
  show(kairos.lastDecision);
  return host;
}
