// One case decided three ways by the page module: `decide(context)`, a resident visitor told the
// events one by one, and that visitor saved and restored. Imports nothing, so Chromium (routed
// in by tests/browser/scenarios.test.mjs) and workerd (tests/worker/visitor.test.mjs) run the
// same code; compareEveryWay (scenario-cases.mjs) judges the result.

const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** `{ decision, tracked, restored }`, or `{ error }` with the code and message of a throw. */
export function everyWay(engine, ctx) {
  try {
    const decision = engine.decide(ctx, true);
    const { customer_id, consent, profile, scores, timezone, utc_offset, now, session, geo, event } = ctx;
    const visitor = engine.visitor(defined({ customer_id, consent, profile, scores, timezone, utc_offset }));
    for (const e of ctx.events ?? []) visitor.track(e);
    const moment = defined({ now, session, geo, timezone, utc_offset, event });
    const tracked = visitor.decide(moment, true);
    const restored = engine.restore(visitor.save()).decide(moment, true);
    return { decision, tracked, restored };
  } catch (e) {
    return { error: `${e.code ?? ''} ${e.message}` };
  }
}
