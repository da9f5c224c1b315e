//! What the footer says, checked before any row is read: the codecs of the layout's columns,
//! and the size of the dictionaries that fixed-width columns start with. Both stop a damaged or
//! unreadable file by column, with a message, where the parquet reader would fail late or ask
//! for unbounded memory. And the input as parquet reads it ([`Shared`]), ending in an error.

use super::layout::Layout;
use super::ColumnError;
use bytes::Bytes;
use parquet::basic::{Compression, Type as Physical};
use parquet::column::page::{Page, PageReader};
use parquet::errors::Result as ParquetResult;
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::schema::types::SchemaDescriptor;
use std::io::{self, Read};
use std::sync::Arc;

/// The input, shared between the record batch reader and the checks here.
pub(super) struct Shared<R>(Arc<R>);

impl<R> Shared<R> {
    pub(super) fn new(input: R) -> Shared<R> {
        Shared(Arc::new(input))
    }
}

impl<R> Clone for Shared<R> {
    fn clone(&self) -> Shared<R> {
        Shared(Arc::clone(&self.0))
    }
}

impl<R: Length> Length for Shared<R> {
    fn len(&self) -> u64 {
        self.0.len()
    }
}

impl<R: ChunkReader> ChunkReader for Shared<R> {
    type T = EndIsError<R::T>;

    fn get_read(&self, start: u64) -> ParquetResult<EndIsError<R::T>> {
        self.0.get_read(start).map(EndIsError)
    }

    fn get_bytes(&self, start: u64, length: usize) -> ParquetResult<Bytes> {
        self.0.get_bytes(start, length)
    }
}

/// A reader whose end is an error rather than a read of 0 bytes. The parquet crate's Thrift
/// reader skips a page header's unknown fields with `io::copy`, which takes an early end for
/// success: a damaged header declaring a list of a billion elements past the end of the input
/// was skipped element by element for minutes (found by fuzzing). Every read parquet asks of a
/// valid file lies inside it, so nothing valid meets this error.
pub(super) struct EndIsError<T>(T);

impl<T: Read> Read for EndIsError<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf)? {
            0 if !buf.is_empty() => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "past the end of the file")),
            n => Ok(n),
        }
    }
}

/// The layout's column chunks, with the name the file gives each column.
fn layout_chunks<'a>(
    row_groups: &'a [RowGroupMetaData],
    schema: &'a SchemaDescriptor,
    layout: &'a Layout,
) -> impl Iterator<Item = (&'a RowGroupMetaData, &'a parquet::file::metadata::ColumnChunkMetaData, &'a str)> {
    row_groups.iter().flat_map(move |group| {
        group.columns().iter().enumerate().filter_map(move |(leaf, chunk)| {
            let root = (leaf < schema.num_columns()).then(|| schema.get_column_root_idx(leaf))?;
            let found = layout.found.iter().flatten().find(|f| f.index == root)?;
            Some((group, chunk, found.name.as_str()))
        })
    })
}

/// Refuses a column of the layout compressed with a codec this build leaves out (only Snappy is
/// built in: the others need C libraries or cost build time).
pub(super) fn check_codecs(
    row_groups: &[RowGroupMetaData],
    schema: &SchemaDescriptor,
    layout: &Layout,
) -> Result<(), ColumnError> {
    for (_, chunk, name) in layout_chunks(row_groups, schema, layout) {
        let codec = match chunk.compression() {
            Compression::UNCOMPRESSED | Compression::SNAPPY => continue,
            Compression::GZIP(_) => "gzip",
            Compression::LZO => "LZO",
            Compression::BROTLI(_) => "Brotli",
            Compression::LZ4 | Compression::LZ4_RAW => "LZ4",
            Compression::ZSTD(_) => "zstd",
        };
        return Err(ColumnError::column(
            name,
            format!("compressed with {codec}; kairos reads Snappy or uncompressed Parquet"),
        ));
    }
    Ok(())
}

/// Refuses a fixed-width column (the time: INT64, INT96) whose dictionary page declares more
/// values than its bytes hold. The parquet reader makes room for the declared count before
/// reading: a damaged count asked for gigabytes (found by fuzzing). Only the first page of each
/// such chunk is read; text columns' dictionaries grow as they are read and need no check.
pub(super) fn check_dictionaries<R: ChunkReader + 'static>(
    input: &Shared<R>,
    row_groups: &[RowGroupMetaData],
    schema: &SchemaDescriptor,
    layout: &Layout,
) -> Result<(), ColumnError> {
    for (group, chunk, name) in layout_chunks(row_groups, schema, layout) {
        let width: u64 = match chunk.column_type() {
            Physical::INT32 | Physical::FLOAT => 4,
            Physical::INT64 | Physical::DOUBLE => 8,
            Physical::INT96 => 12,
            _ => continue,
        };
        let damaged = |e: parquet::errors::ParquetError| ColumnError::column(name, format!("a damaged page: {e}"));
        let rows = usize::try_from(group.num_rows()).unwrap_or(0);
        let mut pages = SerializedPageReader::new(Arc::new(input.clone()), chunk, rows, None).map_err(damaged)?;
        if let Some(Page::DictionaryPage { buf, num_values, .. }) = pages.get_next_page().map_err(damaged)? {
            if u64::from(num_values) * width > buf.len() as u64 {
                return Err(ColumnError::column(
                    name,
                    format!("a damaged dictionary page: {num_values} values declared in {} bytes", buf.len()),
                ));
            }
        }
    }
    Ok(())
}
