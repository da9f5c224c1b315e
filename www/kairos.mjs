// kairos page runtime: personalises elements marked data-kairos-slot with the
// wasm decision core. Everything that can go wrong leaves the server-rendered
// defaults visible and the page usable, with at most one console warning.
//
// One resident visitor per page holds the history in wasm memory: events are tracked into it
// as they happen and a decision sends only this moment's session. With consent, its `save()`
// bytes are kept (VISITOR_KEY) so the next page starts without re-reading the history; the
// bounded event log (HISTORY_KEY) stays the record it is rebuilt from when the bytes cannot be
// read or were saved for a bundle that reads the history differently (a deploy that changes only
// content or priorities keeps them).
//
// Behind the edge Worker (docs/handoff.md), a personalised page carries the edge's state in
// <script type="application/json" id="kairos-state">: the runtime adopts that decision, loads no
// wasm and changes nothing on the page until an event or a navigation calls for a new decision.
// Events tracked here also go to the edge in the kairos_pending cookie, merged there by id.

import init, { Kairos } from './pkg/kairos.js';

const HISTORY_KEY = 'kairos:history';
const VISITOR_KEY = 'kairos:visitor';
const PROFILE_KEY = 'kairos:profile';
const CONSENT_KEY = 'kairos:consent';
const SESSION_KEY = 'kairos:session';
// One visitor for the page and the edge (docs/identity.md): the anonymous id lives in the
// `kairos_aid` cookie the edge reads (signed by the edge when it has a key) and is mirrored to
// localStorage; consent lives in the `kairos_consent` cookie the edge reads, mirrored likewise.
const ID_COOKIE = 'kairos_aid';
const ID_KEY = 'kairos:aid';
const CONSENT_COOKIE = 'kairos_consent';
const COOKIE_MAX_AGE = 400 * 24 * 3600; // the most browsers keep a cookie
const ID_FORM = /^a[A-Za-z0-9_-]{22}$/;
const PENDING_COOKIE = 'kairos_pending';
const MAX_PENDING_BYTES = 1800; // the cookie's value, base64url: well under a browser's 4 KB
const STATE_VERSION = 1;
// QA previews (docs/preview.md): the link's parameter and the session cookie the edge reads too.
const PREVIEW = 'kairos_preview';
const MAX_EVENTS = 500;
const MAX_HISTORY_BYTES = 200_000;

let warned = false;
function warnOnce(message, error) {
  if (warned) return;
  warned = true;
  try { console.warn(`kairos: ${message}`, error && (error.code || error.message || error)); } catch (_) { /* console unavailable */ }
}

// Storage that never throws: private mode, quota errors and disabled storage all degrade to memory.
function safeStorage(kind) {
  const memory = new Map();
  let store = null;
  try { store = window[kind]; const k = '__kairos_probe'; store.setItem(k, k); store.removeItem(k); } catch (_) { store = null; }
  return {
    get(key) { try { return store ? store.getItem(key) : memory.get(key) ?? null; } catch (_) { return memory.get(key) ?? null; } },
    set(key, value) {
      memory.set(key, value);
      try { if (store) store.setItem(key, value); return true; } catch (_) { return false; }
    },
    remove(key) { memory.delete(key); try { if (store) store.removeItem(key); } catch (_) { /* nothing to wipe */ } },
  };
}

// First-party cookies the edge reads too; never throw (cookies may be disabled).
const cookieJar = {
  get(name) {
    try {
      for (const pair of document.cookie.split(';')) {
        const at = pair.indexOf('=');
        if (at > 0 && pair.slice(0, at).trim() === name) return decodeURIComponent(pair.slice(at + 1).trim());
      }
    } catch (_) { /* no cookies */ }
    return null;
  },
  /** maxAge null: for this browser session only. */
  set(name, value, maxAge = COOKIE_MAX_AGE) {
    try {
      const secure = location.protocol === 'https:' ? '; Secure' : '';
      const age = maxAge === null ? '' : `; Max-Age=${maxAge}`;
      document.cookie = `${name}=${encodeURIComponent(value)}; Path=/${age}; SameSite=Lax${secure}`;
    } catch (_) { /* no cookies: storage alone */ }
  },
  remove(name) { this.set(name, '', 0); },
};

function base64url(bytes) {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `n` random bytes in base64url. */
function randomText(n) {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}

/** A new anonymous id: `a` and 128 random bits in base64url, the edge's form. */
function newAnonymousId() {
  return 'a' + randomText(16);
}

/** A new event id: `p` and 64 random bits (the edge's own are `e…`). */
function newEventId() {
  return 'p' + randomText(8);
}

/** The edge's state island, parsed and checked for shape; null when absent, 'bad' when unusable. */
function edgeState() {
  const el = document.getElementById('kairos-state');
  if (!el) return null;
  try {
    const s = JSON.parse(el.textContent);
    const ok = s && s.v === STATE_VERSION && typeof s.consent === 'boolean' && Array.isArray(s.events)
      && s.decision && typeof s.decision.slots === 'object' && s.decision.slots !== null;
    return ok ? s : 'bad';
  } catch (_) {
    return 'bad';
  }
}

function readJson(storage, key, fallback) {
  try { const v = JSON.parse(storage.get(key)); return v ?? fallback; } catch (_) { return fallback; }
}

/** A copy without `undefined` fields (the core reads absent fields, not undefined ones). */
function dropUndefined(value) {
  return JSON.parse(JSON.stringify(value));
}

function normalizeName(name) {
  return String(name).trim().toLowerCase().replace(/[ .-]/g, '_');
}

/** Keeps the newest events within the count and byte bounds (oldest dropped first). */
export function boundHistory(events, maxEvents = MAX_EVENTS, maxBytes = MAX_HISTORY_BYTES) {
  let out = events.slice(-maxEvents);
  let text = JSON.stringify(out);
  while (out.length && text.length > maxBytes) {
    out = out.slice(Math.ceil(out.length / 10));
    text = JSON.stringify(out);
  }
  return out;
}

function scalarProps(props) {
  const out = {};
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = typeof v === 'string' ? v.slice(0, 1024) : v;
  }
  return out;
}

function toBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function mark(name) { try { performance.mark(name); } catch (_) { /* timing is optional */ } }
function hideStyle() { return document.getElementById('kairos-hide'); }
function reveal() { try { hideStyle()?.remove(); } catch (_) { /* already gone */ } }

/** Applies one slot's decision to its element; returns false if the payload could not be applied. */
// What the element becomes is the core's projection (src/html.rs), computed in wasm with the
// decision: the same text fallback, attribute allow list and URL checks as the edge and the CLI.
function applySlot(el, slot, patch) {
  if (!el.hasAttribute('data-kairos-default')) {
    // Rewritten at the edge: the origin's own markup is in its inert template, not on show.
    const origin = el.querySelector(':scope > template[data-kairos-origin]');
    el.setAttribute('data-kairos-default', origin ? origin.innerHTML : el.innerHTML);
  }
  if (slot.is_default || !patch) {
    if (el.getAttribute('data-kairos-variant')) el.innerHTML = el.getAttribute('data-kairos-default');
    el.removeAttribute('data-kairos-variant');
    return true;
  }
  // html: a bundle template whose {{fields}} the core already escaped for HTML text.
  if (typeof patch.html === 'string') el.innerHTML = patch.html;
  else if (typeof patch.text === 'string') el.textContent = patch.text;
  for (const [name, value] of patch.attrs) el.setAttribute(name, value);
  el.setAttribute('data-kairos-variant', patch.variant);
  return true;
}

export function createKairos(options = {}) {
  const storage = options.storage || safeStorage('localStorage');
  const session = options.sessionStorage || safeStorage('sessionStorage');
  const listeners = [];
  let engine = null;
  let visitor = null;
  let lastMoment = null;
  let lastDecision = null;
  const cookies = options.cookies || cookieJar;
  // Consent: the cookie both sides read wins; the local copy stands in where cookies are off.
  const consentCookie = cookies.get(CONSENT_COOKIE);
  let consent = consentCookie !== null ? { personalization: /^(1|yes|true|granted)$/i.test(consentCookie.trim()) } : readJson(storage, CONSENT_KEY, null);

  const state = readJson(session, SESSION_KEY, {});
  state.page_views = (state.page_views || 0) + 1;
  state.product_views = state.product_views || [];
  state.searches = state.searches || [];
  session.set(SESSION_KEY, JSON.stringify(state));

  const hasConsent = () => !!(consent && consent.personalization);

  // A QA preview token: the link's, kept for the session, else the session's (edge or an earlier
  // page). Forced only once wasm has checked it with data-public-key (applyPreview).
  let query = null;
  try { query = new URLSearchParams(location.search); } catch (_) { /* no query */ }
  const linked = query?.get(PREVIEW);
  let previewToken = linked || cookies.get(PREVIEW);
  if (linked) cookies.set(PREVIEW, linked, linked === 'off' ? 0 : null);
  if (linked === 'off') previewToken = null;
  let previewing = false;
  const storedHistory = () => (hasConsent() ? readJson(storage, HISTORY_KEY, []) : []);
  const profile = () => (hasConsent() ? readJson(storage, PROFILE_KEY, {}) : {});

  function saveSession() { session.set(SESSION_KEY, JSON.stringify(state)); }

  /** The anonymous id, with consent only: the edge's cookie (its signature stays with the
   *  cookie), else the local copy, else a new one; kept in both places. Null without consent. */
  let anonymousId = null;
  function identity() {
    if (!hasConsent()) return (anonymousId = null);
    if (anonymousId) return anonymousId;
    const fromCookie = (cookies.get(ID_COOKIE) || '').split('.')[0];
    const stored = storage.get(ID_KEY);
    anonymousId = ID_FORM.test(fromCookie) ? fromCookie : ID_FORM.test(stored || '') ? stored : newAnonymousId();
    if (fromCookie !== anonymousId) cookies.set(ID_COOKIE, anonymousId);
    if (stored !== anonymousId) storage.set(ID_KEY, anonymousId);
    return anonymousId;
  }

  function storeHistory(events) {
    if (!storage.set(HISTORY_KEY, JSON.stringify(events))) {
      // Quota: drop the older half and try once more; otherwise keep going from memory.
      storage.set(HISTORY_KEY, JSON.stringify(events.slice(Math.floor(events.length / 2))));
    }
  }

  /** Events the edge has not seen yet, for its next answer (it merges them by id): the cookie is
   *  `<id>.<id>…~<base64url(JSON events)>` (crates/kairos-edge/src/handoff.rs). */
  function readPending() {
    try {
      const value = cookies.get(PENDING_COOKIE) || '';
      const bar = value.indexOf('~');
      if (bar < 0) return [];
      const ids = value.slice(0, bar).split('.');
      const text = new TextDecoder().decode(fromBase64(value.slice(bar + 1).replace(/-/g, '+').replace(/_/g, '/')));
      const events = JSON.parse(text);
      return Array.isArray(events) && events.length === ids.length ? events.map((e, n) => ({ ...e, i: ids[n] })) : [];
    } catch (_) { return []; }
  }
  function writePending(events) {
    const encode = (list) => list.map((e) => e.i).join('.') + '~'
      + base64url(new TextEncoder().encode(JSON.stringify(list.map(({ e, t, p }) => ({ e, t, p })))));
    let list = events.filter((e) => e && typeof e.i === 'string' && /^[A-Za-z0-9_-]{1,24}$/.test(e.i));
    let value = encode(list);
    while (list.length && value.length > MAX_PENDING_BYTES) { list = list.slice(1); value = encode(list); }
    if (list.length) cookies.set(PENDING_COOKIE, value, 30 * 24 * 3600); else cookies.remove(PENDING_COOKIE);
  }

  function remember(name, props, at = Date.now()) {
    if (!hasConsent()) return; // no consent: nothing is stored
    const event = { i: newEventId(), e: name, t: at, p: scalarProps(props) };
    storeHistory(boundHistory([...storedHistory(), event]));
    const pending = readPending();
    writePending([...(Array.isArray(pending) ? pending : []), event]);
    if (!visitor) return;
    try { visitor.track(event); } catch (e) { warnOnce('an event was refused', e); }
    persist();
  }

  let zone = null;
  /** The browser's IANA zone, read once. Temporal where there is one: the first Intl call loads
   *  the engine's locale data (about 15 ms in Chromium, on the way to the first decision). */
  function localZone() {
    if (zone === null) {
      try {
        zone = typeof Temporal === 'object' && Temporal?.Now?.timeZoneId ? Temporal.Now.timeZoneId() : Intl.DateTimeFormat().resolvedOptions().timeZone;
      } catch (_) { zone = undefined; }
    }
    return zone;
  }

  /** Who the visitor is: identity, consent, profile, scores and zone (history excluded). */
  function person() {
    const p = profile();
    return dropUndefined({
      customer_id: p.__id || undefined,
      anonymous_id: identity() || undefined,
      timezone: localZone(),
      consent: { personalization: hasConsent() },
      profile: Object.fromEntries(Object.entries(p).filter(([k]) => k !== '__id')),
      scores: options.scores || {},
    });
  }

  /** The page's visitor: from its saved bytes when they fit this bundle, else from the event log. */
  function residentVisitor() {
    const saved = hasConsent() ? storage.get(VISITOR_KEY) : null;
    if (saved) {
      try {
        const restored = engine.restore(fromBase64(saved));
        restored.setPerson(person());
        return restored;
      } catch (_) { /* saved for another bundle or format (E_VISITOR_*): rebuilt from the log */ }
    }
    const fresh = engine.visitor(person());
    for (const event of storedHistory()) {
      try { fresh.track(event); } catch (_) { /* an unreadable stored event is skipped */ }
    }
    return fresh;
  }

  function replaceVisitor(next) {
    try { visitor?.free(); } catch (_) { /* already freed */ }
    visitor = next;
    applyPreview();
    persist();
  }

  /** Forces the preview's slots in the visitor's decisions; a bad token is dropped, one warning. */
  function applyPreview() {
    if (!previewToken || !visitor) return;
    try {
      const unknown = visitor.preview(previewToken, String(options.publicKey), Date.now());
      previewing = true;
      if (unknown) warnOnce(unknown); // what of it the bundle lacks
    } catch (e) { // E_PREVIEW, E_PREVIEW_EXPIRED, or E_KEY without data-public-key
      previewToken = null;
      previewing = false;
      cookies.remove(PREVIEW);
      warnOnce('preview token ignored', e);
    }
  }

  /** Keeps the visitor's bytes, with consent only. */
  function persist() {
    if (!visitor || !hasConsent()) return;
    try { storage.set(VISITOR_KEY, toBase64(visitor.save())); } catch (e) { warnOnce('could not keep the visitor', e); }
  }

  function moment() {
    const now = Date.now();
    const uaData = navigator.userAgentData;
    const m = {
      now,
      session: {
        user_agent: navigator.userAgent,
        client_hints: uaData && typeof uaData.mobile === 'boolean' ? { mobile: uaData.mobile } : {},
        viewport: { width: window.innerWidth, height: window.innerHeight },
        referrer: document.referrer || undefined,
        url: location.href,
        page: location.pathname,
        page_views: state.page_views,
        product_views: state.product_views.slice(-50),
        searches: state.searches.slice(-20),
        cart_dwell_ms: state.cart_since ? now - state.cart_since : undefined,
        checkout_dwell_ms: state.checkout_since ? now - state.checkout_since : undefined,
        coupon_searches: state.coupon_searches || 0,
      },
    };
    if (options.geo) m.geo = options.geo;
    return dropUndefined(m);
  }

  function emit(decision) {
    for (const fn of listeners) {
      try { fn(decision); } catch (e) { warnOnce('a decision listener threw; defaults stay correct', e); }
    }
  }

  function render(explain = false) {
    if (!visitor) {
      // Adopted from the edge: the first decision made here loads the engine, then decides.
      if (adopted) ensureEngine().then((ok) => { if (ok) render(explain); });
      return null;
    }
    try {
      lastMoment = moment();
      const { decision, patches } = visitor.decidePage(lastMoment, explain);
      lastDecision = decision;
      for (const el of document.querySelectorAll('[data-kairos-slot]')) {
        const name = el.getAttribute('data-kairos-slot');
        const slot = decision.slots[name];
        if (!slot) continue;
        applySlot(el, slot, patches[name]);
        // A preview is not a visit: nothing of it is recorded as shown.
        if (!slot.is_default && hasConsent() && !previewing) recordExposure(el.getAttribute('data-kairos-slot'), slot.variant);
      }
      queueExposures(decision);
      emit(decision);
      return decision;
    } catch (e) {
      warnOnce('decision failed; showing defaults', e);
      return null;
    } finally {
      reveal();
    }
  }

  const exposed = new Set();
  /** A shown variant joins the history once per page view (frequency caps count these). */
  function recordExposure(slot, variant) {
    const key = `${slot}:${variant}:${location.pathname}`;
    if (exposed.has(key)) return;
    exposed.add(key);
    remember('$exposure', { slot, variant });
  }

  // Exposures for the collector (data-beacon): every slot of a decision made here, default and
  // holdout ones too, once per slot, arm and page view; with consent and an id only. Batched and
  // sent with sendBeacon when 20 wait, after 2 s, or when the page is hidden (docs/measurement.md).
  // A decision adopted from the edge was reported by the edge.
  const reported = new Set();
  const exposureQueue = [];
  let flushTimer = null;
  function queueExposures(decision) {
    if (!options.beacon || !engine || !decision.consent || previewing) return;
    const anonymousId = identity();
    const userId = profile().__id;
    if (!anonymousId && !userId) return;
    const timestamp = new Date().toISOString();
    const bundleName = engine.bundleName;
    for (const [slot, d] of Object.entries(decision.slots)) {
      const variation = decision.holdout ? 'holdout' : d.variant;
      const key = `${slot}:${variation}:${location.pathname}`;
      if (reported.has(key)) continue;
      reported.add(key);
      exposureQueue.push({
        type: 'track',
        event: 'Experiment Viewed',
        messageId: randomText(16),
        timestamp,
        ...(anonymousId ? { anonymousId } : {}),
        ...(userId ? { userId: String(userId) } : {}),
        properties: {
          experiment_id: bundleName ? `${bundleName}:${slot}` : slot,
          variation_id: variation,
          slot,
          variant: d.variant,
          reason: d.reason,
          holdout: decision.holdout,
          bundle_id: engine.bundleId || 'unknown',
          surface: 'page',
        },
      });
    }
    if (exposureQueue.length >= 20) flushExposures();
    else if (exposureQueue.length && !flushTimer) flushTimer = setTimeout(flushExposures, 2000);
  }
  function flushExposures() {
    clearTimeout(flushTimer);
    flushTimer = null;
    if (!exposureQueue.length || !navigator.sendBeacon) return;
    const batch = exposureQueue.splice(0);
    try { navigator.sendBeacon(options.beacon, JSON.stringify({ batch, sentAt: new Date().toISOString() })); } catch (_) { /* best effort */ }
  }
  addEventListener('pagehide', flushExposures);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flushExposures(); });

  function track(event, properties = {}) {
    record(event, properties);
    return render();
  }

  /** The event in the session state and (with consent) the history, without deciding. */
  function record(event, properties = {}) {
    const name = normalizeName(event);
    const now = Date.now();
    if (name === 'cart_viewed' && !state.cart_since) state.cart_since = now;
    if (name === 'checkout_started' && !state.checkout_since) state.checkout_since = now;
    if (name === 'order_completed') { delete state.cart_since; delete state.checkout_since; }
    if (name === 'coupon_searched') state.coupon_searches = (state.coupon_searches || 0) + 1;
    if (name === 'products_searched' && properties.query) state.searches.push(properties.category ? { term: String(properties.query), category: String(properties.category) } : String(properties.query));
    if (name === 'product_viewed' && properties.product_id) state.product_views.push(properties.category ? { id: String(properties.product_id), category: String(properties.category) } : { id: String(properties.product_id) });
    saveSession();
    remember(name, properties, now);
  }

  /** Records the page's `data-kairos-view` elements; true when there were new ones. */
  function readViews() {
    let seen = false;
    for (const el of document.querySelectorAll('[data-kairos-view]:not([data-kairos-seen])')) {
      seen = true;
      el.setAttribute('data-kairos-seen', '');
      const kind = el.getAttribute('data-kairos-view');
      const id = el.getAttribute('data-kairos-id');
      const category = el.getAttribute('data-kairos-category');
      if (kind === 'product' && id) record('Product Viewed', category ? { product_id: id, category } : { product_id: id });
      else if (kind === 'cart') record('Cart Viewed', id ? { product_id: id } : {});
      else if (kind === 'checkout') record('Checkout Started', {});
    }
    return seen;
  }

  const api = {
    track,
    page(name, properties) { return track('Page Viewed', { ...(properties || {}), name: name || location.pathname }); },
    identify(id, traits = {}) {
      if (hasConsent()) storage.set(PROFILE_KEY, JSON.stringify({ ...profile(), ...scalarProps(traits), __id: String(id) }));
      try { visitor?.setPerson(person()); persist(); } catch (e) { warnOnce('could not update the visitor', e); }
      return render();
    },
    consent(flags = {}) {
      consent = { personalization: !!flags.personalization };
      storage.set(CONSENT_KEY, JSON.stringify(consent));
      cookies.set(CONSENT_COOKIE, consent.personalization ? '1' : '0');
      if (!consent.personalization) {
        // Withdrawn: every store of both sides is wiped (the edge clears its cookies on the next request).
        for (const key of [HISTORY_KEY, PROFILE_KEY, VISITOR_KEY, ID_KEY]) storage.remove(key);
        cookies.remove(ID_COOKIE);
        anonymousId = null;
        exposureQueue.length = 0; // nothing collected under consent is sent after it is withdrawn
      }
      // Withdrawn: the visitor in memory forgets too. Given: the stored history is read again.
      try { if (engine) replaceVisitor(residentVisitor()); } catch (e) { warnOnce('could not update the visitor', e); }
      return render();
    },
    decide(explain = true) { return render(explain); },
    onDecision(fn) { listeners.push(fn); },
    /** What the last decision was made on, as one context (built when asked: the visitor holds it). */
    get lastContext() { return lastMoment && dropUndefined({ ...person(), ...lastMoment, events: storedHistory() }); },
    get lastDecision() { return lastDecision; },
  };

  /** Fetches the bundle and the wasm and loads the engine; false (defaults stay) on failure. */
  async function loadEngine() {
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('kairos: load timed out')), options.timeoutMs ?? 2000));
    try {
      const load = (async () => {
        // What the tag already started (options.early: the bundle's response, the wasm compiled
        // while streaming), else fetched here; a failed early wasm is fetched once more here.
        const early = options.early || {};
        const wasmUrl = options.wasmUrl || new URL('./pkg/kairos_bg.wasm', import.meta.url);
        const [bundle] = await Promise.all([
          (early.bundle || fetch(options.bundleUrl)).then((r) => { if (!r.ok) throw new Error(`bundle HTTP ${r.status}`); return r.arrayBuffer(); }),
          early.wasm ? init({ module_or_path: early.wasm }).catch(() => init({ module_or_path: wasmUrl })) : init({ module_or_path: wasmUrl }),
        ]);
        // With a public key, an unsigned or mis-signed bundle throws (E_BUNDLE_UNSIGNED, _KEY,
        // _SIGNATURE; E_KEY for a bad key): every slot keeps its default, one warning with the code.
        const signed = options.publicKey !== undefined && options.publicKey !== null;
        return Kairos.load(new Uint8Array(bundle), signed ? { publicKey: String(options.publicKey) } : undefined);
      })();
      engine = await Promise.race([load, timeout]);
      mark('kairos:loaded');
    } catch (e) {
      warnOnce('could not load; showing defaults', e);
      reveal();
      return false;
    }
    try { replaceVisitor(residentVisitor()); } catch (e) { warnOnce('could not start the visitor; showing defaults', e); reveal(); return false; }
    return true;
  }

  let loading = null;
  function ensureEngine() {
    loading = loading || loadEngine();
    return loading;
  }

  /** Adopts the edge's decision when the page carries one made for this visitor under this
   *  consent: true when adopted (nothing is fetched and the page is left as the edge sent it). */
  function adoptEdgeState() {
    const state = edgeState();
    if (state === null) return false;
    const mine = identity();
    if (state === 'bad' || state.consent !== hasConsent() || (state.consent && state.anonymous_id !== mine)) {
      warnOnce(state === 'bad' ? 'the edge state is unreadable; deciding here' : 'the edge state is for another visitor or consent; deciding here');
      return false;
    }
    if (hasConsent()) {
      // One history: the edge's events merged into this one by id, none counted twice.
      const history = storedHistory();
      const known = new Set(history.map((e) => e && e.i).filter(Boolean));
      const added = state.events.filter((e) => e && typeof e.i === 'string' && !known.has(e.i));
      if (added.length) {
        storeHistory(boundHistory([...history, ...added].sort((a, b) => (a.t ?? 0) - (b.t ?? 0))));
        storage.remove(VISITOR_KEY); // the saved visitor lacks them: rebuilt from the log when needed
      }
      const atEdge = new Set(state.events.map((e) => e && e.i));
      const pending = readPending();
      if (Array.isArray(pending) && pending.some((e) => atEdge.has(e && e.i))) writePending(pending.filter((e) => !atEdge.has(e && e.i)));
    }
    lastMoment = moment();
    lastDecision = state.decision;
    return true;
  }

  let adopted = false;
  async function start() {
    adopted = adoptEdgeState();
    if (adopted) {
      readViews(); // recorded for the next decision; the edge decided this page
      reveal();
      mark('kairos:adopted');
      emit(lastDecision);
    } else {
      if (!(await ensureEngine())) return api;
      readViews();
      render();
      mark('kairos:decided');
    }
    // SPA navigation: re-read views and re-decide.
    for (const method of ['pushState', 'replaceState']) {
      const original = window.history[method];
      if (typeof original !== 'function') continue;
      window.history[method] = function (...args) {
        const result = original.apply(this, args);
        try { state.page_views += 1; saveSession(); readViews(); render(); } catch (e) { warnOnce('navigation update failed', e); }
        return result;
      };
    }
    window.addEventListener('popstate', () => { readViews(); render(); });
    return api;
  }

  /** `?kairos_debug` opens the overlay (kairos-debug.mjs, fetched only then) when a preview is
   *  active or the parameter's SHA-256 is the page's data-debug-key. */
  async function debugOverlay() {
    const key = query?.get('kairos_debug');
    if (key == null) return;
    if (previewToken && !visitor) await ensureEngine(); // adopted from the edge: check the token here
    let allowed = previewing;
    if (!allowed && key && options.debugKey) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
      allowed = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') === String(options.debugKey).toLowerCase();
    }
    if (!allowed) throw new Error('needs a preview or the debug key');
    (await import(options.debugUrl || new URL('./kairos-debug.mjs', import.meta.url).href)).openOverlay(api, previewing && previewToken);
  }

  api.ready = start();
  api.ready.then(() => debugOverlay().catch((e) => warnOnce('kairos_debug refused', e)));
  return api;
}
