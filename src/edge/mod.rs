//! Edge signals: what a CDN request says about the visitor, turned into a [`Context`].
//!
//! Nothing here depends on a runtime: the worker binding copies headers, cookies and
//! `cf` properties into an [`EdgeRequest`], so the mapping is tested natively.
//!
//! [`Context`]: crate::Context

pub mod cookies;
pub mod customer;
pub mod history;
pub mod identity;
pub mod open_token;
pub mod request;
mod sign;
pub mod track;

pub use customer::CustomerRecord;
pub use history::{EdgeEvent, HistoryCookie, HistoryState};
pub use request::{CfProperties, EdgeRequest};
