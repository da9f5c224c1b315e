//! JavaScript bindings (wasm-bindgen). Contexts arrive as plain JS objects and
//! decisions leave as plain JS objects (serde-wasm-bindgen); no JSON text and
//! no serde_json in the module. Errors are real `Error`s with a stable `code`.
//!
//! Owns: the `Kairos` class of the page module and the Node module, and the playground's compiler
//! entry points (feature `playground`). Must not import kairos-edge or the `worker` crate: the page
//! module carries only what a page needs, and every byte here is paid by each visitor.

use kairos::{Engine, Options};
use serde::Serialize;
use wasm_bindgen::prelude::*;

fn coded_error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    // Reflect::set on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code));
    err.into()
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(
            &serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true),
        )
        .map_err(|e| coded_error("E_OUTPUT", &e.to_string()))
}

fn read_context(context: JsValue) -> Result<kairos::Context, JsValue> {
    serde_path_to_error::deserialize(serde_wasm_bindgen::Deserializer::from(context)).map_err(|e| {
        let path = e.path().to_string();
        coded_error(kairos::ContextError::CODE, &format!("context {path}: {}", e.into_inner()))
    })
}

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
    engine: Engine,
}

#[wasm_bindgen]
impl Kairos {
    /// Loads a compiled bundle (`kairos compile` output, signed or not). With `{ publicKey }`
    /// (64 hex digits, `kairos keygen`), only a bundle signed by that key loads. Throws `E_BUNDLE_*`
    /// errors (`E_BUNDLE_UNSIGNED`, `E_BUNDLE_KEY`, `E_BUNDLE_SIGNATURE` for refused signatures)
    /// and `E_KEY` for a malformed key.
    pub fn load(bundle: &[u8], options: Option<LoadOptions>) -> Result<Kairos, JsValue> {
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
                    let key = kairos::signing::PublicKey::parse(&text)
                        .map_err(|e| coded_error(kairos::signing::KeyError::CODE, &format!("publicKey: {e}")))?;
                    Some(key)
                }
            }
        };
        let loaded = match &key {
            Some(key) => Engine::load_verified(bundle, key),
            None => Engine::load(bundle),
        };
        loaded.map(|engine| Kairos { engine }).map_err(|e| coded_error(e.code(), &e.to_string()))
    }

    /// Decides every slot for `context`; with `explain`, each slot says why.
    pub fn decide(&self, context: JsValue, explain: Option<bool>) -> Result<JsValue, JsValue> {
        let ctx = read_context(context)?;
        to_js(&self.engine.decide(&ctx, Options { explain: explain.unwrap_or(false) }))
    }

    /// Decides for a page: `{decision, patches}`, where `patches` says, per non-default slot, what
    /// its element becomes (`{variant, html?, text?, attrs: [[name, value]]}`, the core's one
    /// projection, so the page applies exactly what the edge and `kairos rewrite` would).
    #[wasm_bindgen(js_name = decidePage)]
    pub fn decide_page(&self, context: JsValue, explain: Option<bool>) -> Result<JsValue, JsValue> {
        let ctx = read_context(context)?;
        let decision = self.engine.decide(&ctx, Options { explain: explain.unwrap_or(false) });
        let patches = kairos::html::patches(&decision);
        to_js(&PageDecision { decision: &decision, patches })
    }

    /// Decides for `context` and returns one slot: `{variant, is_default, content, reason}`,
    /// its content templates filled and escaped. For email servers rendering at open time.
    pub fn render(&self, slot: &str, context: JsValue) -> Result<JsValue, JsValue> {
        let ctx = read_context(context)?;
        let decision = self.engine.render(&ctx, slot).map_err(|e| coded_error("E_SLOT", &e))?;
        to_js(&decision)
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
#[wasm_bindgen]
pub fn decide(bundle: &[u8], context: JsValue, explain: Option<bool>) -> Result<JsValue, JsValue> {
    Kairos::load(bundle, None)?.decide(context, explain)
}

/// The customer's bucket 0–9999 for `salt` (docs/bucketing.md).
#[wasm_bindgen]
pub fn bucket(salt: &str, customer_id: &str) -> u32 {
    kairos::bucket::bucket(salt, customer_id)
}

/// Compiles rules given as a plain JS object into bundle bytes (playground build only).
/// Errors carry `code` (`E_SYNTAX`, `E_CYCLE`, …) and `path` (the JSON path of the problem).
#[cfg(feature = "playground")]
#[wasm_bindgen(js_name = compileRules)]
pub fn compile_rules(rules: JsValue) -> Result<Vec<u8>, JsValue> {
    let located = |code: &str, path: &str, message: &str| {
        let err = coded_error(code, &format!("{}: {message}", if path.is_empty() { "." } else { path }));
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("path"), &JsValue::from_str(path));
        err
    };
    let bundle: kairos::ast::Bundle = serde_path_to_error::deserialize(serde_wasm_bindgen::Deserializer::from(rules))
        .map_err(|e| {
        let message = e.inner().to_string();
        let code = if kairos::limits::is_depth_error(&message) { "E_DEPTH" } else { "E_SYNTAX" };
        located(code, &e.path().to_string(), &message)
    })?;
    let program = kairos::rules::compile::compile(&bundle).map_err(|e| located(e.code, &e.at.path, &e.message))?;
    Ok(program.to_bytes())
}

/// Compiles rules written in the text language into bundle bytes (playground build only).
/// Errors carry `code`, `line` and `column`; the message shows the line with a caret.
#[cfg(feature = "playground")]
#[wasm_bindgen(js_name = compileText)]
pub fn compile_text(source: &str) -> Result<Vec<u8>, JsValue> {
    let program = kairos::rules::text::compile_text(source).map_err(|e| {
        let err = coded_error(e.code, &kairos::rules::text::render_error(source, "rules", &e));
        for (key, n) in [("line", e.at.line), ("column", e.at.column)] {
            let _ = js_sys::Reflect::set(&err, &JsValue::from_str(key), &JsValue::from_f64(n as f64));
        }
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("path"), &JsValue::from_str(&e.at.path));
        err
    })?;
    Ok(program.to_bytes())
}
