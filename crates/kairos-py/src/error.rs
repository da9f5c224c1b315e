//! `kairos.KairosError`: every failure the package reports, a `ValueError` with the engine's
//! stable `code` (docs/errors.md) and, where the problem is located, `path`, `line` and `column`.
//!
//! Errors are built as a plain [`Failure`] (no interpreter needed, so the replay can make them
//! with the GIL released) and become a Python exception at the boundary.

use kairos::{CompileError, ErrorCode, Location};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

pyo3::create_exception!(
    kairos,
    KairosError,
    PyValueError,
    "A kairos error: `code` is the stable E_… code (docs/errors.md), `message` says what and \
     where; `path`, `line` and `column` locate it when known (None otherwise)."
);

/// A failure on its way to becoming a [`KairosError`].
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: ErrorCode,
    pub message: String,
    /// The JSON path, or the Arrow or Parquet column, at fault.
    pub path: Option<String>,
    /// 1-based line and column of text input (0: not known).
    pub line: u64,
    pub column: usize,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into(), path: None, line: 0, column: 0 }
    }

    /// With the location of a JSON reader's or compiler's error.
    pub fn at(mut self, at: &Location) -> Failure {
        self.path = (!at.path.is_empty()).then(|| at.path.clone());
        self.line = at.line as u64;
        self.column = at.column;
        self
    }

    /// Rules that do not compile: the message shows the line with a caret, as the CLI does.
    pub fn compile(source: &str, e: &CompileError) -> Failure {
        let rendered = kairos::rules::text::render_error(source, "rules", e);
        let prefix = format!("error[{}]: ", e.code);
        let message = rendered.strip_prefix(&prefix).unwrap_or(&rendered).trim_end().to_owned();
        Failure::new(e.code, message).at(&e.at)
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        Python::attach(|py| {
            let err = KairosError::new_err(format!("{}: {}", f.code, f.message));
            let value = err.value(py);
            let line = (f.line > 0).then_some(f.line);
            let column = (f.column > 0).then_some(f.column);
            // Setting attributes on a fresh exception instance cannot fail.
            let _ = value.setattr("code", f.code.as_str());
            let _ = value.setattr("message", f.message);
            let _ = value.setattr("path", f.path);
            let _ = value.setattr("line", line);
            let _ = value.setattr("column", column);
            err
        })
    }
}
