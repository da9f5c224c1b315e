//! The edge crate's one error type for what it reads outside a request: customer records for KV
//! (`kairos kv-customers`) and the `TRACK` setting. Coded like every kairos error.

use kairos::ErrorCode;
use std::fmt;

/// A record or setting that cannot be used: its code, the 1-based line when the input has lines,
/// and the message (with the JSON path where one is known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeError {
    pub code: ErrorCode,
    pub line: Option<usize>,
    pub message: String,
}

impl EdgeError {
    pub(crate) fn new(code: ErrorCode, line: Option<usize>, message: impl fmt::Display) -> EdgeError {
        EdgeError { code, line, message: message.to_string() }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl fmt::Display for EdgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for EdgeError {}
