//! `kairos.replay` (its native half) and `kairos.Report`: a bundle replayed over an event log,
//! step by step, exactly as `kairos replay` does (docs/replay.md), with the GIL released.

use crate::engine::Engine;
use crate::error::Failure;
use crate::from_json;
use crate::input::{self, Events, Lines, Recent, Stash};
use kairos::context::{clip, MAX_MS, MIN_MS};
use kairos::time::{parse_duration, parse_timestamp};
use kairos::ErrorCode;
use kairos_replay::columnar::locate_in_parquet;
use kairos_replay::state::MAX_STEPS;
use kairos_replay::{replay_threads, ReplayError, ReplayOptions, SegmentCount};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyIterator, PyString};

/// A duration: milliseconds (`int`) or text like `1h`, `30m`, `1d`; longer than zero and no
/// longer than the years instants can be in (so that no step arithmetic can overflow).
fn duration(value: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    let ms = match value.extract::<i64>() {
        Ok(ms) => ms,
        Err(_) => {
            let text: String = value.extract()?;
            parse_duration(&text).map_err(|e| Failure::new(e.code(), format!("{what}: {e}")))?
        }
    };
    if !(1..=MAX_MS - MIN_MS).contains(&ms) {
        let why = if ms <= 0 { "must be longer than 0" } else { "longer than the years 1000 to 9999" };
        return Err(Failure::new(ErrorCode::Duration, format!("{what}: {why}")).into());
    }
    Ok(ms)
}

/// An instant: epoch milliseconds (`int`) or RFC 3339 text, in the years 1000 to 9999 as the
/// replay's timestamps are. (The Python side turns datetimes into milliseconds.)
fn instant(value: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<i64>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    let ms = match value.extract::<i64>() {
        Ok(ms) => ms,
        Err(_) => {
            let text: String = value.extract()?;
            parse_timestamp(&text).map_err(|e| Failure::new(e.code(), format!("{what}: {e}")))?
        }
    };
    if !(MIN_MS..=MAX_MS).contains(&ms) {
        return Err(Failure::new(ErrorCode::Time, format!("{what}: {ms} is outside years 1000 to 9999")).into());
    }
    Ok(Some(ms))
}

/// Epoch milliseconds of an RFC 3339 timestamp, read as replays read the `timestamp` of a
/// line (the Spark job uses it to find the first and last step of text timestamps).
#[pyfunction]
pub fn epoch_ms(text: &str) -> PyResult<i64> {
    Ok(parse_timestamp(text).map_err(|e| Failure::new(e.code(), e.to_string()))?)
}

/// Epoch milliseconds of each RFC 3339 timestamp, None where there is none or it does not
/// parse (the replay then reports that row): the Spark job's sort key for text timestamps.
#[pyfunction]
pub fn epoch_ms_all(texts: Vec<Option<String>>) -> Vec<Option<i64>> {
    texts.iter().map(|t| t.as_deref().and_then(|t| parse_timestamp(t).ok())).collect()
}

/// A duration (`"1h"`, `"1d"`, or ms) in ms, as `replay` reads `step`.
#[pyfunction]
pub fn duration_ms(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    duration(value, "duration")
}

/// What `events` is: NDJSON bytes, a path, or an iterator of Arrow IPC stream pieces.
fn events_of(events: &Bound<'_, PyAny>) -> PyResult<Events> {
    if events.is_instance_of::<PyBytes>() || events.is_instance_of::<PyByteArray>() {
        return Ok(Events::Ndjson(events.extract()?));
    }
    if events.is_instance_of::<PyString>() || events.hasattr("__fspath__")? {
        let path: std::path::PathBuf = events.extract()?;
        return Ok(Events::File(path));
    }
    Ok(Events::ArrowChunks(PyIterator::from_object(events)?.unbind()))
}

/// Replays `events` (NDJSON bytes, a path to an NDJSON or Parquet file, or an iterator of
/// Arrow IPC stream pieces) against `engine`. Options as `kairos replay`'s flags; `threads`
/// splits the customers between that many threads (default: every core).
#[pyfunction]
#[pyo3(signature = (engine, events, *, step, start=None, end=None, lookback=None, session_timeout, skip_bad=false, assume_consent=true, threads=None))]
#[allow(clippy::too_many_arguments)] // the flags of `kairos replay`, one keyword each
pub fn replay(
    py: Python<'_>,
    engine: &Engine,
    events: &Bound<'_, PyAny>,
    step: &Bound<'_, PyAny>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
    lookback: Option<&Bound<'_, PyAny>>,
    session_timeout: &Bound<'_, PyAny>,
    skip_bad: bool,
    assume_consent: bool,
    threads: Option<usize>,
) -> PyResult<Report> {
    // As `kairos replay --threads`: every core unless told; the report is the same either way.
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = ReplayOptions {
        from: instant(start, "start")?,
        to: instant(end, "end")?,
        step: duration(step, "step")?,
        lookback: lookback.filter(|l| !l.is_none()).map(|l| duration(l, "lookback")).transpose()?,
        session_timeout: duration(session_timeout, "session_timeout")?,
        skip_bad,
        assume_consent,
        ..ReplayOptions::default()
    };
    if let (Some(from), Some(to)) = (opts.from, opts.to) {
        if from > to {
            return Err(Failure::new(ErrorCode::Usage, "start is after end").into());
        }
        if (to - from) / opts.step > MAX_STEPS as i64 {
            return Err(Failure::new(ErrorCode::Usage, "more than 1,000,000 steps: use a longer step").into());
        }
    }
    let events = events_of(events)?;
    let source = match &events {
        Events::File(path) => path.display().to_string(),
        _ => "events".to_owned(),
    };
    let (stash, recent) = (Stash::default(), Recent::default());
    let core = engine.inner.clone();
    let replayed = py.detach(|| -> Result<kairos_replay::Report, Failure> {
        let opened = input::open(events, &stash, &recent)?;
        replay_threads(&core, opts, opened.lines, threads).map_err(|e| failure(&e, &source, &opened.kind, &recent))
    });
    // A Python exception or column error met below the reader is the real cause.
    if let Some(err) = stash.take() {
        return Err(err);
    }
    Ok(Report { inner: replayed? })
}

/// A replay error as raised: E_EVENT_LOG on a line or row (a Parquet row with its column, an
/// Arrow row shown as read), E_IO or E_COLUMN when the input itself failed; as `kairos replay`
/// reports them.
fn failure(e: &ReplayError, source: &str, kind: &Lines, recent: &Recent) -> Failure {
    let mut failure = match (e.line, kind) {
        (0, Lines::Ndjson) => return Failure::new(ErrorCode::Io, format!("{source}: {e}")),
        (0, _) => return Failure::new(ErrorCode::Column, format!("{source}: {e}")),
        (_, Lines::Ndjson) => {
            let mut failure = Failure::new(ErrorCode::EventLog, format!("{source}: {e}"));
            failure.column = e.column;
            failure
        }
        (row, Lines::ParquetRows(path)) => {
            let place = std::fs::File::open(path).ok().and_then(|f| locate_in_parquet(f, row, e.column));
            let at = place.as_ref().map_or_else(|| format!("row {row}"), |p| format!("row {row}, {p}"));
            let mut failure = Failure::new(ErrorCode::EventLog, format!("{source}: {at}: {}", e.message));
            failure.path = place.map(|p| p.column);
            failure
        }
        (row, Lines::ArrowRows) => {
            // Batches have no text of their own: show the line the row was read as.
            let shown = recent.line(row).map(|l| format!(" (the row as read: {})", clip(&l, 400))).unwrap_or_default();
            Failure::new(ErrorCode::EventLog, format!("{source}: row {row}: {}{shown}", e.message))
        }
    };
    failure.line = e.line;
    failure
}

/// A segment's counts at a step, by name: the long table's count columns.
type Count = fn(&SegmentCount) -> u64;
const COUNTS: [(&str, Count); 4] =
    [("size", |c| c.size), ("entered", |c| c.entered), ("left", |c| c.left), ("unknown", |c| c.unknown)];

/// What a replay counted: segment sizes, entries and exits, variants and missing signals per step.
#[pyclass(module = "kairos._kairos", name = "Report", frozen)]
pub struct Report {
    inner: kairos_replay::Report,
}

#[pymethods]
impl Report {
    /// Exactly what `kairos replay --format json` prints.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The JSON report as Python values (dicts, lists, ints, strs).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        from_json(py, &self.inner.to_json())
    }

    /// One row per step and segment: `step` (timestamp[ms, UTC]), `segment`, `size`,
    /// `entered`, `left`, `unknown` (int64), as a `pyarrow.Table`.
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pa = py.import("pyarrow")?;
        let (rows, segments) = (&self.inner.rows, &self.inner.segments);
        let typed = |values: Bound<'py, PyAny>, ty: Bound<'py, PyAny>| -> PyResult<Bound<'py, PyAny>> {
            let kwargs = PyDict::new(py);
            kwargs.set_item("type", ty)?;
            pa.call_method("array", (values,), Some(&kwargs))
        };
        let utc = PyDict::new(py);
        utc.set_item("tz", "UTC")?;
        let steps: Vec<i64> = rows.iter().flat_map(|r| std::iter::repeat_n(r.at, segments.len())).collect();
        let names: Vec<&str> = rows.iter().flat_map(|_| segments.iter().map(String::as_str)).collect();
        let columns = PyDict::new(py);
        columns
            .set_item("step", typed(steps.into_pyobject(py)?, pa.call_method("timestamp", ("ms",), Some(&utc))?)?)?;
        columns.set_item("segment", typed(names.into_pyobject(py)?, pa.call_method0("string")?)?)?;
        for (name, count) in COUNTS {
            let values: Vec<u64> = rows.iter().flat_map(|r| r.segments.iter().map(count)).collect();
            columns.set_item(name, typed(values.into_pyobject(py)?, pa.call_method0("int64")?)?)?;
        }
        pa.call_method1("table", (columns,))
    }

    /// The chart: segment sizes over time, with entries and exits (`kairos replay --format svg`).
    fn svg(&self) -> String {
        self.inner.to_svg()
    }

    /// The plain-text report (`kairos replay`'s default format).
    fn table(&self) -> String {
        self.inner.to_table()
    }

    /// One row per step (`kairos replay --format csv`).
    fn csv(&self) -> String {
        self.inner.to_csv()
    }

    /// Segment names, in bundle order.
    #[getter]
    fn segments(&self) -> Vec<String> {
        self.inner.segments.clone()
    }

    /// Step boundaries, epoch ms.
    #[getter]
    fn steps(&self) -> Vec<i64> {
        self.inner.rows.iter().map(|r| r.at).collect()
    }

    /// Step length in ms.
    #[getter]
    fn step_ms(&self) -> i64 {
        self.inner.step
    }

    fn __repr__(&self) -> String {
        let r = &self.inner;
        format!(
            "<kairos.Report {:?}: {} step(s), {} segment(s), {} line(s)>",
            r.bundle,
            r.rows.len(),
            r.segments.len(),
            r.stats.lines
        )
    }
}
