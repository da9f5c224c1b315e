//! Parquet files opened for reading: the schema checked from the footer before any row is read,
//! only the layout's columns decoded (a wide export's other columns cost nothing), a batch of
//! [`BATCH_ROWS`] rows at a time; and the column a replay error is in, from the row read again.

use super::checks::{check_codecs, check_dictionaries, Shared};
use super::guard::{guarded, Guarded};
use super::layout::{Kind, Layout, FIELDS};
use super::lines::{BatchLines, Span};
use super::{batch_lines, ColumnError};
use arrow_array::RecordBatchReader;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::reader::ChunkReader;
use std::fmt;
use std::fs::File;
use std::io::Read;

/// Rows decoded at a time: one batch of the layout's columns is held, never the file.
const BATCH_ROWS: usize = 8192;

/// NDJSON lines, one per row, from a Parquet file in the layout of docs/replay.md#parquet.
pub fn parquet_lines(file: File) -> Result<impl Read, ColumnError> {
    open(file, None)
}

/// [`parquet_lines`] over a whole file already in memory.
pub fn parquet_bytes_lines(bytes: Vec<u8>) -> Result<impl Read, ColumnError> {
    open(bytes::Bytes::from(bytes), None)
}

/// Where in a row a replay error is: the column (as the file names it) and, for JSON text
/// columns, the 1-based character of that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPlace {
    pub column: String,
    pub offset: Option<usize>,
}

impl fmt::Display for RowPlace {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "column `{}`", self.column)?;
        match self.offset {
            Some(n) => write!(f, ", character {n}"),
            None => Ok(()),
        }
    }
}

/// The column that a replay error at `line` (the row) and `column` (a character of that row's
/// line) is about, by reading that row again (only its pages are decoded). `None` when the error
/// is about the whole row, or the file cannot be read again.
pub fn locate_in_parquet(file: File, row: u64, column: usize) -> Option<RowPlace> {
    let skip = usize::try_from(row.checked_sub(1)?).ok()?;
    let mut lines = open(file, Some(skip)).ok()?;
    let (mut line, mut spans) = (Vec::new(), Vec::new());
    if !lines.next_line(&mut line, &mut spans).ok()? {
        return None;
    }
    let text = std::str::from_utf8(&line).ok()?;
    let at = text.char_indices().nth(column.checked_sub(1)?)?.0;
    // The value that began last before the error: JSON text that ends early or late is noticed
    // just after it.
    let Span { field, range } = spans.into_iter().rev().find(|s| s.range.start <= at)?;
    let name = lines.column_name(field)?.to_owned();
    let offset =
        (FIELDS[field].kind == Kind::Json).then(|| text.get(range.start..at).map_or(1, |s| s.chars().count() + 1));
    Some(RowPlace { column: name, offset })
}

/// Opens `input` (from row `skip`, then one row only, when given).
fn open<R: ChunkReader + 'static>(
    input: R,
    skip: Option<usize>,
) -> Result<BatchLines<Guarded<ParquetRecordBatchReader>>, ColumnError> {
    let not_parquet = |e: String| ColumnError::input(format!("not a readable Parquet file: {e}"));
    // The footer is read here, and the first pages by `build`: both under the guard.
    let reader = guarded(|| -> Result<_, ColumnError> {
        // The Arrow schema a writer may embed (`ARROW:schema`) is not read: decoding it can panic
        // on a damaged file (a type of NONE did, found by fuzzing), and the Parquet schema alone
        // gives types the layout accepts (strings as Utf8, instants as Timestamp).
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let input = Shared::new(input);
        let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(input.clone(), options)
            .map_err(|e| not_parquet(e.to_string()))?;
        let layout = Layout::of(builder.schema())?;
        check_codecs(builder.metadata().row_groups(), builder.parquet_schema(), &layout)?;
        check_dictionaries(&input, builder.metadata().row_groups(), builder.parquet_schema(), &layout)?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), layout.indices());
        let mut builder = builder.with_projection(mask).with_batch_size(BATCH_ROWS);
        if let Some(skip) = skip {
            builder = builder.with_offset(skip).with_limit(1);
        }
        builder.build().map_err(|e| not_parquet(e.to_string()))
    })
    .map_err(not_parquet)??;
    batch_lines(reader.schema(), Guarded::new(reader))
}
