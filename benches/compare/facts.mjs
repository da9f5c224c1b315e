// The JS side of the comparison: the attributes json-logic and GrowthBook evaluate, computed from
// a kairos context on every decision, the way a JS service would do it without kairos.
//
// `plan(rules)` (once, at set-up) lists the history aggregates the rules (either form) read; `facts(ctx, plan)`
// (per decision) groups the history by event name in one pass, then answers each aggregate from
// its event's list. Windows are [now - W, now], inclusive at both ends, and events after `now`
// are ignored, as in kairos. Event names are used as given (the generated contexts already use
// kairos' normalised names).
import { WINDOWS } from './generate.mjs';

export function plan(rules) {
  // json-logic names them in `{"var": KEY}`, GrowthBook conditions as attribute keys.
  const keys = new Set();
  const isAggregate = (k) => k.startsWith('count__') || k.startsWith('sum__');
  const walk = (x) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        if (isAggregate(k)) keys.add(k);
        if (k === 'var' && typeof v === 'string' && isAggregate(v)) keys.add(v);
        walk(v);
      }
    }
  };
  walk(rules);
  const counts = [];
  const sums = [];
  for (const key of keys) {
    const parts = key.split('__');
    if (parts[0] === 'count') counts.push({ key, event: parts[1], ms: WINDOWS[parts[2]] });
    else sums.push({ key, event: parts[1], prop: parts[2], ms: WINDOWS[parts[3]] });
  }
  return { counts, sums };
}

const EMPTY = [];

export function facts(ctx, p) {
  const now = ctx.now;
  const byEvent = new Map();
  for (const ev of ctx.events) {
    if (ev.t > now) continue;
    let list = byEvent.get(ev.e);
    if (list === undefined) byEvent.set(ev.e, (list = []));
    list.push(ev);
  }
  const score = ctx.scores.propensity;
  const offset = /^([+-])(\d\d):(\d\d)$/.exec(ctx.utc_offset);
  const offsetMs = (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000;
  const day = 86_400_000;
  const f = {
    device: ctx.session.device,
    ltv: ctx.profile.ltv,
    tier: ctx.profile.tier,
    propensity: score && now - score.computed_at <= WINDOWS['24h'] ? score.value : null,
    local_minutes: Math.floor(((((now + offsetMs) % day) + day) % day) / 60_000),
  };
  for (const q of p.counts) {
    const from = now - q.ms;
    let n = 0;
    for (const ev of byEvent.get(q.event) ?? EMPTY) if (ev.t >= from) n++;
    f[q.key] = n;
  }
  for (const q of p.sums) {
    const from = now - q.ms;
    let s = 0;
    for (const ev of byEvent.get(q.event) ?? EMPTY) {
      const v = ev.p?.[q.prop];
      if (ev.t >= from && typeof v === 'number') s += v;
    }
    f[q.key] = s;
  }
  return f;
}
