// OpenFeature ↔ kairos (docs/openfeature.md): a slot is a flag, its content the value, its
// variant id the variant. Shared by the server and web providers, and by the edge's OFREP routes
// in spirit (crates/kairos-edge/src/ofrep.rs maps the same way).
import { FlagNotFoundError, InvalidContextError, TypeMismatchError, GeneralError } from '@openfeature/core';

/** A kairos context's own fields: they keep their meaning in an evaluation context. */
const CONTEXT_FIELDS = new Set(['now', 'customer_id', 'timezone', 'utc_offset', 'consent', 'profile', 'scores', 'session', 'geo', 'events', 'event', 'anonymous_id']);

/** The OpenFeature reason for a kairos reason. */
export const REASONS = { rule: 'TARGETING_MATCH', holdout: 'SPLIT', no_consent: 'DISABLED', no_eligible_variant: 'DEFAULT', undecided: 'DEFAULT', forced: 'STATIC' };

/**
 * An evaluation context as a kairos context: `targetingKey` is the customer id, `anonymousId`
 * the anonymous id, kairos's own fields keep their meaning, any other key is a profile attribute
 * (a string, number, boolean or null; a Date becomes its ISO text). `now` defaults to `nowMs`.
 */
export function toKairosContext(context = {}, nowMs = Date.now()) {
  const out = { now: nowMs };
  const profile = {};
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue;
    if (key === 'targetingKey') out.customer_id = value;
    else if (key === 'anonymousId') out.anonymous_id = value;
    else if (key === 'profile' && value && typeof value === 'object') Object.assign(profile, value);
    else if (CONTEXT_FIELDS.has(key)) out[key] = value;
    else if (value instanceof Date) profile[key] = value.toISOString();
    else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) profile[key] = value;
    else throw new InvalidContextError(`context.${key}: only strings, numbers, booleans and null become profile attributes`);
  }
  if (Object.keys(profile).length > 0) out.profile = profile;
  return out;
}

const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Resolves `flagKey` from `decision` (a kairos decision for the context) as OpenFeature
 * resolution details, or throws the OpenFeature error: FLAG_NOT_FOUND for a slot the bundle
 * lacks, TYPE_MISMATCH when a boolean, string or number evaluation meets content of another
 * type. An object evaluation takes any content: OpenFeature's object values are any JSON value,
 * and a slot's default may be plain text where its variants are objects.
 */
export function resolveFrom(decision, bundleId, flagKey, expected) {
  const slot = decision.slots[flagKey];
  if (!slot) {
    throw new FlagNotFoundError(`no slot \`${flagKey}\` in this bundle; its slots are: ${Object.keys(decision.slots).join(', ')}`);
  }
  const actual = typeOf(slot.content);
  if (expected !== 'object' && actual !== expected) {
    throw new TypeMismatchError(`slot \`${flagKey}\` holds ${actual === 'object' ? 'an object' : `a ${actual}`}, not a ${expected}`);
  }
  return {
    value: slot.content,
    variant: slot.variant,
    reason: REASONS[slot.reason] ?? 'DEFAULT',
    flagMetadata: { bundleId: bundleId ?? '', kairosReason: slot.reason, missing: decision.missing.join(','), holdout: decision.holdout },
  };
}

/** Decides `context` with `engine`, turning kairos's context errors into INVALID_CONTEXT. */
export function decide(engine, context) {
  const kairosContext = toKairosContext(context);
  try {
    return engine.decide(kairosContext);
  } catch (e) {
    if (e && e.code === 'E_CONTEXT') throw new InvalidContextError(e.message);
    throw new GeneralError(e && e.message ? e.message : String(e));
  }
}

/** Loads a bundle given as bytes, or as a function that returns them (possibly a promise). */
export async function loadEngine(Kairos, bundle) {
  const bytes = typeof bundle === 'function' ? await bundle() : bundle;
  if (!(bytes instanceof Uint8Array)) throw new TypeError('kairos: `bundle` must be the compiled bundle\'s bytes (a Uint8Array), or a function returning them');
  return Kairos.load(bytes);
}
