//! The resident visitor in JS: one per person (the page keeps one per page), holding the packed
//! history in wasm memory so a decision carries only this moment's signals across the boundary.

use crate::output::Cache;
use crate::{coded_error, read_js, read_text, rust_error, set, Kairos};
use kairos::context::Event;
use kairos::wire::shapes;
use kairos::{ContextError, ErrorCode, Moment, Options, Person};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// One person, resident in wasm memory: `track(event)`, `decide(moment)`, `save()`.
#[wasm_bindgen]
pub struct Visitor {
    inner: kairos::Visitor,
    cache: Rc<Cache>,
    /// A verified QA preview (`preview()`): held here, never in the saved bytes.
    forced: Option<kairos::preview::Preview>,
}

impl Visitor {
    pub(crate) fn new(k: &Kairos, person: JsValue) -> Result<Visitor, JsValue> {
        let person: Person = if person.is_undefined() || person.is_null() {
            Person::default()
        } else {
            read_js(person, "person", ContextError::CODE, shapes::person)?
        };
        Ok(Visitor { inner: kairos::Visitor::new(k.engine.clone(), person), cache: k.cache.clone(), forced: None })
    }

    fn decide_moment(&mut self, moment: JsValue, explain: Option<bool>) -> Result<kairos::Decision, JsValue> {
        let moment: Moment = read_js(moment, "moment", ContextError::CODE, shapes::moment)?;
        Ok(self.inner.decide(moment, Options { explain: explain.unwrap_or(false), forced: self.forced.as_ref() }))
    }

    pub(crate) fn restore(k: &Kairos, bytes: &[u8]) -> Result<Visitor, JsValue> {
        kairos::Visitor::restore(k.engine.clone(), bytes)
            .map(|inner| Visitor { inner, cache: k.cache.clone(), forced: None })
            .map_err(|e| rust_error(e.code(), &e))
    }
}

/// A refused event as a coded JS error naming its `field`.
fn refused(e: &kairos::visitor::EventError) -> JsValue {
    let err = coded_error(e.code(), &e.to_string());
    set(&err, "field", &JsValue::from_str(&e.field));
    err
}

#[wasm_bindgen]
impl Visitor {
    /// Appends one event (`{e|event, t|timestamp, p|properties}`, as in a context's `events`).
    /// Throws `E_EVENT` with `path`/`field` for an event it cannot keep; the visitor is unchanged.
    pub fn track(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "TrackedEvent")] event: JsValue,
    ) -> Result<(), JsValue> {
        let event: Event = read_js(event, "event", ErrorCode::Event, shapes::event)?;
        self.inner.track(event).map_err(|e| refused(&e))
    }

    /// Appends events given as JSON text, parsed inside wasm: one event, or an array of at most
    /// 10,000 in the order to tell them. All or none: a refused one throws `E_EVENT` with `path`
    /// (`[3].t`; `line`/`column` for bad JSON) and changes nothing. Returns how many were kept.
    /// The fast way to load a history in bulk.
    #[wasm_bindgen(js_name = trackJson)]
    pub fn track_json(&mut self, text: &str) -> Result<usize, JsValue> {
        let many = text.trim_start().starts_with('[');
        let events = if many {
            read_text(text, "events", ErrorCode::Event, true, shapes::events)?.0
        } else {
            vec![read_text(text, "event", ErrorCode::Event, true, shapes::event)?]
        };
        let count = events.len();
        self.inner.track_all(events).map_err(|(i, e)| {
            let err = refused(&e);
            let path = if many { format!("[{i}].{}", e.field) } else { e.field.clone() };
            set(&err, "path", &JsValue::from_str(&path));
            err
        })?;
        Ok(count)
    }

    /// Decides every slot for this moment: `{now, session?, geo?, timezone?, utc_offset?, event?}`.
    /// Returns `{slots: {NAME: {variant, is_default, content, reason, explain?}}, consent, holdout,
    /// missing}`; slot entries without template values are shared and frozen.
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn decide(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Moment")] moment: JsValue,
        explain: Option<bool>,
    ) -> Result<JsValue, JsValue> {
        let d = self.decide_moment(moment, explain)?;
        self.cache.decision(&d)
    }

    /// `decide` for a moment given as JSON text, parsed inside wasm: one string crosses instead
    /// of an object. Errors are `E_CONTEXT` with `path`, `line` and `column`.
    #[wasm_bindgen(js_name = decideJson, unchecked_return_type = "Decision")]
    pub fn decide_json(&mut self, moment: &str, explain: Option<bool>) -> Result<JsValue, JsValue> {
        let moment: Moment = read_text(moment, "moment", ContextError::CODE, true, shapes::moment)?;
        let d = self.inner.decide(moment, Options { explain: explain.unwrap_or(false), forced: self.forced.as_ref() });
        self.cache.decision(&d)
    }

    /// Decides for a page: `{decision, patches}`, as `Kairos.decidePage`.
    #[wasm_bindgen(js_name = decidePage, unchecked_return_type = "PageDecision")]
    pub fn decide_page(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Moment")] moment: JsValue,
        explain: Option<bool>,
    ) -> Result<JsValue, JsValue> {
        let d = self.decide_moment(moment, explain)?;
        let out = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&out, &JsValue::from_str("decision"), &self.cache.decision(&d)?);
        let _ = js_sys::Reflect::set(&out, &JsValue::from_str("patches"), &crate::to_js(&kairos::html::patches(&d))?);
        Ok(out.into())
    }

    /// Decides for this moment and returns one slot, `{variant, is_default, content, reason}`, as
    /// `Kairos.render`: an email rendered at open time. Throws `E_SLOT` for a slot the bundle lacks.
    #[wasm_bindgen(unchecked_return_type = "SlotDecision")]
    pub fn render(
        &mut self,
        slot: &str,
        #[wasm_bindgen(unchecked_param_type = "Moment")] moment: JsValue,
    ) -> Result<JsValue, JsValue> {
        let moment: Moment = read_js(moment, "moment", ContextError::CODE, shapes::moment)?;
        let decision = self.inner.render(moment, slot).map_err(|e| rust_error(e.code(), &e))?;
        crate::to_js(&decision)
    }

    /// Forces, in this visitor's decisions, what a QA preview token names (docs/preview.md), if
    /// `publicKey` (64 hex digits, the site's key) signed it and it has not expired at `now`
    /// (epoch ms). Returns what of it the bundle lacks, in words (empty when nothing), for one
    /// warning. Throws `E_PREVIEW` (malformed, altered, another key), `E_PREVIEW_EXPIRED` or
    /// `E_KEY`, and then forces nothing. Nothing of a preview is saved.
    pub fn preview(
        &mut self,
        token: &str,
        #[wasm_bindgen(js_name = publicKey)] public_key: &str,
        now: f64,
    ) -> Result<String, JsValue> {
        self.forced = None;
        let key = kairos::signing::PublicKey::parse(public_key).map_err(|e| coded_error(e.code(), &e.0))?;
        let preview =
            kairos::preview::verify(token, &key, now as i64).map_err(|e| coded_error(e.code(), &e.message))?;
        let unknown = preview.unknown_in(&self.inner.engine().program).unwrap_or_default();
        self.forced = Some(preview);
        Ok(unknown)
    }

    /// Replaces what is known of the person (identity, consent, profile, scores); history stays.
    #[wasm_bindgen(js_name = setPerson)]
    pub fn set_person(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Person")] person: JsValue,
    ) -> Result<(), JsValue> {
        let person: Person = read_js(person, "person", ContextError::CODE, shapes::person)?;
        self.inner.set_person(person);
        Ok(())
    }

    /// Whether personalisation consent was given (store `save()` bytes only then).
    #[wasm_bindgen(getter, js_name = hasConsent)]
    pub fn has_consent(&self) -> bool {
        self.inner.has_consent()
    }

    /// Compact, versioned bytes (`KVIS`…) for `Kairos.restore`.
    pub fn save(&self) -> Vec<u8> {
        self.inner.save()
    }

    /// Events kept.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.len()
    }

    /// Approximate bytes of wasm memory this visitor holds.
    #[wasm_bindgen(js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> usize {
        self.inner.memory_bytes()
    }
}
