//! What the edge service needs from the platform it runs on: a clock, a key-value store, a
//! timer and a log. The Worker implements it over workers-rs; tests implement it with fakes
//! (a KV that throws, stalls or holds garbage), so every fault path runs natively.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

/// Why a store read gave nothing usable. Carries no key and no value: faults are logged, and a
/// key can name a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFault {
    /// The store threw or is not bound.
    Unreachable,
    /// The read did not finish within its budget.
    OverBudget,
}

impl StoreFault {
    /// How a log line names the fault.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreFault::Unreachable => "unreachable",
            StoreFault::OverBudget => "over its time budget",
        }
    }
}

/// The platform under the edge service.
// The Workers runtime runs one request per isolate thread, so the futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait Runtime {
    /// Milliseconds since the Unix epoch. The core never reads a clock; the edge reads this one.
    fn now_ms(&self) -> i64;
    /// One KV read, as bytes.
    async fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreFault>;
    /// Resolves after `ms` milliseconds.
    async fn sleep(&self, ms: u32);
    /// One line for the operator's log. Callers never pass personal data.
    fn log(&self, line: &str);
    /// 16 bytes from a cryptographic random source (new anonymous ids).
    fn random_bytes(&self) -> [u8; 16];
    /// POSTs `body` (JSON) to `url` after the response, never delaying or failing it: the Worker
    /// hands the request to `waitUntil`, and a collector that is down or slow costs nothing.
    fn send_later(&self, url: &str, body: String);
}

/// A KV read bounded by `budget_ms`: a slow store costs the visitor at most the budget, then
/// the request goes on without it.
pub async fn kv_get_within<R: Runtime>(rt: &R, key: &str, budget_ms: u32) -> Result<Option<Vec<u8>>, StoreFault> {
    let mut read = pin!(rt.kv_get(key));
    let mut timer = pin!(rt.sleep(budget_ms));
    poll_fn(|cx| {
        if let Poll::Ready(v) = read.as_mut().poll(cx) {
            return Poll::Ready(v);
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(StoreFault::OverBudget)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// Runs a future whose wake-ups all come from already-ready or never-ready parts (the fakes in
/// tests): polls until ready. Not for real I/O.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
