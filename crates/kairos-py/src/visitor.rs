//! `kairos.Visitor`: one person, resident, as the JS `Visitor` (crates/kairos-wasm/src/visitor.rs)
//! — `track` events as they happen, `decide` per moment, `save`/`restore` between processes.
//! Persons, moments and events are read by the same hand-written readers as the JS bindings
//! (`kairos::wire::shapes`), so the three accept exactly the same values.

use crate::error::Failure;
use crate::{from_json, json_text};
use kairos::json::decision_to_json;
use kairos::wire::{shapes, JsonError};
use kairos::{ContextError, Engine, ErrorCode, Moment, Options, Person};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::sync::Arc;

/// One person, resident: `track(event)`, `decide(moment)`, `save()`.
#[pyclass(module = "kairos._kairos", name = "Visitor")]
pub struct Visitor {
    inner: kairos::Visitor,
    /// A verified QA preview (`preview()`): held here, never in the saved bytes.
    forced: Option<kairos::preview::Preview>,
}

/// Reads `value` (JSON text or a Python value) with one of the wire readers; errors carry
/// `code`, the JSON path, and the line and column when the value was given as text.
fn read<T>(
    value: &Bound<'_, PyAny>,
    what: &str,
    code: ErrorCode,
    reader: fn(&str) -> Result<T, JsonError>,
) -> PyResult<T> {
    let json = json_text(value, what, code)?;
    reader(&json.text).map_err(|e| {
        let path = if e.at.path.is_empty() { "." } else { &e.at.path };
        let mut failure = if json.given_as_text {
            Failure::new(code, format!("{what} {}: {}", e.at, e.message)).at(&e.at)
        } else {
            Failure::new(code, format!("{what} {path}: {}", e.message))
        };
        failure.path = Some(path.to_owned());
        failure.into()
    })
}

/// An event the visitor refused: E_EVENT naming its field (`[3].timestamp` in a batch).
fn refused(e: &kairos::visitor::EventError, index: Option<usize>) -> PyErr {
    let path = match index {
        Some(i) => format!("[{i}].{}", e.field),
        None => e.field.clone(),
    };
    let mut failure = Failure::new(e.code(), format!("{path}: {}", e.message));
    failure.path = Some(path);
    failure.into()
}

impl Visitor {
    pub(crate) fn new(engine: Arc<Engine>, person: Option<&Bound<'_, PyAny>>) -> PyResult<Visitor> {
        let person = match person {
            Some(p) if !p.is_none() => read(p, "person", ContextError::CODE, shapes::person)?,
            _ => Person::default(),
        };
        Ok(Visitor { inner: kairos::Visitor::new(engine, person), forced: None })
    }

    pub(crate) fn restore(engine: Arc<Engine>, saved: &[u8]) -> PyResult<Visitor> {
        let inner = kairos::Visitor::restore(engine, saved).map_err(|e| Failure::new(e.code(), e.to_string()))?;
        Ok(Visitor { inner, forced: None })
    }

    fn moment(&mut self, moment: &Bound<'_, PyAny>, explain: bool) -> PyResult<kairos::Decision> {
        let moment: Moment = read(moment, "moment", ContextError::CODE, shapes::moment)?;
        Ok(self.inner.decide(moment, Options { explain, forced: self.forced.as_ref() }))
    }
}

#[pymethods]
impl Visitor {
    /// Appends one event (`{e|event, t|timestamp, p|properties}`, as in a context's `events`).
    /// E_EVENT with `path` for an event it cannot keep; the visitor is then unchanged.
    fn track(&mut self, event: &Bound<'_, PyAny>) -> PyResult<()> {
        let event = read(event, "event", ErrorCode::Event, shapes::event)?;
        self.inner.track(event).map_err(|e| refused(&e, None))
    }

    /// Appends events (a list, or a JSON array as text) in the order given, all or none: a
    /// refused one raises E_EVENT with its index in `path` and keeps nothing. Returns how many.
    fn track_all(&mut self, events: &Bound<'_, PyAny>) -> PyResult<usize> {
        let events = read(events, "events", ErrorCode::Event, shapes::events)?.0;
        let count = events.len();
        self.inner.track_all(events).map_err(|(i, e)| refused(&e, Some(i)))?;
        Ok(count)
    }

    /// Decides every slot for this moment, `{now, session?, geo?, timezone?, utc_offset?,
    /// event?}`; returns the decision as `Engine.decide` does. E_CONTEXT for a bad moment.
    #[pyo3(signature = (moment, explain=false))]
    fn decide<'py>(&mut self, moment: &Bound<'py, PyAny>, explain: bool) -> PyResult<Bound<'py, PyAny>> {
        let decision = self.moment(moment, explain)?;
        from_json(moment.py(), &decision_to_json(&decision))
    }

    /// Decides for this moment and returns one slot's decision; E_SLOT for a slot the bundle lacks.
    fn render<'py>(&mut self, slot: &str, moment: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let read_moment: Moment = read(moment, "moment", ContextError::CODE, shapes::moment)?;
        let found = self.inner.render(read_moment, slot).map_err(|e| Failure::new(e.code(), e.to_string()))?;
        let text = serde_json::to_string(&found).map_err(|e| Failure::new(ErrorCode::Output, e.to_string()))?;
        from_json(moment.py(), &text)
    }

    /// Replaces what is known of the person (identity, consent, profile, scores); history stays.
    fn set_person(&mut self, person: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set_person(read(person, "person", ContextError::CODE, shapes::person)?);
        Ok(())
    }

    /// Forces, in this visitor's decisions, the variants a QA preview token names
    /// (docs/preview.md), if `public_key` (64 hex digits) signed it and it has not expired at
    /// `now` (epoch ms). Returns what of it the bundle lacks, in words (empty when nothing).
    /// E_PREVIEW, E_PREVIEW_EXPIRED or E_KEY otherwise, and then nothing is forced.
    fn preview(&mut self, token: &str, public_key: &str, now: i64) -> PyResult<String> {
        self.forced = None;
        let key = kairos::signing::PublicKey::parse(public_key.trim())
            .map_err(|e| Failure::new(e.code(), format!("public_key: {e}")))?;
        let preview = kairos::preview::verify(token, &key, now).map_err(|e| Failure::new(e.code, e.message))?;
        let unknown = preview.unknown_in(&self.inner.engine().program).unwrap_or_default();
        self.forced = Some(preview);
        Ok(unknown)
    }

    /// Whether personalisation consent was given (store `save()` bytes only then).
    #[getter]
    fn has_consent(&self) -> bool {
        self.inner.has_consent()
    }

    /// Approximate bytes this visitor holds.
    #[getter]
    fn memory_bytes(&self) -> usize {
        self.inner.memory_bytes()
    }

    /// Compact, versioned bytes (`KVIS`…) for `Engine.restore`.
    fn save<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.save())
    }

    /// Events kept.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!("<kairos.Visitor: {} event(s) kept>", self.inner.len())
    }
}
