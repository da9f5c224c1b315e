//! kairos for Python: `kairos._kairos`, the native module of the `kairos` package
//! (`python/kairos/`, docs/python.md), built with PyO3 and maturin.
//!
//! Owns: the Python classes over the core — `Engine` (load, compile, decide; `engine`), the
//! resident `Visitor` (`visitor`) — and replays for Python callers (`replay`: options, the
//! `Report`; `input`: event logs from bytes, files, and Arrow IPC streams pulled from Python
//! chunk by chunk), with every failure a `KairosError` carrying the engine's code (`error`).
//! Values cross as JSON text, read by the same core readers as the CLI (`kairos::json`) and the
//! JS bindings (`kairos::wire::shapes`); decisions and reports come back as that JSON, parsed by
//! Python's `json`. The Python side (`python/kairos/`) adds pyarrow input, `Report.to_arrow()`
//! and `kairos.spark`. Must not import the JS bindings or the edge; nothing in the core depends
//! on it (scripts/check-layout.sh).

mod engine;
mod error;
mod input;
mod replay;
mod visitor;

use error::{Failure, KairosError};
use kairos::ErrorCode;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// A JSON value as the core reads it, and whether it was given as text (then errors have
/// meaningful lines and columns; a dict's `json.dumps` text has none worth showing).
pub(crate) struct JsonText {
    pub text: String,
    pub given_as_text: bool,
}

/// `value` as JSON text: a `str` (or UTF-8 `bytes`) as it is, anything else through
/// `json.dumps` (NaN and infinities refused, as JSON has none). `what` names it in errors.
pub(crate) fn json_text(value: &Bound<'_, PyAny>, what: &str, code: ErrorCode) -> PyResult<JsonText> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(JsonText { text: text.to_cow()?.into_owned(), given_as_text: true });
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        let text = std::str::from_utf8(bytes.as_bytes())
            .map_err(|e| Failure::new(code, format!("{what}: not UTF-8 text ({e})")))?;
        return Ok(JsonText { text: text.to_owned(), given_as_text: true });
    }
    let json = value.py().import("json")?;
    let kwargs = pyo3::types::PyDict::new(value.py());
    kwargs.set_item("allow_nan", false)?;
    let text = json
        .call_method("dumps", (value,), Some(&kwargs))
        .map_err(|e| Failure::new(code, format!("{what}: not a JSON value ({})", e.value(value.py()))))?;
    Ok(JsonText { text: text.extract()?, given_as_text: false })
}

/// JSON text (the core's own output) as Python values.
pub(crate) fn from_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// The customer's bucket 0–9999 for `salt` (docs/bucketing.md): the same everywhere.
#[pyfunction]
fn bucket(salt: &str, customer_id: &str) -> u32 {
    kairos::bucket(salt, customer_id)
}

/// Rules (JSON or the text language) compiled into bundle bytes, as `kairos compile` writes them.
#[pyfunction]
fn compile(rules: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let source = json_text(rules, "rules", ErrorCode::Syntax)?;
    let program = kairos::json::compile_source(&source.text).map_err(|e| Failure::compile(&source.text, &e))?;
    Ok(program.to_bytes())
}

#[pymodule]
#[pyo3(name = "_kairos")]
fn kairos_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("KairosError", m.py().get_type::<KairosError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<engine::Engine>()?;
    m.add_class::<visitor::Visitor>()?;
    m.add_class::<replay::Report>()?;
    m.add_function(wrap_pyfunction!(bucket, m)?)?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(replay::replay, m)?)?;
    m.add_function(wrap_pyfunction!(replay::epoch_ms, m)?)?;
    m.add_function(wrap_pyfunction!(replay::epoch_ms_all, m)?)?;
    m.add_function(wrap_pyfunction!(replay::duration_ms, m)?)?;
    Ok(())
}
