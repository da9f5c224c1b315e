//! Decisions as JS objects, built with as few boundary crossings as possible. A slot decision
//! with no template values and no explanation depends only on (slot, variant, reason), so its
//! object is built once, frozen, and kept in a JS array; a decision then crosses once, as the
//! indices of its slots' objects, and a few lines of JS (`build_decision`) assemble it. Slot
//! decisions with vars or explanations are written in full (`to_js`) and passed
//! alongside.

use crate::to_js;
use kairos::decide::SlotDecision;
use kairos::Decision;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function build_decision(keys, shared, ids, fresh, flags, missing) {
  const slots = {};
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    slots[keys[i]] = id & 0x80000000 ? fresh[id & 0x7fffffff] : shared[id];
  }
  return { slots, consent: (flags & 1) !== 0, holdout: (flags & 2) !== 0, missing: missing ?? [] };
}
"#)]
extern "C" {
    /// `ids[i]`: slot `i`'s object, `shared[id]`, or `fresh[id & 0x7fffffff]` when the top bit is set.
    fn build_decision(
        keys: &js_sys::Array,
        shared: &js_sys::Array,
        ids: &[u32],
        fresh: &JsValue,
        flags: u32,
        missing: &JsValue,
    ) -> JsValue;
}

/// Marks an index into the per-call `fresh` array rather than the shared one.
const FRESH: u32 = 0x8000_0000;

/// (variant id, index in `shared`) for one slot and reason.
type Placed = Vec<(String, u32)>;

/// The JS-side tables, and where each frozen slot decision sits in `shared`.
pub(crate) struct Cache {
    /// (slot index, reason) → (variant id, index in `shared`); a few per slot, so searched and a
    /// lookup allocates nothing.
    index: RefCell<HashMap<(usize, &'static str), Placed>>,
    /// Frozen slot decisions.
    shared: js_sys::Array,
    /// Slot names as JS strings, by slot index.
    keys: js_sys::Array,
    /// How many `keys` holds.
    key_count: std::cell::Cell<usize>,
    /// Reused for each decision's indices.
    ids: RefCell<Vec<u32>>,
}

impl Default for Cache {
    fn default() -> Cache {
        Cache {
            index: RefCell::default(),
            shared: js_sys::Array::new(),
            keys: js_sys::Array::new(),
            key_count: std::cell::Cell::new(0),
            ids: RefCell::default(),
        }
    }
}

impl Cache {
    fn shared_slot(&self, i: usize, d: &SlotDecision) -> Result<u32, JsValue> {
        let key = (i, d.reason);
        if let Some(list) = self.index.borrow().get(&key) {
            if let Some((_, at)) = list.iter().find(|(id, _)| *id == d.variant) {
                return Ok(*at);
            }
        }
        let at = self.shared.push(&deep_freeze(to_js(d)?)) - 1;
        self.index.borrow_mut().entry(key).or_default().push((d.variant.clone(), at));
        Ok(at)
    }

    /// `{slots: {NAME: {variant, is_default, content, reason, explain?}}, consent, holdout, missing}`.
    pub(crate) fn decision(&self, d: &Decision) -> Result<JsValue, JsValue> {
        // Slot names are the bundle's, in bundle order: the same for every decision, so they
        // cross once (and their count is kept here, sparing a call per decision).
        let known = self.key_count.get();
        for s in d.slots.iter().skip(known) {
            self.keys.push(&JsValue::from_str(&s.slot));
        }
        self.key_count.set(known.max(d.slots.len()));
        let mut ids = self.ids.borrow_mut();
        ids.clear();
        let mut fresh: Option<js_sys::Array> = None;
        for (i, s) in d.slots.iter().enumerate() {
            let id = if s.vars.is_empty() && s.explain.is_none() {
                self.shared_slot(i, s)?
            } else {
                let list = fresh.get_or_insert_with(js_sys::Array::new);
                (list.push(&to_js(s)?) - 1) | FRESH
            };
            ids.push(id);
        }
        let missing = if d.missing.is_empty() {
            JsValue::UNDEFINED
        } else {
            d.missing.iter().map(|m| JsValue::from_str(m)).collect::<js_sys::Array>().into()
        };
        let flags = u32::from(d.consent) | u32::from(d.holdout) << 1;
        let fresh = fresh.map_or(JsValue::UNDEFINED, JsValue::from);
        Ok(build_decision(&self.keys, &self.shared, &ids, &fresh, flags, &missing))
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
