// Generated from the Rust side by crates/kairos-wasm/tests/types.rs; do not edit.
// Regenerate: UPDATE_TYPES=1 cargo test -p kairos-wasm --test types

/**
 * The stable code of every kairos error (docs/errors.md):
 * - `E_SYNTAX`: Rules (JSON or text), or another JSON document, cannot be read: malformed syntax, a value of the wrong JSON type, an unknown field or operator, a JSON operator with the wrong number of arguments, input over the size limit, or bytes that are neither a bundle nor UTF-8 text.
 * - `E_DEPTH`: Rules nest expressions or content deeper than the limits of `kairos::limits` (`MAX_EXPR_DEPTH`, `MAX_CONTENT_DEPTH`, the text parser's `MAX_PARSE_DEPTH`), or a JSON document deeper than serde_json reads.
 * - `E_VERSION`: The bundle's `kairos` field names a rule-language version other than 1.
 * - `E_EMPTY`: A bundle has no slot, or a tier table has no level.
 * - `E_LIMIT`: Rules go over a count or size limit of `kairos::limits`: slots, variants, segments, tier tables and levels, expression nodes, string literals, content strings, `max_history`.
 * - `E_NAME`: A name is empty, too long, or (for identifiers) uses characters other than letters, digits, `_` and `-`.
 * - `E_CYCLE`: Segments or tier tables refer to each other in a cycle.
 * - `E_TIMEZONE`: A time-zone name is not a known IANA zone (a bundle's `default_timezone`), or an offset is malformed (`kairos::time::TzError`).
 * - `E_RANGE`: A number is outside its range: a holdout percent not within 0–100, a cap's `max` below 1.
 * - `E_DUPLICATE`: A variant id is used twice in one slot.
 * - `E_TEMPLATE`: A `{{…}}` template is malformed: a bad hole or filter, `{{#if}}`/`{{else}}`/`{{/if}}` that do not nest, a template in a slot's default, or a malformed `{{decision.…}}` reference.
 * - `E_TEMPLATE_CONTEXT`: A template hole sits where no escaping makes a value safe (a script, a style, an event handler, a URL's scheme, a comment…), or `raw` is used where it is not allowed.
 * - `E_UNKNOWN_SLOT`: `{{decision.SLOT.FIELD}}` names a slot the bundle does not have.
 * - `E_UNKNOWN_FIELD`: `{{decision.SLOT.FIELD}}` names a field that no content of that slot has.
 * - `E_UNKNOWN_VAR`: A template hole names no var of its variant and no context path.
 * - `E_DURATION`: A duration is malformed (not like `30m` or `48h`) or a window is zero.
 * - `E_TYPE`: An operand has the wrong type: a number compared with a string, a condition ordered, a value where a condition is expected, ….
 * - `E_ARITY`: An operator that takes a list of operands (`all`, `any`, `coalesce`) was given none.
 * - `E_TIME`: A time of day is not `HH:MM` (`local_time_between`), or a timestamp is not RFC 3339.
 * - `E_WEEKDAY`: A `weekday_in` entry is not a weekday.
 * - `E_SEQUENCE`: A sequence has neither or both of `then` and `then_not`.
 * - `E_UNKNOWN_SEGMENT`: A rule refers to a segment the bundle does not define.
 * - `E_UNKNOWN_TIER`: A rule refers to a tier table the bundle does not define.
 * - `E_UNKNOWN_SIGNAL`: A rule reads a signal kairos does not know (`session.devise`).
 * - `E_PROP`: An aggregate that reads an event property (`sum`, `avg`, …) has no `prop`.
 * - `E_BUNDLE_MAGIC`: The bytes are not a compiled bundle (no `KAIROS` header).
 * - `E_BUNDLE_VERSION`: The bundle was compiled by a kairos with another bundle format version.
 * - `E_BUNDLE_CORRUPT`: The bundle is truncated, altered (checksum) or structurally invalid.
 * - `E_BUNDLE_TOO_LARGE`: The bundle is larger than `kairos::limits::MAX_BUNDLE_BYTES`.
 * - `E_BUNDLE_LIMIT`: The bundle goes over a limit of `kairos::limits` that the compiler enforces: a crafted or foreign bundle.
 * - `E_BUNDLE_UNSIGNED`: A signature is required and the bundle is not signed.
 * - `E_BUNDLE_KEY`: The bundle is signed by another key than the one required.
 * - `E_BUNDLE_SIGNATURE`: The signed envelope is malformed, or its signature does not match the bundle.
 * - `E_KEY`: A public or signing key is malformed or not a valid Ed25519 key.
 * - `E_PREVIEW`: A preview token (src/preview.rs) that is malformed, altered, or not signed by the site's key.
 * - `E_PREVIEW_EXPIRED`: A preview token past its expiry.
 * - `E_CONTEXT`: A decision context cannot be read: malformed, a wrong type, over a limit, nested too deep.
 * - `E_SLOT`: `kairos::Engine::render` was asked for a slot the bundle does not have.
 * - `E_OUTPUT`: A surface could not turn a decision into its output form (wasm: a JavaScript value).
 * - `E_BODY_TOO_LARGE`: A posted body over the edge's body limit (1 MiB).
 * - `E_BODY`: A posted body that could not be read, or is not UTF-8 text.
 * - `E_METHOD`: A route asked with a method it does not answer.
 * - `E_NO_BUNDLE`: No usable bundle: signatures are required and none is valid.
 * - `E_NO_ORIGIN`: No `ORIGIN` is configured for the proxy.
 * - `E_ORIGIN_UNREACHABLE`: The origin could not be reached (refused, reset, unresolvable): there is no page to show.
 * - `E_RECORD`: A customer record line (`kairos kv-customers`) cannot be read or has no `customer_id`.
 * - `E_TRACK`: The Worker's `TRACK` setting is not a valid list of track rules.
 * - `E_VISITOR_VERSION`: Saved visitor bytes of another format version, or bytes that are not a saved visitor.
 * - `E_VISITOR_BUNDLE`: Saved visitor bytes packed for another bundle.
 * - `E_VISITOR_CORRUPT`: Saved visitor bytes that are truncated, altered, over the size limit or inconsistent.
 * - `E_USAGE`: The command line is wrong: unknown flag or subcommand, missing or invalid argument (exit 2).
 * - `E_IO`: A file or stream cannot be read or written (missing, unreadable, already exists…).
 * - `E_UTF8`: Input that must be text is not UTF-8.
 * - `E_ENV`: An environment variable the command needs is unset or too short (`sign-id`, `token`).
 * - `E_KEY_MODE`: A secret key file that others can read (`compile --sign`).
 * - `E_EVENT`: An event that cannot be kept: `Visitor::track` (Rust, JS) refused it (no name, a time out of range, a string over the limit, a number not finite), or `token --event FILE` holds none.
 * - `E_EVENT_LOG`: A line of a replay event log is invalid.
 * - `E_COLUMN`: A columnar event log (Parquet) cannot be read: not Parquet, damaged, compressed with a codec the CLI lacks, or a column missing or of the wrong type (the column is named).
 * - `E_NOT_FORMATTED`: `fmt --check`: the file is not canonical.
 * - `E_INTERNAL`: Should not happen (a serialisation or clock failure).
 */
export type ErrorCode = 'E_SYNTAX' | 'E_DEPTH' | 'E_VERSION' | 'E_EMPTY' | 'E_LIMIT' | 'E_NAME' | 'E_CYCLE' | 'E_TIMEZONE' | 'E_RANGE' | 'E_DUPLICATE' | 'E_TEMPLATE' | 'E_TEMPLATE_CONTEXT' | 'E_UNKNOWN_SLOT' | 'E_UNKNOWN_FIELD' | 'E_UNKNOWN_VAR' | 'E_DURATION' | 'E_TYPE' | 'E_ARITY' | 'E_TIME' | 'E_WEEKDAY' | 'E_SEQUENCE' | 'E_UNKNOWN_SEGMENT' | 'E_UNKNOWN_TIER' | 'E_UNKNOWN_SIGNAL' | 'E_PROP' | 'E_BUNDLE_MAGIC' | 'E_BUNDLE_VERSION' | 'E_BUNDLE_CORRUPT' | 'E_BUNDLE_TOO_LARGE' | 'E_BUNDLE_LIMIT' | 'E_BUNDLE_UNSIGNED' | 'E_BUNDLE_KEY' | 'E_BUNDLE_SIGNATURE' | 'E_KEY' | 'E_PREVIEW' | 'E_PREVIEW_EXPIRED' | 'E_CONTEXT' | 'E_SLOT' | 'E_OUTPUT' | 'E_BODY_TOO_LARGE' | 'E_BODY' | 'E_METHOD' | 'E_NO_BUNDLE' | 'E_NO_ORIGIN' | 'E_ORIGIN_UNREACHABLE' | 'E_RECORD' | 'E_TRACK' | 'E_VISITOR_VERSION' | 'E_VISITOR_BUNDLE' | 'E_VISITOR_CORRUPT' | 'E_USAGE' | 'E_IO' | 'E_UTF8' | 'E_ENV' | 'E_KEY_MODE' | 'E_EVENT' | 'E_EVENT_LOG' | 'E_COLUMN' | 'E_NOT_FORMATTED' | 'E_INTERNAL';

/** What every kairos function throws: an `Error` with a stable `code`. */
export interface KairosError extends Error {
  code: ErrorCode;
  /** The inner error, where there is one. */
  cause?: unknown;
  /** The JSON path of the problem, for located errors (contexts, events, rules). */
  path?: string;
  /** 1-based line and column, for errors in JSON or rules text. */
  line?: number;
  column?: number;
}

/**
 * Why a slot decided as it did:
 * - `rule`: A variant's rule held and it won the ranking.
 * - `no_consent`: No personalisation consent: every slot shows its default.
 * - `holdout`: The customer is in the bundle's holdout group: every slot shows its default.
 * - `no_eligible_variant`: No variant was eligible (every rule false, or the eligible ones capped or converted).
 * - `undecided`: No variant was eligible and some could not be decided: a signal they need was missing.
 * - `forced`: A QA preview token forced this variant (docs/preview.md): rules, consent, holdout and caps were not consulted, and nothing of it is recorded.
 */
export type Reason = 'rule' | 'no_consent' | 'holdout' | 'no_eligible_variant' | 'undecided' | 'forced';

/** Whether a candidate's rule held (`unknown`: a signal it needs was missing). */
export type Eligibility = 'true' | 'false' | 'unknown';

/** Epoch milliseconds, or an RFC 3339 string. */
export type Timestamp = number | string;

/** A profile or event property value. */
export type Scalar = string | number | boolean | null;

/** One event: its name, when, and scalar properties (nested values are ignored). */
export interface TrackedEvent {
  /** The event's name (also `e` or `name`; names are normalised to snake case). */
  event?: string;
  e?: string;
  name?: string;
  /** `page` or `identify` names the event when no name is given. */
  type?: string;
  /** When it happened (also `t`, `ts` or `time`). */
  timestamp?: Timestamp;
  t?: Timestamp;
  ts?: Timestamp;
  time?: Timestamp;
  /** Its properties (also `p` or `props`). */
  properties?: Record<string, unknown>;
  p?: Record<string, unknown>;
  props?: Record<string, unknown>;
}

/** What `decide` returns: every slot of the bundle, decided. */
export interface Decision {
  /** Slot decisions by slot name, in bundle order. */
  slots: Record<string, SlotDecision>;
  /** Whether personalisation consent was given. */
  consent: boolean;
  /** Whether this customer is in the bundle's holdout group. */
  holdout: boolean;
  /** Signals that were missing anywhere in this decision. */
  missing: string[];
}

/** One slot's outcome: which variant, its rendered content, and why. */
export interface SlotDecision {
  /** Id of the variant shown (the default's id when `is_default`). */
  variant: string;
  /** Whether the slot fell back to its default. */
  is_default: boolean;
  /** What to show, templates filled and values escaped (`null` when empty). */
  content: unknown;
  /** The winner's var values as substituted (name → text). */
  vars?: Record<string, string>;
  /** Why the slot decided as it did. */
  reason: Reason;
  /** Why, with every candidate, when explanations were asked for. */
  explain?: SlotExplain;
}

/** Why a slot decided as it did. */
export interface SlotExplain {
  /** Why the winner won, or why the default was used, in words. */
  summary: string;
  /** Every variant of the slot, in bundle order. */
  candidates: Candidate[];
}

/** One variant as the decision saw it. */
export interface Candidate {
  /** The variant's id. */
  variant: string;
  /** Whether its rule held. */
  eligible: Eligibility;
  /** Its priority, as compiled. */
  priority: number;
  /** Its score, when it was eligible and has one. */
  score?: number;
  /** The condition that failed (or could not be decided), with the values seen. */
  failed?: string;
  /** Signals its condition needed and the context lacked. */
  missing?: string[];
  /** Eligible but not allowed: capped, converted, or a var was unknown. */
  excluded?: string;
}

/** What a decided slot's element becomes (the core's one projection, as the edge applies it). */
export interface SlotPatch {
  /** The variant id, written as `data-kairos-variant`. */
  variant: string;
  /** Bundle-authored HTML, its vars already escaped: set as markup. */
  html: string | null;
  /** Plain text when there is no `html`: set as text. */
  text: string | null;
  /** Allowed attributes in content order, `[name, value]`. */
  attrs: Array<[string, string]>;
}

/** What `decidePage` returns: the decision and, per non-default slot, its patch. */
export interface PageDecision {
  /** The decision. */
  decision: Decision;
  /** Patches by slot name, for slots not on their default. */
  patches: Record<string, SlotPatch>;
}

/** A whole decision context (`decide`, `decidePage`, `render`). */
export interface Context {
  /** The moment of the decision. */
  now: Timestamp;
  /** The customer's id: holdout and A/B buckets hash it. */
  customer_id?: string | null;
  /** The visitor's IANA zone, for local-time rules. */
  timezone?: string | null;
  /** A fixed offset (`+02:00`) when no zone is known. */
  utc_offset?: string | null;
  /** Consent flags; `personalization` must be true to personalise. */
  consent?: Record<string, boolean>;
  /** Profile attributes. */
  profile?: Record<string, Scalar>;
  /** Cached propensity scores, each with when it was computed. */
  scores?: Record<string, CachedScore>;
  /** This session's signals. */
  session?: Session;
  /** Where the visitor is. */
  geo?: Geo;
  /** The event history, oldest first. */
  events?: TrackedEvent[];
  /** The event this decision answers. */
  event?: TrackedEvent | null;
  /** A first-party id kept across sessions: buckets hash it when there is no `customer_id`. */
  anonymous_id?: string | null;
}

/** Who a resident visitor is (`visitor`, `setPerson`). */
export interface Person {
  /** The customer's id: holdout and A/B buckets hash it. */
  customer_id?: string | null;
  /** Consent flags; `personalization` must be true to personalise. */
  consent?: Record<string, boolean> | null;
  /** Profile attributes. */
  profile?: Record<string, Scalar> | null;
  /** Cached propensity scores. */
  scores?: Record<string, CachedScore> | null;
  /** The person's IANA zone. */
  timezone?: string | null;
  /** A fixed offset when no zone is known. */
  utc_offset?: string | null;
  /** A first-party id kept across sessions: buckets hash it when there is no `customer_id`. */
  anonymous_id?: string | null;
}

/** What changes between a resident visitor's decisions (`Visitor.decide`). */
export interface Moment {
  /** The moment of the decision. */
  now: Timestamp;
  /** This session's signals. */
  session?: Session | null;
  /** Where the visitor is. */
  geo?: Geo | null;
  /** The visitor's IANA zone, for local-time rules. */
  timezone?: string | null;
  /** A fixed offset when no zone is known. */
  utc_offset?: string | null;
  /** The event this decision answers. */
  event?: TrackedEvent | null;
}

/** One session's signals. */
export interface Session {
  /** `mobile`, `tablet` or `desktop`; read from the user agent when absent. */
  device?: string | null;
  /** The browser's user agent. */
  user_agent?: string | null;
  /** User-agent client hints. */
  client_hints?: { mobile?: boolean | '?1' | '?0' | null; platform?: string | null };
  /** The viewport in CSS pixels. */
  viewport?: { width: number; height: number } | null;
  /** The referring URL. */
  referrer?: string | null;
  /** The page's URL (UTM parameters are read from it). */
  url?: string | null;
  /** UTM parameters by name, when not read from `url`. */
  utm?: Record<string, string>;
  /** The page's kind or name. */
  page?: string | null;
  /** Pages viewed this session. */
  page_views?: number | null;
  /** Products viewed this session. */
  product_views?: Array<{ id: string; category?: string | null }>;
  /** Searches this session. */
  searches?: Array<string | { term: string; category?: string | null }>;
  /** Time spent on the cart page. */
  cart_dwell_ms?: number | null;
  /** Time spent in checkout. */
  checkout_dwell_ms?: number | null;
  /** Searches for coupon codes this session. */
  coupon_searches?: number | null;
}

/** Where the visitor is. */
export interface Geo {
  /** ISO 3166-1 alpha-2 country. */
  country?: string | null;
  /** Region or state. */
  region?: string | null;
  /** City. */
  city?: string | null;
  /** Latitude. */
  lat?: number | null;
  /** Longitude. */
  lon?: number | null;
}

/** A propensity score computed elsewhere; a rule's `max_age` ignores a stale one. */
export interface CachedScore {
  /** The score. */
  value: number;
  /** When it was computed. */
  computed_at: Timestamp;
}
