//! Where a replay's events come from: NDJSON bytes, a file (NDJSON or Parquet, told by its first
//! bytes), or an Arrow IPC stream that Python hands over chunk by chunk (pyarrow tables and
//! batches: python/kairos/__init__.py). Columnar input becomes NDJSON lines through
//! `kairos_replay::columnar`, so every source is replayed by the same reader as the CLI's.
//!
//! Reading runs with the GIL released; the chunk reader takes it back for each chunk. A Python
//! exception raised while pulling chunks, or a column error raised while converting, is kept in
//! a [`Stash`] and reported as itself rather than as the I/O error the replay saw.

use crate::error::Failure;
use kairos::ErrorCode;
use kairos_replay::columnar::{self, ColumnError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyIterator;
use std::io::{self, Read, Seek};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A replay's events.
pub enum Events {
    /// NDJSON text, one event a line.
    Ndjson(PyBackedBytes),
    /// A file of NDJSON lines or a Parquet file.
    File(PathBuf),
    /// An iterator of `bytes`: one Arrow IPC stream, in pieces.
    ArrowChunks(Py<PyIterator>),
}

/// What went wrong below the replay's reader, kept to be reported as it was.
#[derive(Default, Clone)]
pub struct Stash(Arc<Mutex<Option<Stashed>>>);

pub enum Stashed {
    Python(PyErr),
    Column(ColumnError),
}

impl Stash {
    fn put(&self, what: Stashed) {
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert(what);
        }
    }

    /// What was kept, as the error to raise.
    pub fn take(&self) -> Option<PyErr> {
        let kept = self.0.lock().ok()?.take()?;
        Some(match kept {
            Stashed::Python(e) => e,
            Stashed::Column(e) => column_failure(&e).into(),
        })
    }
}

/// A columnar input that cannot be read: E_COLUMN, with the column at fault as `path`.
pub fn column_failure(e: &ColumnError) -> Failure {
    let mut failure = Failure::new(ErrorCode::Column, e.to_string());
    failure.path = e.column.clone();
    failure
}

/// Bytes pulled from a Python iterator of `bytes`, one item at a time.
struct PyChunks {
    items: Py<PyIterator>,
    chunk: Option<PyBackedBytes>,
    at: usize,
    stash: Stash,
}

impl Read for PyChunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(chunk) = &self.chunk {
                let rest = chunk.get(self.at..).unwrap_or_default();
                if !rest.is_empty() {
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    self.at += n;
                    return Ok(n);
                }
            }
            let next = Python::attach(|py| match self.items.bind(py).clone().next() {
                None => Ok(None),
                Some(item) => item.and_then(|b| b.extract::<PyBackedBytes>().map_err(PyErr::from)).map(Some),
            });
            match next {
                Ok(None) => return Ok(0),
                Ok(Some(chunk)) => (self.chunk, self.at) = (Some(chunk), 0),
                Err(e) => {
                    let message = Python::attach(|py| e.value(py).to_string());
                    self.stash.put(Stashed::Python(e));
                    return Err(io::Error::other(message));
                }
            }
        }
    }
}

/// NDJSON lines made from columns, watched: a column error in the stream is stashed, and the
/// last lines are kept so that an error on line N can show that line (the caller's rows have
/// no line numbers of their own).
struct Watched<R> {
    lines: R,
    stash: Stash,
    recent: Recent,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.lines.read(buf) {
            Ok(n) => {
                self.recent.push(&buf[..n]);
                Ok(n)
            }
            Err(e) => {
                if let Some(column) = e.get_ref().and_then(|inner| inner.downcast_ref::<ColumnError>()) {
                    self.stash.put(Stashed::Column(ColumnError {
                        column: column.column.clone(),
                        message: column.message.clone(),
                    }));
                }
                Err(e)
            }
        }
    }
}

/// The last bytes read (at least [`Recent::KEEP`]: more than the replay's 1 MiB chunks of
/// lines), and how many lines came before them.
#[derive(Default, Clone)]
pub struct Recent(Arc<Mutex<RecentBytes>>);

#[derive(Default)]
struct RecentBytes {
    bytes: Vec<u8>,
    lines_before: u64,
}

impl Recent {
    const KEEP: usize = 4 << 20;

    fn push(&self, data: &[u8]) {
        let Ok(mut r) = self.0.lock() else { return };
        r.bytes.extend_from_slice(data);
        if r.bytes.len() > 2 * Self::KEEP {
            let drop = r.bytes.len() - Self::KEEP;
            let newlines = r.bytes[..drop].iter().filter(|&&b| b == b'\n').count() as u64;
            r.lines_before += newlines;
            r.bytes.drain(..drop);
        }
    }

    /// Line `n` (1-based), if it is still held and was read whole.
    pub fn line(&self, n: u64) -> Option<String> {
        let r = self.0.lock().ok()?;
        let skip = usize::try_from(n.checked_sub(r.lines_before + 1)?).ok()?;
        let line = r.bytes.split(|&b| b == b'\n').nth(skip)?;
        Some(String::from_utf8_lossy(line).into_owned())
    }
}

/// The opened events: something to read NDJSON lines from, and what its lines are.
pub struct Opened {
    pub lines: Box<dyn Read + Send>,
    pub kind: Lines,
}

/// What the replay's line numbers count.
pub enum Lines {
    /// The caller's own lines.
    Ndjson,
    /// Rows of this Parquet file (line N is row N), which can be read again to name a column.
    ParquetRows(PathBuf),
    /// Rows of Arrow batches, in the order given.
    ArrowRows,
}

/// Opens `events` for reading lines, as `kairos replay --events` does: a file is Parquet when
/// it starts with `PAR1` or its name ends with `.parquet`. Runs without the GIL.
pub fn open(events: Events, stash: &Stash, recent: &Recent) -> Result<Opened, Failure> {
    let watched = |lines: Box<dyn Read + Send>| -> Box<dyn Read + Send> {
        Box::new(Watched { lines, stash: stash.clone(), recent: recent.clone() })
    };
    match events {
        Events::Ndjson(bytes) => Ok(Opened { lines: Box::new(io::Cursor::new(bytes)), kind: Lines::Ndjson }),
        Events::File(path) => {
            let shown = path.display().to_string();
            let io_failure = |e: io::Error| Failure::new(ErrorCode::Io, format!("{shown}: {e}"));
            let mut file = std::fs::File::open(&path).map_err(io_failure)?;
            let mut head = [0u8; 4];
            let got = read_up_to(&mut file, &mut head).map_err(io_failure)?;
            file.rewind().map_err(io_failure)?;
            let named_parquet = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
            if !columnar::is_parquet(&head[..got]) && !named_parquet {
                // Read in big chunks by the replay itself: no BufReader needed.
                return Ok(Opened { lines: Box::new(file), kind: Lines::Ndjson });
            }
            let rows = columnar::parquet_lines(file).map_err(|e| located_in(&shown, column_failure(&e)))?;
            Ok(Opened { lines: watched(Box::new(rows)), kind: Lines::ParquetRows(path) })
        }
        Events::ArrowChunks(items) => {
            let chunks = PyChunks { items, chunk: None, at: 0, stash: stash.clone() };
            let rows = columnar::ipc_stream_lines(chunks).map_err(|e| column_failure(&e))?;
            Ok(Opened { lines: watched(Box::new(rows)), kind: Lines::ArrowRows })
        }
    }
}

/// `failure` prefixed with the file it is about.
pub fn located_in(file: &str, mut failure: Failure) -> Failure {
    failure.message = format!("{file}: {}", failure.message);
    failure
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
