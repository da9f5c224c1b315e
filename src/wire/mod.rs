//! JSON text read and written without serde_json: the form in which values cross the JS/wasm
//! boundary. The page and Node modules hand every person, moment and event over as JSON text
//! (`JSON.stringify`, native in the JS engine) and take decisions back as text for `JSON.parse`,
//! so the modules carry neither serde_json nor a reader of JS object graphs. The reader and the
//! writer are serde's, over the same `Deserialize`/`Serialize` impls as everything else, and a
//! differential test (tests/wire.rs) holds the reader to serde_json's acceptance, values and
//! error paths on contexts.
//!
//! The reader tracks the JSON path itself (no serde_path_to_error, which doubles every reader it
//! wraps) and locates an error only when there is one.
//!
//! The shapes the modules read on every call (a context, a person, a moment, events) also have
//! hand-written readers over the same tokens ([`shapes`]), without serde's visitors: the page
//! module carries only those. tests/wire_shapes.rs holds them to the serde reader (same values,
//! errors at the same path) on the scenarios, broken copies of them and random JSON.

mod read;
mod write;

pub use read::from_str;
/// The page's input shapes read without serde's visitors (see `read/shapes.rs`).
pub mod shapes {
    pub use super::read::shapes::{
        context, evaluation_request, event, events, moment, person, EvaluationRequest, RequestError,
    };
}
pub use write::to_string;

use crate::error::{CompileError, ContextError, ErrorCode, Location};
use crate::limits::TooDeep;
use std::fmt;

/// The reader's and the writer's own error: its message (the reader keeps where, for [`JsonError`]).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

/// JSON text that cannot be read into the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Where: the JSON path of the value being read, with its line and column.
    pub at: Location,
    /// What is wrong, without a position suffix (the location carries it).
    pub message: String,
    /// Set when the text nests deeper than a kairos reader allows, or than JSON is read.
    pub too_deep: Option<TooDeep>,
}

impl JsonError {
    /// Refuses text over [`MAX_JSON_BYTES`](crate::limits::MAX_JSON_BYTES), as every JSON reader does.
    pub(crate) fn check_size(text: &str) -> Result<(), JsonError> {
        use crate::limits::MAX_JSON_BYTES;
        if text.len() <= MAX_JSON_BYTES {
            return Ok(());
        }
        let message = format!("input is {} bytes, the limit is {MAX_JSON_BYTES}", text.len());
        Err(JsonError { at: Location::default(), message, too_deep: None })
    }

    /// `E_DEPTH` for nesting past a limit, `E_SYNTAX` otherwise. Readers of particular
    /// documents give their own (contexts: `E_CONTEXT`).
    pub fn code(&self) -> ErrorCode {
        if self.too_deep.is_some() {
            ErrorCode::Depth
        } else {
            ErrorCode::Syntax
        }
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.too_deep.as_ref().map(|d| d as _)
    }
}

impl From<JsonError> for ContextError {
    fn from(e: JsonError) -> ContextError {
        ContextError { at: e.at, message: e.message, too_deep: e.too_deep }
    }
}

impl From<JsonError> for CompileError {
    fn from(e: JsonError) -> CompileError {
        CompileError { code: e.code(), at: e.at, message: e.message }
    }
}
