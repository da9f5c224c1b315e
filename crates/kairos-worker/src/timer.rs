//! A cancellable `setTimeout` future for the KV budget. workers-rs's `Delay` logs a debug line
//! whenever it is dropped before firing, which the budget timer is on every request that KV
//! answers in time: one line of noise per request in the operator's log.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: u32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Resolves after `ms` milliseconds; dropped early, it clears its timer.
pub struct Sleep {
    id: JsValue,
    fired: JsFuture,
}

impl Sleep {
    pub fn new(ms: u32) -> Sleep {
        let mut id = JsValue::UNDEFINED;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| id = set_timeout(&resolve, ms));
        Sleep { id, fired: JsFuture::from(promise) }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.fired).poll(cx).map(|_| ())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
