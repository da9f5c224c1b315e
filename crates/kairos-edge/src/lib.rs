//! Edge signals: what a CDN request says about the visitor, turned into a [`Context`].
//!
//! Nothing here depends on a runtime: the worker binding copies headers, cookies and
//! `cf` properties into an [`EdgeRequest`], so the mapping is tested natively.
//!
//! [`Context`]: kairos::Context
//!
//! Owns: edge signals, cookies, the anonymous id (`anonymous`), KV customer records, the signed
//! history cookie, the handoff to the page (`handoff`: the state island, pending page events),
//! exposure batches for the collector (`collect`), email open tokens, OpenFeature's remote
//! evaluation (`ofrep`), QA preview tokens and their session cookie (`preview`), base64 for
//! cookies and tokens (`b64`), and (feature `rewrite`) the streaming slot rewrite with lol_html
//! for native use. Must not import wasm-bindgen, js-sys or the `worker` crate: everything here
//! runs and is tested natively.

pub mod anonymous;
mod b64;
pub mod collect;
pub mod config;
pub mod cookies;
pub mod customer;
mod error;
pub mod handoff;
pub mod history;
pub mod http;
pub mod identity;
pub mod ofrep;
mod open_page;
pub mod open_token;
pub mod preview;
pub mod request;
pub mod runtime;
pub mod service;
mod sign;
#[cfg(feature = "rewrite")]
pub mod stream;
pub mod track;

pub use config::EdgeConfig;
pub use customer::CustomerRecord;
pub use error::EdgeError;
pub use history::{EdgeEvent, HistoryCookie, HistoryState};
pub use request::{CfProperties, EdgeRequest};
pub use runtime::{Runtime, StoreFault};
pub use service::{Edge, PageAnswer};
#[cfg(feature = "rewrite")]
pub use stream::PageRewriter;
