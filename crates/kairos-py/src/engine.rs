//! `kairos.Engine`: a loaded bundle. Load once, decide many times, make visitors, replay logs.

use crate::error::Failure;
use crate::visitor::Visitor;
use crate::{from_json, json_text};
use kairos::json::{decision_to_json, parse_context};
use kairos::signing::{KeyError, PublicKey};
use kairos::{ContextError, ErrorCode, Options};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyString};
use std::sync::Arc;

/// A loaded bundle. Cheap to share between threads; build once per bundle.
#[pyclass(module = "kairos._kairos", name = "Engine", frozen)]
pub struct Engine {
    pub(crate) inner: Arc<kairos::Engine>,
    /// The bytes it was loaded from (signed or not), for `bundle` and for shipping to Spark tasks.
    bytes: Vec<u8>,
}

impl Engine {
    fn loaded(bytes: Vec<u8>, key: Option<&PublicKey>) -> Result<Engine, Failure> {
        let loaded = match key {
            Some(key) => kairos::Engine::load_verified(&bytes, key),
            None => kairos::Engine::load(&bytes),
        };
        let engine = loaded.map_err(|e| Failure::new(e.code(), e.to_string()))?;
        Ok(Engine { inner: Arc::new(engine), bytes })
    }
}

/// A public key: 64 hex digits as `str`, a key file's bytes, or the 32 raw bytes.
fn public_key(value: &Bound<'_, PyAny>) -> PyResult<PublicKey> {
    let refused = |e: KeyError| Failure::new(e.code(), format!("public_key: {e}"));
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(PublicKey::parse(text.to_cow()?.trim()).map_err(refused)?);
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        if bytes.len() == kairos::signing::KEY_LEN {
            return Ok(PublicKey::from_bytes(bytes).map_err(refused)?);
        }
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        return Ok(PublicKey::parse(text.trim()).map_err(refused)?);
    }
    Err(Failure::new(KeyError::CODE, "public_key: give 64 hex digits (str) or a key file's bytes").into())
}

#[pymethods]
impl Engine {
    /// Loads a compiled bundle (`kairos compile` output, signed or not). With `public_key`, only
    /// a bundle signed by that key loads (E_BUNDLE_UNSIGNED, E_BUNDLE_KEY, E_BUNDLE_SIGNATURE).
    #[staticmethod]
    #[pyo3(signature = (bundle, public_key=None))]
    fn load(bundle: PyBackedBytes, public_key: Option<&Bound<'_, PyAny>>) -> PyResult<Engine> {
        let key = public_key.map(self::public_key).transpose()?;
        Ok(Engine::loaded(bundle.to_vec(), key.as_ref())?)
    }

    /// Compiles rules (JSON text, a dict, or the text language) and loads the bundle they make,
    /// as `kairos compile` would (same bytes, same `bundle_id`).
    #[staticmethod]
    fn compile(rules: &Bound<'_, PyAny>) -> PyResult<Engine> {
        Ok(Engine::loaded(crate::compile(rules)?, None)?)
    }

    /// The bundle's bytes (as loaded: a signed bundle keeps its signature).
    #[getter]
    fn bundle<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    /// The bundle's id (payload length and checksum): what exposures name.
    #[getter]
    fn bundle_id(&self) -> Option<String> {
        self.inner.bundle_id().map(str::to_owned)
    }

    /// The bundle's `name` (empty when it has none).
    #[getter]
    fn name(&self) -> String {
        self.inner.program.name.clone()
    }

    /// Segment names, in bundle order.
    #[getter]
    fn segments(&self) -> Vec<String> {
        self.inner.program.segments.iter().map(|s| s.name.clone()).collect()
    }

    /// Slot names, in bundle order.
    #[getter]
    fn slots(&self) -> Vec<String> {
        self.inner.program.slots.iter().map(|s| s.name.clone()).collect()
    }

    /// Decides every slot for a whole context (JSON text or a dict, as `kairos decide
    /// --context` reads it); returns the decision `kairos decide` prints, as a dict. With
    /// `explain`, each slot says why. A bad context raises E_CONTEXT with its path.
    #[pyo3(signature = (context, explain=false))]
    fn decide<'py>(&self, context: &Bound<'py, PyAny>, explain: bool) -> PyResult<Bound<'py, PyAny>> {
        let ctx = self.context(context)?;
        let decision = self.inner.decide(&ctx, Options::explaining(explain));
        from_json(context.py(), &decision_to_json(&decision))
    }

    /// Decides for a context and returns one slot's decision (`variant`, `is_default`,
    /// `content`, `reason`): an email rendered at open time. E_SLOT for a slot the bundle lacks.
    fn render<'py>(&self, slot: &str, context: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let ctx = self.context(context)?;
        let found = self.inner.render(&ctx, slot).map_err(|e| Failure::new(e.code(), e.to_string()))?;
        let text = serde_json::to_string(&found).map_err(|e| Failure::new(ErrorCode::Output, e.to_string()))?;
        from_json(context.py(), &text)
    }

    /// A resident visitor for this bundle; `person` is `{customer_id?, anonymous_id?, consent?,
    /// profile?, scores?, timezone?, utc_offset?}` (a dict or JSON text).
    #[pyo3(signature = (person=None))]
    fn visitor(&self, person: Option<&Bound<'_, PyAny>>) -> PyResult<Visitor> {
        Visitor::new(self.inner.clone(), person)
    }

    /// A visitor from `Visitor.save()` bytes: E_VISITOR_VERSION, E_VISITOR_BUNDLE (saved for a
    /// bundle that reads the history differently) or E_VISITOR_CORRUPT otherwise.
    fn restore(&self, saved: PyBackedBytes) -> PyResult<Visitor> {
        Visitor::restore(self.inner.clone(), &saved)
    }

    fn __repr__(&self) -> String {
        let p = &self.inner.program;
        let id = self.inner.bundle_id().unwrap_or("?");
        format!("<kairos.Engine {:?} {id}: {} slot(s), {} segment(s)>", p.name, p.slots.len(), p.segments.len())
    }
}

impl Engine {
    fn context(&self, context: &Bound<'_, PyAny>) -> PyResult<kairos::Context> {
        let json = json_text(context, "context", ContextError::CODE)?;
        parse_context(&json.text).map_err(|e| {
            let mut at = e.at.clone();
            if !json.given_as_text {
                (at.line, at.column) = (0, 0);
            }
            let path = if e.at.path.is_empty() { "." } else { &e.at.path };
            let message = if json.given_as_text { e.to_string() } else { format!("context {path}: {}", e.message) };
            Failure::new(ContextError::CODE, message).at(&at).into()
        })
    }
}
