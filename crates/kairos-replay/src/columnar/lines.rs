//! Record batches to NDJSON lines, one per row, through [`std::io::Read`]: a batch at a time, so
//! memory holds one decoded batch and one buffer of lines, whatever the log's length.

use super::columns::{columns, Col};
use super::layout::{Layout, ANONYMOUS_ID, CONTEXT, EVENT, FIELDS, PROPERTIES, TIMESTAMP, TRAITS, USER_ID};
use super::ColumnError;
use crate::gen::json_str;
use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use std::io::{self, Read, Write};
use std::ops::Range;

/// Lines are produced in runs of about this many bytes.
const FILL_BYTES: usize = 64 << 10;

/// NDJSON lines from record batches (see [`super::batch_lines`]).
pub struct BatchLines<I> {
    layout: Layout,
    batches: I,
    /// The current batch's columns of the layout, in [`FIELDS`] order, with their field.
    cols: Vec<(usize, Col)>,
    /// Rows in the current batch, and the next one to write.
    rows: usize,
    row: usize,
    /// Rows written before the current batch's.
    before: u64,
    out: Vec<u8>,
    pos: usize,
    state: State,
}

enum State {
    Reading,
    Ended,
    /// A batch could not be read: every later read repeats why.
    Failed(ColumnError),
}

/// Where one field's value lies in a line (byte range), for locating errors.
pub(super) struct Span {
    pub(super) field: usize,
    pub(super) range: Range<usize>,
}

impl<I: Iterator<Item = Result<RecordBatch, ArrowError>>> BatchLines<I> {
    pub(super) fn new(layout: Layout, batches: I) -> BatchLines<I> {
        BatchLines {
            layout,
            batches,
            cols: Vec::new(),
            rows: 0,
            row: 0,
            before: 0,
            out: Vec::with_capacity(FILL_BYTES + 4096),
            pos: 0,
            state: State::Reading,
        }
    }

    /// Rows turned into lines so far.
    pub fn rows(&self) -> u64 {
        self.before + self.row as u64
    }

    /// The name the input gives a field of [`FIELDS`], if it has the column.
    pub(super) fn column_name(&self, field: usize) -> Option<&str> {
        self.layout.found.get(field)?.as_ref().map(|f| f.name.as_str())
    }

    /// Writes the next row's line to `out` with where each value lies; `false` at the end.
    pub(super) fn next_line(&mut self, out: &mut Vec<u8>, spans: &mut Vec<Span>) -> Result<bool, ColumnError> {
        if !self.next_batch_if_done()? {
            return Ok(false);
        }
        write_row(&self.cols, self.row, out, Some(spans));
        self.row += 1;
        Ok(true)
    }

    /// Refills `out` with the lines of up to [`FILL_BYTES`]; `false` at the end.
    fn fill(&mut self) -> Result<bool, ColumnError> {
        self.out.clear();
        self.pos = 0;
        if !self.next_batch_if_done()? {
            return Ok(false);
        }
        while self.row < self.rows && self.out.len() < FILL_BYTES {
            write_row(&self.cols, self.row, &mut self.out, None);
            self.row += 1;
        }
        Ok(true)
    }

    /// Makes sure a row is left to write, reading batches as needed; `false` at the end.
    fn next_batch_if_done(&mut self) -> Result<bool, ColumnError> {
        while self.row >= self.rows {
            match &self.state {
                State::Reading => {}
                State::Ended => return Ok(false),
                State::Failed(e) => return Err(e.clone()),
            }
            let after = self.rows();
            let batch = match self.batches.next() {
                None => {
                    self.state = State::Ended;
                    return Ok(false);
                }
                Some(Ok(batch)) => batch,
                Some(Err(e)) => return Err(self.fail(ColumnError::input(format!("after row {after}: {e}")))),
            };
            self.cols = match columns(&self.layout, &batch) {
                Ok(cols) => cols,
                Err(e) => return Err(self.fail(e)),
            };
            self.before = after;
            self.rows = batch.num_rows();
            self.row = 0;
        }
        Ok(true)
    }

    fn fail(&mut self, e: ColumnError) -> ColumnError {
        self.state = State::Failed(e.clone());
        self.cols.clear();
        self.before = self.rows();
        (self.rows, self.row) = (0, 0);
        e
    }
}

impl<I: Iterator<Item = Result<RecordBatch, ArrowError>>> Read for BatchLines<I> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            match self.fill() {
                Ok(true) => {}
                Ok(false) => return Ok(0),
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// One row as a line. A track row (an event name, a customer or anonymous id, an instant) is
/// written in the compact layout the scanner reads fastest: `{"c","e","t"}`, then traits and
/// context, then `"p"` (the scanner reads the keys of both layouts alike, and the type and the
/// other id only matter without a name or a customer id). Any other row is written as an
/// analytics line: `{"type", "userId", "anonymousId", "event", "timestamp", "properties",
/// "traits", "context"}`. Nulls are left out.
fn write_row(cols: &[(usize, Col)], row: usize, out: &mut Vec<u8>, mut spans: Option<&mut Vec<Span>>) {
    let start = out.len();
    if !write_compact_head(cols, row, out, spans.as_deref_mut()) {
        out.truncate(start);
        if let Some(spans) = spans.as_deref_mut() {
            spans.clear();
        }
        out.push(b'{');
        for (field, col) in cols {
            write_field(out, start, *field, FIELDS[*field].key, col, row, spans.as_deref_mut());
        }
        out.extend_from_slice(b"}\n");
        return;
    }
    for field in [TRAITS, CONTEXT, PROPERTIES] {
        let Some((_, col)) = cols.iter().find(|(f, _)| *f == field) else { continue };
        let key = if field == PROPERTIES { "p" } else { FIELDS[field].key };
        write_field(out, start, field, key, col, row, spans.as_deref_mut());
    }
    out.extend_from_slice(b"}\n");
}

/// `{"c":"ID","e":"NAME","t":MS` as the scanner's compact head takes it (plain id and name, a
/// time of digits in range); false when the row does not fit it.
fn write_compact_head(cols: &[(usize, Col)], row: usize, out: &mut Vec<u8>, spans: Option<&mut Vec<Span>>) -> bool {
    let col = |field: usize| cols.iter().find(|(f, _)| *f == field).map(|(_, c)| c);
    let text = |field: usize| match col(field) {
        Some(Col::Text(t)) => t.get(row),
        _ => None,
    };
    // A plain string needs no escape, so its bytes are the JSON string's.
    let plain = |s: &str| !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    let (id_field, id) = match (text(USER_ID), text(ANONYMOUS_ID)) {
        (Some(id), _) => (USER_ID, id),
        (None, Some(id)) => (ANONYMOUS_ID, id),
        (None, None) => return false,
    };
    let (Some(name), Some(Col::Time(time))) = (text(EVENT), col(TIMESTAMP)) else { return false };
    let Some(ms) = time.epoch_ms(row).filter(|ms| (0..=kairos::context::MAX_MS).contains(ms)) else { return false };
    if !plain(id) || !plain(name) {
        return false;
    }
    let start = out.len();
    // Each value's place in the line, quotes included (as a located error reports it).
    let quoted = |out: &mut Vec<u8>, lead: &[u8], value: &str| {
        out.extend_from_slice(lead);
        let from = out.len() - start;
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
        from..out.len() - start
    };
    let id_range = quoted(out, b"{\"c\":", id);
    let name_range = quoted(out, b",\"e\":", name);
    out.extend_from_slice(b",\"t\":");
    let t_from = out.len() - start;
    let _ = write!(out, "{ms}");
    if let Some(spans) = spans {
        spans.push(Span { field: id_field, range: id_range });
        spans.push(Span { field: EVENT, range: name_range });
        spans.push(Span { field: TIMESTAMP, range: t_from..out.len() - start });
    }
    true
}

/// `,"KEY":VALUE` (no comma first in an empty object), nothing for a null.
fn write_field(
    out: &mut Vec<u8>,
    start: usize,
    field: usize,
    key: &str,
    col: &Col,
    row: usize,
    spans: Option<&mut Vec<Span>>,
) {
    let mark = out.len();
    if out.len() > start + 1 {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    let value = out.len();
    let written = match col {
        Col::Text(t) => t.get(row).map(|s| json_str(out, s)).is_some(),
        // Empty text is no JSON at all: read as absent, as warehouses write it for "none".
        Col::Json(t) => match t.get(row).filter(|s| !s.trim().is_empty()) {
            // A line break inside would end the line: `\r` is whitespace between JSON tokens
            // as `\n` is, and still refused inside a string.
            Some(s) if s.contains('\n') => {
                out.extend(s.bytes().map(|b| if b == b'\n' { b'\r' } else { b }));
                true
            }
            Some(s) => {
                out.extend_from_slice(s.as_bytes());
                true
            }
            None => false,
        },
        Col::Time(t) => t.write(row, out),
    };
    if !written {
        out.truncate(mark);
    } else if let Some(spans) = spans {
        spans.push(Span { field, range: value - start..out.len() - start });
    }
}
