// Generates one rule set three ways — kairos rules JSON, json-logic rules, GrowthBook features —
// and the contexts all three decide, for the side-by-side benchmark (bash benches/compare.sh).
//
// Every variant condition is built from atoms each engine can express:
//   count(event within W) >= n     none(event within W)     sum(event.amount within W) >= x
//   device is d     profile.ltv > x     profile.tier in [..]     score(propensity, 24h) > x
//   local time in [from, to)
// combined with all / any / not. kairos evaluates the history aggregates itself; for json-logic
// and GrowthBook they become attributes (`count__cart_viewed__48h`, …) that a JS function
// (facts.mjs) computes from the same history on every decision. Every context carries every
// signal (device, profile, a fresh score, a UTC offset), so kairos' unknowns never arise and its
// three-valued logic agrees with the others' two-valued one.
//
// Usage: node benches/compare/generate.mjs OUT_DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'target/compare';

// Deterministic PRNG (mulberry32), so every run benchmarks the same inputs.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const EVENTS = ['product_viewed', 'cart_viewed', 'order_completed', 'email_opened', 'deposit_started',
  'deposit_completed', 'login', 'search', 'add_to_cart', 'page_viewed'];
export const WINDOWS = { '24h': 86_400_000, '48h': 172_800_000, '7d': 604_800_000, '30d': 2_592_000_000 };
const TIERS = ['bronze', 'silver', 'gold', 'platinum'];
const DEVICES = ['mobile', 'desktop', 'tablet'];
const NOW = 1_795_458_600_000; // 2026-11-23T18:30:00Z
const HOUR = 3_600_000;

// `scale`: thresholds grow with the history, so big histories still see both outcomes.
function atom(r, scale) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const e = pick(EVENTS);
  const w = pick(Object.keys(WINDOWS));
  switch (Math.floor(r() * 8)) {
    case 0: {
      const n = 1 + Math.floor(r() * 4 * scale);
      const k = `count__${e}__${w}`;
      return { kairos: { gte: [{ count: { event: e, within: w } }, n] }, jl: { '>=': [{ var: k }, n] }, gb: { [k]: { $gte: n } } };
    }
    case 1: {
      const k = `count__${e}__${w}`;
      return { kairos: { none: { event: e, within: w } }, jl: { '==': [{ var: k }, 0] }, gb: { [k]: 0 } };
    }
    case 2: {
      const x = 50 * (1 + Math.floor(r() * 10 * scale));
      const k = `sum__${e}__amount__${w}`;
      return {
        kairos: { gte: [{ sum: { event: e, prop: 'amount', within: w } }, x] },
        jl: { '>=': [{ var: k }, x] },
        gb: { [k]: { $gte: x } },
      };
    }
    case 3: {
      const d = pick(DEVICES);
      return { kairos: { eq: [{ var: 'session.device' }, d] }, jl: { '==': [{ var: 'device' }, d] }, gb: { device: d } };
    }
    case 4: {
      const x = 100 * Math.floor(r() * 20);
      return { kairos: { gt: [{ var: 'profile.ltv' }, x] }, jl: { '>': [{ var: 'ltv' }, x] }, gb: { ltv: { $gt: x } } };
    }
    case 5: {
      const set = TIERS.filter(() => r() < 0.5);
      if (set.length === 0) set.push(pick(TIERS));
      return { kairos: { in: [{ var: 'profile.tier' }, set] }, jl: { in: [{ var: 'tier' }, set] }, gb: { tier: { $in: set } } };
    }
    case 6: {
      const x = Math.round(r() * 90) / 100;
      return {
        kairos: { gt: [{ score: { name: 'propensity', max_age: '24h' } }, x] },
        jl: { '>': [{ var: 'propensity' }, x] },
        gb: { propensity: { $gt: x } },
      };
    }
    default: {
      const from = Math.floor(r() * 20);
      const to = from + 1 + Math.floor(r() * 4);
      const hh = (h) => `${String(h).padStart(2, '0')}:00`;
      return {
        kairos: { local_time_between: [hh(from), hh(to)] },
        jl: { and: [{ '>=': [{ var: 'local_minutes' }, from * 60] }, { '<': [{ var: 'local_minutes' }, to * 60] }] },
        gb: { local_minutes: { $gte: from * 60, $lt: to * 60 } },
      };
    }
  }
}

function condition(r, scale) {
  const n = 2 + Math.floor(r() * 2);
  const parts = Array.from({ length: n }, () => atom(r, scale));
  if (r() < 0.2) {
    const i = Math.floor(r() * n);
    const a = parts[i];
    parts[i] = { kairos: { not: a.kairos }, jl: { '!': a.jl }, gb: { $not: a.gb } };
  }
  if (r() < 0.3) {
    return { kairos: { any: parts.map((p) => p.kairos) }, jl: { or: parts.map((p) => p.jl) }, gb: { $or: parts.map((p) => p.gb) } };
  }
  return { kairos: { all: parts.map((p) => p.kairos) }, jl: { and: parts.map((p) => p.jl) }, gb: { $and: parts.map((p) => p.gb) } };
}

function ruleSet(r, slots, variants, scale) {
  const kairos = { kairos: 1, name: `compare-${slots * variants}`, slots: {} };
  const jl = { slots: [] };
  const gb = { features: {} };
  for (let s = 0; s < slots; s++) {
    const slot = `slot${s}`;
    const vs = Array.from({ length: variants }, (_, v) => ({ id: `v${v}`, priority: Math.floor(r() * 5), cond: condition(r, scale), index: v }));
    kairos.slots[slot] = {
      default: { id: 'default', content: { title: 'Default' } },
      variants: vs.map((v) => ({ id: v.id, priority: v.priority, when: v.cond.kairos, content: { title: `${slot} ${v.id}` } })),
    };
    // kairos ranks eligible variants by priority, then (no scores here) bundle order: the
    // others take the first match in that order.
    const ordered = [...vs].sort((a, b) => b.priority - a.priority || a.index - b.index);
    jl.slots.push({ slot, default: 'default', variants: ordered.map((v) => ({ id: v.id, when: v.cond.jl })) });
    gb.features[slot] = {
      defaultValue: 'default',
      rules: ordered.map((v) => ({ id: `${slot}-${v.id}`, condition: v.cond.gb, force: v.id })),
    };
  }
  return { kairos, jl, gb };
}

function context(r, events) {
  const now = NOW + Math.floor(r() * 24) * HOUR + Math.floor(r() * 60) * 60_000;
  const evs = [];
  for (let i = 0; i < events; i++) {
    // Most events in the last few days (the windows' range), some up to 60 days old.
    const ago = r() < 0.7 ? Math.floor(r() * 7 * 24 * HOUR) : Math.floor(r() * 60 * 24 * HOUR);
    const e = EVENTS[Math.floor(r() * r() * EVENTS.length)];
    evs.push({ e, t: now - ago, p: { amount: Math.floor(r() * 200), product_id: `sku-${Math.floor(r() * 40)}` } });
  }
  evs.sort((a, b) => a.t - b.t);
  const offsetH = Math.floor(r() * 25) - 12;
  const sign = offsetH < 0 ? '-' : '+';
  return {
    now,
    customer_id: `cust-${Math.floor(r() * 1e6)}`,
    utc_offset: `${sign}${String(Math.abs(offsetH)).padStart(2, '0')}:00`,
    consent: { personalization: true },
    session: { device: DEVICES[Math.floor(r() * 3)], page: '/' },
    profile: { ltv: Math.floor(r() * 2000), tier: TIERS[Math.floor(r() * TIERS.length)] },
    scores: { propensity: { value: Math.round(r() * 100) / 100, computed_at: now - Math.floor(r() * 20 * HOUR) } },
    events: evs,
  };
}

const SIZES = {
  small: { slots: 2, variants: 5, events: 20, contexts: 200, seed: 7 },
  large: { slots: 20, variants: 10, events: 1000, contexts: 200, seed: 11 },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, s] of Object.entries(SIZES)) {
    const r = rng(s.seed);
    const rules = ruleSet(r, s.slots, s.variants, s.events / 20);
    const contexts = Array.from({ length: s.contexts }, () => context(r, s.events));
    const dir = join(out, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules.kairos));
    writeFileSync(join(dir, 'jsonlogic.json'), JSON.stringify(rules.jl));
    writeFileSync(join(dir, 'growthbook.json'), JSON.stringify(rules.gb));
    writeFileSync(join(dir, 'contexts.json'), JSON.stringify(contexts));
    console.log(`compare: ${dir}: ${s.slots * s.variants} rules, ${s.contexts} contexts of ${s.events} events`);
  }
}
