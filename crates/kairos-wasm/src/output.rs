//! Decisions as JS objects without a JSON round trip or a property-by-property serialisation of
//! what does not change: a slot decision with no template values and no explanation depends only
//! on (slot, variant, reason), so its object is built once, frozen, and shared by every decision
//! that picks it. A decision is then one fresh object per call plus one `Reflect.set` per slot.
//! Decisions with vars or explanations are serialised in full (serde-wasm-bindgen).

use crate::to_js;
use kairos::decide::SlotDecision;
use kairos::Decision;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

/// Frozen slot decisions by (slot index, reason), then variant id (a few per slot: searched, so a
/// lookup allocates nothing), and slot names as JS strings.
#[derive(Default)]
pub(crate) struct Cache {
    slots: RefCell<HashMap<(usize, &'static str), SharedSlots>>,
    keys: RefCell<Vec<JsValue>>,
}

/// (variant id, its frozen slot decision) for one slot and reason.
type SharedSlots = Vec<(String, JsValue)>;

fn set(target: &JsValue, key: &JsValue, value: &JsValue) {
    // Setting a property of a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(target, key, value);
}

impl Cache {
    fn key(&self, i: usize, name: &str) -> JsValue {
        let mut keys = self.keys.borrow_mut();
        while keys.len() <= i {
            keys.push(JsValue::UNDEFINED);
        }
        match keys.get_mut(i) {
            Some(k) if k.is_undefined() => {
                *k = JsValue::from_str(name);
                k.clone()
            }
            Some(k) => k.clone(),
            None => JsValue::from_str(name),
        }
    }

    fn slot(&self, i: usize, d: &SlotDecision) -> Result<JsValue, JsValue> {
        if !d.vars.is_empty() || d.explain.is_some() {
            return to_js(d);
        }
        let key = (i, d.reason);
        if let Some(list) = self.slots.borrow().get(&key) {
            if let Some((_, v)) = list.iter().find(|(id, _)| *id == d.variant) {
                return Ok(v.clone());
            }
        }
        let value: JsValue = deep_freeze(to_js(d)?).into();
        self.slots.borrow_mut().entry(key).or_default().push((d.variant.clone(), value.clone()));
        Ok(value)
    }

    /// `{slots: {NAME: {variant, is_default, content, reason, explain?}}, consent, holdout, missing}`.
    pub(crate) fn decision(&self, d: &Decision) -> Result<JsValue, JsValue> {
        let out = js_sys::Object::new();
        let slots = js_sys::Object::new();
        for (i, s) in d.slots.iter().enumerate() {
            set(&slots, &self.key(i, &s.slot), &self.slot(i, s)?);
        }
        set(&out, &JsValue::from_str("slots"), &slots);
        set(&out, &JsValue::from_str("consent"), &JsValue::from_bool(d.consent));
        set(&out, &JsValue::from_str("holdout"), &JsValue::from_bool(d.holdout));
        let missing = js_sys::Array::new();
        for m in &d.missing {
            missing.push(&JsValue::from_str(m));
        }
        set(&out, &JsValue::from_str("missing"), &missing);
        Ok(out.into())
    }
}

/// Freezes an object and everything it holds, so a shared decision cannot be changed by a caller.
fn deep_freeze(value: JsValue) -> js_sys::Object {
    let obj: js_sys::Object = value.unchecked_into();
    for v in js_sys::Object::values(&obj).iter() {
        if v.is_object() {
            deep_freeze(v);
        }
    }
    js_sys::Object::freeze(&obj)
}
