//! The event log `kairos replay` reads: NDJSON (a file, or `-` for standard input) or a Parquet
//! file, told apart by its first bytes (`PAR1`) or a `.parquet` name; and its errors, located by
//! line, or for Parquet by row and column.

use crate::error::{CliError, Result, E_COLUMN, E_EVENT_LOG, E_IO};
use kairos_replay::columnar::{is_parquet, locate_in_parquet, parquet_lines};
use kairos_replay::ReplayError;
use std::fs::File;
use std::io::{BufRead, Read, Seek};

/// What was opened, for placing errors.
pub struct Log {
    path: String,
    parquet: bool,
}

/// Opens the log at `path`: NDJSON lines as they are, Parquet rows as NDJSON lines (the replay's
/// line N is then row N).
pub fn open(path: &str) -> Result<(Log, Box<dyn Read>)> {
    let log = |parquet| Log { path: path.to_owned(), parquet };
    if path == "-" {
        let mut stdin = std::io::stdin().lock();
        if is_parquet(stdin.fill_buf().map_err(|e| CliError::io("stdin", &e))?) {
            return Err(CliError::new(
                E_COLUMN,
                "-: Parquet is read from a file (its footer first), not standard input",
            ));
        }
        return Ok((log(false), Box::new(stdin)));
    }
    let mut file = File::open(path).map_err(|e| CliError::io(path, &e))?;
    let mut head = Vec::with_capacity(4);
    (&mut file).take(4).read_to_end(&mut head).and_then(|_| file.rewind()).map_err(|e| CliError::io(path, &e))?;
    if !is_parquet(&head) && !path.ends_with(".parquet") {
        // Read in big chunks by the replay itself: no BufReader needed.
        return Ok((log(false), Box::new(file)));
    }
    let rows = parquet_lines(file).map_err(|e| CliError::new(E_COLUMN, format!("{path}: {e}")))?;
    Ok((log(true), Box::new(rows)))
}

impl Log {
    /// The replay's error, coded and placed: `line N, column C` in NDJSON; `row N, column
    /// `NAME`` in Parquet (the column found by reading that row again).
    pub fn error(&self, e: &ReplayError) -> CliError {
        let path = &self.path;
        match (e.line, self.parquet) {
            // The input could not be read further: I/O, or a Parquet page that does not decode.
            (0, false) => CliError::new(E_IO, format!("{path}: {e}")),
            (0, true) => CliError::new(E_COLUMN, format!("{path}: {e}")),
            (_, false) => CliError::new(E_EVENT_LOG, format!("{path}: {e}")),
            (row, true) => {
                let place = File::open(path).ok().and_then(|f| locate_in_parquet(f, row, e.column));
                let at = place.map_or_else(|| format!("row {row}"), |p| format!("row {row}, {p}"));
                CliError::new(E_EVENT_LOG, format!("{path}: {at}: {}", e.message))
            }
        }
    }
}
