//! Parquet written from track-shape NDJSON (`kairos gen --format parquet`), in the layout the
//! reader takes: `timestamp` as Timestamp(ms, "UTC"), the ids, `type` and `event` as text,
//! `properties`, `traits` and `context` as their JSON text, unchanged. Snappy, row groups of
//! [`ROW_GROUP_ROWS`] rows, built [`BATCH_ROWS`] rows at a time.

use super::ColumnError;
use crate::state::MAX_LINE_BYTES;
use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;

/// Rows per row group: big enough for good compression, small enough to hold while writing.
const ROW_GROUP_ROWS: usize = 128 * 1024;
/// Rows gathered before they are handed to the Parquet writer.
const BATCH_ROWS: usize = 8192;

/// Writes track-shape NDJSON lines (`{"type", "userId", "anonymousId", "event", "timestamp",
/// "properties", "traits", "context"}`; other keys ignored) to `out` as Parquet; returns the rows
/// written. A line that is not such an object is an error naming its line.
pub fn write_parquet<W: Write + Send>(mut ndjson: impl BufRead, out: W) -> Result<u64, ColumnError> {
    let mut sink = ParquetSink::new(out)?;
    let mut line = Vec::new();
    loop {
        line.clear();
        let limit = MAX_LINE_BYTES as u64 + 1;
        let n = (&mut ndjson)
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(|e| ColumnError::input(format!("reading line {}: {e}", sink.line + 1)))?;
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if n as u64 == limit {
            return Err(sink.long_line());
        }
        sink.line(&line)?;
    }
    sink.finish()
}

/// Parquet written line by line, as a [`Write`]r of NDJSON (what `kairos gen` writes to):
/// complete lines become rows; [`ParquetSink::finish`] writes the rest and the footer. A line
/// that cannot be read is an [`io::Error`] of kind `InvalidData` carrying a [`ColumnError`].
pub struct ParquetSink<W: Write + Send> {
    writer: ArrowWriter<W>,
    cols: Columns,
    /// The unfinished last line given to `write`.
    pending: Vec<u8>,
    /// Lines read, blank ones included (for errors).
    line: u64,
    rows: u64,
}

impl<W: Write + Send> ParquetSink<W> {
    pub fn new(out: W) -> Result<ParquetSink<W>, ColumnError> {
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ArrowWriter::try_new(out, schema(), Some(props)).map_err(writing)?;
        Ok(ParquetSink { writer, cols: Columns::default(), pending: Vec::new(), line: 0, rows: 0 })
    }

    /// Adds one line (without its line break); blank lines are skipped.
    fn line(&mut self, line: &[u8]) -> Result<(), ColumnError> {
        self.line += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let at = |e: String| ColumnError::input(format!("line {}: {e}", self.line));
        let row: TrackLine = serde_json::from_slice(line).map_err(|e| at(e.to_string()))?;
        if row.timestamp.is_none() || (row.user_id.is_none() && row.anonymous_id.is_none()) {
            return Err(at("not a track-shape line: it needs `timestamp` and `userId` or `anonymousId` \
                (`kairos gen --shape track` writes them)"
                .into()));
        }
        let ms = row.timestamp.map(epoch_ms).transpose().map_err(at)?;
        self.cols.push(&row, ms);
        self.rows += 1;
        if self.cols.rows == BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<(), ColumnError> {
        if self.cols.rows > 0 {
            let batch = self.cols.finish().map_err(|e| ColumnError::input(format!("building a batch: {e}")))?;
            self.writer.write(&batch).map_err(writing)?;
        }
        Ok(())
    }

    fn long_line(&self) -> ColumnError {
        ColumnError::input(format!("line {}: longer than {MAX_LINE_BYTES} bytes", self.line + 1))
    }

    /// Writes the last line (if it had no line break), the last row group and the footer, and
    /// flushes `out`; returns the rows written.
    pub fn finish(mut self) -> Result<u64, ColumnError> {
        if !self.pending.is_empty() {
            let last = std::mem::take(&mut self.pending);
            self.line(&last)?;
        }
        self.flush_batch()?;
        let mut out = self.writer.into_inner().map_err(writing)?;
        out.flush().map_err(|e| writing(e.into()))?;
        Ok(self.rows)
    }
}

impl<W: Write + Send> Write for ParquetSink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let invalid = |e: ColumnError| io::Error::new(io::ErrorKind::InvalidData, e);
        let mut rest = buf;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(nl);
            if self.pending.is_empty() {
                self.line(line).map_err(invalid)?;
            } else {
                self.pending.extend_from_slice(line);
                let whole = std::mem::take(&mut self.pending);
                self.line(&whole).map_err(invalid)?;
            }
            rest = &after[1..];
        }
        if self.pending.len() + rest.len() > MAX_LINE_BYTES {
            return Err(invalid(self.long_line()));
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }

    /// Nothing to do: row groups are written as they fill, the rest by `finish`.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn writing(e: parquet::errors::ParquetError) -> ColumnError {
    ColumnError::input(format!("writing Parquet: {e}"))
}

/// The columns written, as [`super::layout::FIELDS`] names them.
fn schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), true),
        text("type"),
        text("event"),
        text("user_id"),
        text("anonymous_id"),
        text("properties"),
        text("traits"),
        text("context"),
    ]))
}

/// One track-shape line, borrowing from it where it can.
#[derive(Deserialize)]
struct TrackLine<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(rename = "userId", alias = "user_id", borrow)]
    user_id: Option<Cow<'a, str>>,
    #[serde(rename = "anonymousId", alias = "anonymous_id", borrow)]
    anonymous_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    properties: Option<&'a RawValue>,
    #[serde(borrow)]
    traits: Option<&'a RawValue>,
    #[serde(borrow)]
    context: Option<&'a RawValue>,
}

/// A line's time: epoch ms, or RFC 3339 text.
fn epoch_ms(raw: &RawValue) -> Result<i64, String> {
    let text = raw.get();
    if text.starts_with('"') {
        let s: Cow<str> = serde_json::from_str(text).map_err(|e| format!("timestamp: {e}"))?;
        kairos::time::parse_timestamp(&s).map_err(|e| format!("timestamp: {e}"))
    } else {
        text.parse().map_err(|_| format!("timestamp: expected epoch ms or RFC 3339 text, found {text}"))
    }
}

/// The rows gathered for the next batch.
struct Columns {
    timestamp: TimestampMillisecondBuilder,
    text: [StringBuilder; 7],
    rows: usize,
}

impl Default for Columns {
    fn default() -> Columns {
        Columns {
            timestamp: TimestampMillisecondBuilder::with_capacity(BATCH_ROWS).with_timezone("UTC"),
            text: Default::default(),
            rows: 0,
        }
    }
}

impl Columns {
    fn push(&mut self, row: &TrackLine, ms: Option<i64>) {
        self.timestamp.append_option(ms);
        fn json(v: Option<&RawValue>) -> Option<&str> {
            v.map(RawValue::get)
        }
        let values = [
            row.kind.as_deref(),
            row.event.as_deref(),
            row.user_id.as_deref(),
            row.anonymous_id.as_deref(),
            json(row.properties),
            json(row.traits),
            json(row.context),
        ];
        for (col, v) in self.text.iter_mut().zip(values) {
            col.append_option(v);
        }
        self.rows += 1;
    }

    /// The rows gathered as a batch; the builders start again empty.
    fn finish(&mut self) -> Result<RecordBatch, arrow_schema::ArrowError> {
        let mut cols: Vec<ArrayRef> = vec![Arc::new(self.timestamp.finish())];
        cols.extend(self.text.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        self.rows = 0;
        RecordBatch::try_new(schema(), cols)
    }
}
