//! Columnar event logs: Parquet files and Arrow IPC streams in the layout warehouse exports and
//! analytics data-lake syncs write (one row per call, docs/replay.md#parquet), read as the NDJSON
//! lines [`Replay::read`](crate::Replay::read) already takes, and Parquet written from
//! `kairos gen`'s track-shape lines.
//!
//! Each row becomes one line (compact when it has an event name, an id and an instant, else an
//! analytics `track`-shape line), so a replay of a Parquet log and of the NDJSON log it came from
//! give the same report by construction, and the replay's line N is row N (1-based, over the
//! whole file). The cost is the transcoding: every row is written out as JSON text and scanned
//! again.
//!
//! Here: [`ColumnError`] and the entry points. `guard` turns the readers' panics into errors,
//! `checks` tests what a Parquet footer promises before any row is read, `layout` checks a
//! schema and finds the columns, `columns` types a batch's columns, `lines` turns record batches
//! into lines, `parquet_file` opens Parquet files (and finds the column a row's error is in),
//! `write` writes Parquet from NDJSON.

mod checks;
mod columns;
mod guard;
mod layout;
mod lines;
mod parquet_file;
#[cfg(test)]
mod tests;
mod write;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use guard::{guarded, Guarded};
use std::fmt;
use std::io::{self, Read};

pub use lines::BatchLines;
pub use parquet_file::{locate_in_parquet, parquet_bytes_lines, parquet_lines, RowPlace};
pub use write::{write_parquet, ParquetSink};

/// A columnar log that cannot be read or written: a column missing or of the wrong type (named
/// in `column`), or a file that is not valid. Checked before any row is read where it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnError {
    /// The column the problem is about, as named in the file (or as documented when missing).
    pub column: Option<String>,
    /// The whole message, location included (what `Display` prints).
    pub message: String,
}

impl ColumnError {
    /// A problem with the whole input, or with a row (`message` says where).
    pub(crate) fn input(message: impl Into<String>) -> ColumnError {
        ColumnError { column: None, message: message.into() }
    }

    /// A problem with one column: `column `NAME`: what`.
    pub(crate) fn column(name: &str, what: impl fmt::Display) -> ColumnError {
        ColumnError { column: Some(name.to_owned()), message: format!("column `{name}`: {what}") }
    }
}

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ColumnError {}

/// NDJSON lines, one per row, from Arrow record batches in the layout of docs/replay.md#parquet.
/// The schema is checked before any row is read; a batch that cannot be decoded (or does not
/// match the schema) is an [`std::io::Error`] of kind `InvalidData` carrying a [`ColumnError`].
pub fn batch_lines<I: Iterator<Item = Result<RecordBatch, ArrowError>>>(
    schema: SchemaRef,
    batches: I,
) -> Result<BatchLines<I>, ColumnError> {
    Ok(BatchLines::new(layout::Layout::of(&schema)?, batches))
}

/// NDJSON lines from an Arrow IPC *stream* (`pyarrow.ipc.new_stream`; not the file format).
///
/// For streams one produced: arrow-ipc allocates each message's declared length before reading
/// it. The first message's length is checked here, so that bytes which are not a stream at all
/// are refused without allocating what they seem to declare.
pub fn ipc_stream_lines<R: Read>(mut stream: R) -> Result<impl Read, ColumnError> {
    let mut head = Vec::with_capacity(8);
    (&mut stream)
        .take(8)
        .read_to_end(&mut head)
        .map_err(|e| ColumnError::input(format!("reading the Arrow IPC stream: {e}")))?;
    if !starts_like_ipc_stream(&head) {
        return Err(ColumnError::input("not an Arrow IPC stream: it does not start with a schema message"));
    }
    let not_ipc = |e: String| ColumnError::input(format!("not an Arrow IPC stream: {e}"));
    let input = io::Cursor::new(head).chain(stream);
    let reader = guarded(|| arrow_ipc::reader::StreamReader::try_new_buffered(input, None))
        .map_err(not_ipc)?
        .map_err(|e| not_ipc(e.to_string()))?;
    batch_lines(reader.schema(), Guarded::new(reader))
}

/// Whether `head` (8 bytes) opens an IPC message of a plausible length: the continuation
/// marker then the metadata length, or (before Arrow 0.15) the length alone.
fn starts_like_ipc_stream(head: &[u8]) -> bool {
    /// Generous for a schema: 4,096 columns with long names and metadata fit many times over.
    const MAX_SCHEMA_BYTES: i32 = 16 << 20;
    let len = |b: &[u8]| b.try_into().map(i32::from_le_bytes).unwrap_or(0);
    let meta = match head {
        [0xff, 0xff, 0xff, 0xff, rest @ ..] => len(rest),
        _ => len(head.get(..4).unwrap_or_default()),
    };
    head.len() == 8 && meta > 0 && meta <= MAX_SCHEMA_BYTES
}

/// Whether `head` (the first bytes of a file) starts like a Parquet file (`PAR1`).
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(b"PAR1")
}
