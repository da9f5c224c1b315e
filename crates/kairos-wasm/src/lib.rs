//! JavaScript bindings (wasm-bindgen). Persons, moments, events and contexts arrive as plain JS
//! objects or as JSON text; objects cross as their `JSON.stringify` text, and both are read by
//! `kairos::wire` (serde_json's acceptance, without serde_json or a reader of JS object graphs in
//! the module). Decisions leave as plain JS objects (wire's text through `JSON.parse`) whose
//! unchanging slot entries are built once and shared, frozen (`output`). The Node build (feature
//! `json`) also reads a whole context with serde_json, keeping only what the bundle reads. Errors are
//! real `Error`s with a stable `code` (docs/errors.md), their inner error as `cause`, and
//! `path`/`line`/`column` where the problem is located.
//!
//! Owns: the `Kairos` class of the page module and the Node module, the resident `Visitor`
//! (`visitor`), and the playground's compiler entry points (feature `playground`). Must not import kairos-edge or the `worker` crate: the page
//! module carries only what a page needs, and every byte here is paid by each visitor.

mod output;
mod visitor;

use kairos::{Engine, ErrorCode, Options};
use serde::Serialize;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// Sets a property of a fresh `Error`; Reflect::set on one cannot fail.
pub(crate) fn set(err: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(err, &JsValue::from_str(key), value);
}

pub(crate) fn coded_error(code: ErrorCode, message: &str) -> JsValue {
    let err: JsValue = js_sys::Error::new(message).into();
    set(&err, "code", &JsValue::from_str(code.as_str()));
    err
}

/// A coded error whose `cause` (ES2022 `Error.cause`) is the inner error.
fn caused_error(code: ErrorCode, message: &str, cause: &JsValue) -> JsValue {
    let err = coded_error(code, message);
    set(&err, "cause", cause);
    err
}

/// A Rust error as a coded JS error: its `source()`, if any, becomes `cause`. Generic rather than
/// `&dyn Error`, whose vtable would link each error's `Debug` into the page module.
pub(crate) fn rust_error<E: std::error::Error>(code: ErrorCode, e: &E) -> JsValue {
    match e.source() {
        Some(inner) => caused_error(code, &e.to_string(), &js_sys::Error::new(&inner.to_string()).into()),
        None => coded_error(code, &e.to_string()),
    }
}

/// `path`, and `line`/`column` when the input had lines (JS values have none).
#[cfg(any(feature = "playground", feature = "json"))]
pub(crate) fn set_location(err: &JsValue, at: &kairos::Location) {
    set(err, "path", &JsValue::from_str(&at.path));
    if at.line > 0 {
        set(err, "line", &JsValue::from_f64(at.line as f64));
        set(err, "column", &JsValue::from_f64(at.column as f64));
    }
}

/// A context (or moment) read from JSON text that failed: `E_CONTEXT` with its location.
#[cfg(feature = "json")]
pub(crate) fn located(e: &kairos::ContextError) -> JsValue {
    let err = coded_error(e.code(), &e.to_string());
    set_location(&err, &e.at);
    err
}

/// `value` as a plain JS object: written as JSON text by `kairos::wire` and read by the JS
/// engine's own `JSON.parse`, so the module carries no writer of JS object graphs.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = kairos::wire::to_string(value).map_err(|e| coded_error(ErrorCode::Output, &e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|cause| caused_error(ErrorCode::Output, "output is not JSON", &cause))
}

fn read_context(context: JsValue) -> Result<kairos::Context, JsValue> {
    read_js(context, "context", kairos::ContextError::CODE, kairos::wire::shapes::context)
}

#[wasm_bindgen(inline_js = r#"
// The JSON text of a JS value, for kairos::wire; undefined when it has none, and then
// json_problem() says where and why.
let problem = null;
export function json_problem() { return problem; }
export function json_text(value) {
  const refuse = (path, why) => { problem = { path, problem: why }; return undefined; };
  let text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof RangeError)) return refuse('.', `not a plain JSON value (${e && e.message})`);
    // Deeper than the JS engine's stack: cut below 130 levels, past every kairos reader's limit,
    // so the reader refuses the value where it would refuse the whole of it.
    const depth = new WeakMap();
    text = JSON.stringify(value, function (key, v) {
      if (v === null || typeof v !== 'object') return v;
      const d = (depth.get(this) ?? 0) + 1;
      if (d > 130) return [];
      depth.set(v, d);
      return v;
    });
  }
  if (text === undefined) return refuse('.', 'expected a value, not undefined');
  // NaN and Infinity stringify as null; where a null appears, look for one and refuse it.
  if (text.includes('null')) {
    const bad = nonFinite(value, '', 0);
    if (bad !== null) return refuse(bad || '.', 'not a finite number');
  }
  return text;
}

function nonFinite(v, path, depth) {
  if (typeof v === 'number') return Number.isFinite(v) ? null : path;
  if (v === null || typeof v !== 'object' || depth > 130 || typeof v.toJSON === 'function') return null;
  const array = Array.isArray(v);
  for (const key of Object.keys(v)) {
    const found = nonFinite(v[key], array ? `${path}[${key}]` : path ? `${path}.${key}` : key, depth + 1);
    if (found !== null) return found;
  }
  return null;
}
"#)]
extern "C" {
    /// Returned as a Rust string: one crossing, the text copied straight into wasm memory.
    fn json_text(value: &JsValue) -> Option<String>;
    fn json_problem() -> JsValue;
}

/// The JSON text of a plain JS value, or a coded error naming where it has none (NaN, Infinity,
/// BigInt, a cycle, `undefined`); `what` prefixes the message.
fn json_of(value: &JsValue, what: &str, code: ErrorCode) -> Result<String, JsValue> {
    json_text(value).ok_or_else(|| {
        let problem = json_problem();
        let field =
            |name: &str| js_sys::Reflect::get(&problem, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
        let path = field("path").unwrap_or_default();
        let problem = field("problem").unwrap_or_default();
        let err = caused_error(code, &format!("{what} {path}: {problem}"), &js_sys::Error::new(&problem).into());
        set(&err, "path", &JsValue::from_str(&path));
        err
    })
}

/// How a value is read from its JSON text: one of `kairos::wire::shapes`, which read as
/// serde_json does without serde's visitors (the bulk of the page's .wasm when they were used).
pub(crate) type Read<T> = fn(&str) -> Result<T, kairos::wire::JsonError>;

/// Reads a plain JS value with `read`: `JSON.stringify` in the JS engine, then `kairos::wire`.
/// Errors carry `code` and the JSON path (`what` prefixes it); JS values have no lines, so no
/// `line`/`column`. NaN and Infinity are refused where they are.
pub(crate) fn read_js<T>(value: JsValue, what: &str, code: ErrorCode, read: Read<T>) -> Result<T, JsValue> {
    read_text(&json_of(&value, what, code)?, what, code, false, read)
}

/// Reads JSON text with `read`, as [`read_js`] does; with `lines`, errors say `line` and `column`.
pub(crate) fn read_text<T>(text: &str, what: &str, code: ErrorCode, lines: bool, read: Read<T>) -> Result<T, JsValue> {
    read(text).map_err(|e| {
        let path = if e.at.path.is_empty() { "." } else { &e.at.path };
        let message =
            if lines { format!("{what} {}: {}", e.at, e.message) } else { format!("{what} {path}: {}", e.message) };
        let err = caused_error(code, &message, &js_sys::Error::new(&e.message).into());
        set(&err, "path", &JsValue::from_str(path));
        if lines {
            set(&err, "line", &JsValue::from_f64(e.at.line as f64));
            set(&err, "column", &JsValue::from_f64(e.at.column as f64));
        }
        err
    })
}

// Decisions, reasons, error codes and `KairosError`, generated from the Rust side
// (tests/types.rs, which also holds them to real decisions).
#[wasm_bindgen(typescript_custom_section)]
const GENERATED_TYPES: &str = include_str!("../types/generated.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const LOAD_OPTIONS: &str = r#"
/** Options of `Kairos.load`. */
export interface LoadOptions {
  /** Ed25519 public key, 64 hex digits (`kairos keygen`): the bundle must be signed by it (docs/signing.md). */
  publicKey?: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `{ publicKey?: string }`, read with `Reflect` (no serde derive in the page module).
    #[wasm_bindgen(typescript_type = "LoadOptions")]
    pub type LoadOptions;
}

/// A loaded bundle. Load once, decide many times.
#[wasm_bindgen]
pub struct Kairos {
    engine: Arc<Engine>,
    /// Shared with this bundle's visitors: frozen slot decisions (src/output.rs).
    cache: Rc<output::Cache>,
}

#[wasm_bindgen]
impl Kairos {
    /// Loads a compiled bundle (`kairos compile` output, signed or not). With `{ publicKey }`
    /// (64 hex digits, `kairos keygen`), only a bundle signed by that key loads. Throws `E_BUNDLE_*`
    /// errors (`E_BUNDLE_UNSIGNED`, `E_BUNDLE_KEY`, `E_BUNDLE_SIGNATURE` for refused signatures)
    /// and `E_KEY` for a malformed key.
    pub fn load(bundle: &[u8], options: Option<LoadOptions>) -> Result<Kairos, JsValue> {
        // Every decision goes through a loaded bundle, so this is the one place to install the
        // JS engine's zones and case mapping, where the tables are left out.
        #[cfg(not(feature = "tables"))]
        kairos_js_host::install();
        let key = match options {
            None => None,
            Some(options) => {
                let value =
                    js_sys::Reflect::get(&options, &JsValue::from_str("publicKey")).unwrap_or(JsValue::UNDEFINED);
                if value.is_undefined() || value.is_null() {
                    None
                } else {
                    // A key that is set but unusable refuses every bundle: the page asked for signatures.
                    let text = value.as_string().ok_or_else(|| {
                        coded_error(kairos::signing::KeyError::CODE, "publicKey must be a string of 64 hex digits")
                    })?;
                    let key = kairos::signing::PublicKey::parse(&text).map_err(|e| {
                        let cause = coded_error(e.code(), &e.0);
                        caused_error(e.code(), &format!("publicKey: {e}"), &cause)
                    })?;
                    Some(key)
                }
            }
        };
        let loaded = match &key {
            Some(key) => Engine::load_verified(bundle, key),
            None => Engine::load(bundle),
        };
        loaded
            .map(|engine| Kairos { engine: Arc::new(engine), cache: Rc::default() })
            .map_err(|e| rust_error(e.code(), &e))
    }

    /// Decides every slot for `context`, a whole context as a plain JS object; with `explain`,
    /// each slot says why. A convenience: the whole history crosses into wasm on every call, as
    /// its JSON text (about 2 ms for 1,000 events in Node). Keep a `visitor()` instead, or hand
    /// the context over as JSON text (`decideJson`, Node module).
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn decide(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
        explain: Option<bool>,
    ) -> Result<JsValue, JsValue> {
        let ctx = read_context(context)?;
        self.cache.decision(&self.engine.decide(&ctx, Options::explaining(explain.unwrap_or(false))))
    }

    /// Decides for a whole context given as JSON text (or its UTF-8 bytes), parsed inside wasm:
    /// the fast path for stateless callers (an email server at open time). Errors are `E_CONTEXT`
    /// with `path`, `line` and `column`. Node module only (the page module carries no JSON reader).
    #[cfg(feature = "json")]
    #[wasm_bindgen(js_name = decideJson, unchecked_return_type = "Decision")]
    pub fn decide_json(&self, context: &str, explain: Option<bool>) -> Result<JsValue, JsValue> {
        // Read for this bundle: history events keep only the properties its rules read.
        let decision =
            self.engine.decide_json(context, Options::explaining(explain.unwrap_or(false))).map_err(|e| located(&e))?;
        self.cache.decision(&decision)
    }

    /// A resident visitor for this bundle: `person` is `{customer_id?, consent?, profile?, scores?,
    /// timezone?, utc_offset?}` (as in a context). `track` its events, `decide` per moment.
    pub fn visitor(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Person")] person: JsValue,
    ) -> Result<visitor::Visitor, JsValue> {
        visitor::Visitor::new(self, person)
    }

    /// A visitor from `Visitor.save()` bytes. Throws `E_VISITOR_VERSION` (another format, or not a
    /// saved visitor), `E_VISITOR_BUNDLE` (saved for a bundle
    /// that reads the history differently) or `E_VISITOR_CORRUPT`.
    pub fn restore(&self, bytes: &[u8]) -> Result<visitor::Visitor, JsValue> {
        visitor::Visitor::restore(self, bytes)
    }

    /// Decides for a page: `{decision, patches}`, where `patches` says, per non-default slot, what
    /// its element becomes (`{variant, html?, text?, attrs: [[name, value]]}`, the core's one
    /// projection, so the page applies exactly what the edge and `kairos rewrite` would).
    #[wasm_bindgen(js_name = decidePage, unchecked_return_type = "PageDecision")]
    pub fn decide_page(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
        explain: Option<bool>,
    ) -> Result<JsValue, JsValue> {
        let ctx = read_context(context)?;
        let decision = self.engine.decide(&ctx, Options::explaining(explain.unwrap_or(false)));
        let patches = kairos::html::patches(&decision);
        to_js(&PageDecision { decision: &decision, patches })
    }

    /// Decides for `context` and returns one slot: `{variant, is_default, content, reason}`,
    /// its content templates filled and escaped. For email servers rendering at open time.
    #[wasm_bindgen(unchecked_return_type = "SlotDecision")]
    pub fn render(
        &self,
        slot: &str,
        #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
    ) -> Result<JsValue, JsValue> {
        let ctx = read_context(context)?;
        let decision = self.engine.render(&ctx, slot).map_err(|e| rust_error(e.code(), &e))?;
        to_js(&decision)
    }

    /// The loaded bundle's id (payload length and checksum from its header): what exposures name.
    #[wasm_bindgen(getter, js_name = bundleId)]
    pub fn bundle_id(&self) -> Option<String> {
        self.engine.bundle_id().map(str::to_owned)
    }

    /// The bundle's `name` (empty when it has none): exposures' `experiment_id` is `name:slot`.
    #[wasm_bindgen(getter, js_name = bundleName)]
    pub fn bundle_name(&self) -> String {
        self.engine.program.name.clone()
    }

    /// Slot names in bundle order.
    #[wasm_bindgen(js_name = slotNames)]
    pub fn slot_names(&self) -> Vec<String> {
        self.engine.program.slots.iter().map(|s| s.name.clone()).collect()
    }
}

#[derive(Serialize)]
struct PageDecision<'d> {
    decision: &'d kairos::Decision,
    patches: std::collections::HashMap<String, kairos::html::SlotPatch>,
}

/// One-shot: load `bundle` and decide `context`.
#[wasm_bindgen(unchecked_return_type = "Decision")]
pub fn decide(
    bundle: &[u8],
    #[wasm_bindgen(unchecked_param_type = "Context")] context: JsValue,
    explain: Option<bool>,
) -> Result<JsValue, JsValue> {
    Kairos::load(bundle, None)?.decide(context, explain)
}

/// The customer's bucket 0–9999 for `salt` (docs/bucketing.md).
#[wasm_bindgen]
pub fn bucket(salt: &str, customer_id: &str) -> u32 {
    kairos::bucket(salt, customer_id)
}

/// Compiles rules given as a plain JS object into bundle bytes (playground build only).
/// Errors carry `code` (`E_SYNTAX`, `E_DEPTH`, `E_CYCLE`, …) and `path` (the JSON path of the
/// problem); a rule that cannot be read has the reader's error as `cause`.
#[cfg(feature = "playground")]
#[wasm_bindgen(js_name = compileRules)]
pub fn compile_rules(rules: JsValue) -> Result<Vec<u8>, JsValue> {
    let located = |e: &kairos::CompileError| {
        let path = if e.at.path.is_empty() { "." } else { &e.at.path };
        let err = coded_error(e.code, &format!("{path}: {}", e.message));
        set_location(&err, &e.at);
        err
    };
    let text = json_of(&rules, "rules", ErrorCode::Syntax)?;
    let bundle: kairos::ast::Bundle = kairos::wire::from_str(&text).map_err(|e| {
        // JS values have no lines: the path alone says where.
        let message = e.message.clone();
        let mut e = kairos::CompileError::from(e);
        e.at.line = 0;
        e.at.column = 0;
        let err = located(&e);
        set(&err, "cause", &js_sys::Error::new(&message).into());
        err
    })?;
    let program = kairos::rules::compile::compile(&bundle).map_err(|e| located(&e))?;
    Ok(program.to_bytes())
}

/// Compiles rules written in the text language into bundle bytes (playground build only).
/// Errors carry `code`, `line` and `column`; the message shows the line with a caret.
#[cfg(feature = "playground")]
#[wasm_bindgen(js_name = compileText)]
pub fn compile_text(source: &str) -> Result<Vec<u8>, JsValue> {
    let program = kairos::rules::text::compile_text(source).map_err(|e| {
        let err = coded_error(e.code, &kairos::rules::text::render_error(source, "rules", &e));
        set_location(&err, &e.at);
        err
    })?;
    Ok(program.to_bytes())
}
