//! Reading files, and the value parsers clap uses beyond `kairos::time`'s, shared by every
//! subcommand. A value that fails to parse is a usage error (exit 2) naming the flag.

use crate::error::{CliError, Result, E_UTF8};
use std::io::Read;

/// The bytes of `path`, or of standard input for `-`.
pub fn read(path: &str) -> Result<Vec<u8>> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| CliError::io("stdin", &e))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| CliError::io(path, &e))
}

pub fn read_text(path: &str) -> Result<String> {
    String::from_utf8(read(path)?).map_err(|_| CliError::new(E_UTF8, format!("{path}: not UTF-8 text")))
}

pub fn write(path: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| CliError::io(path, &e))
}

/// Only one input can come from standard input.
pub fn one_stdin(a: (&str, &str), b: (&str, &str)) -> Result<()> {
    if a.1 == "-" && b.1 == "-" {
        return Err(CliError::usage(format!("only one of {} and {} can read stdin", a.0, b.0)));
    }
    Ok(())
}

/// A duration that must not be zero (a replay step, a lookback, a session timeout), in ms.
pub fn positive_duration(s: &str) -> Result<i64, String> {
    match kairos::time::parse_duration(s).map_err(|e| e.to_string())? {
        0 => Err("must be longer than 0".into()),
        d => Ok(d),
    }
}

/// A customer id plain enough for a cookie value and a KV key.
pub fn customer_id(s: &str) -> Result<String, String> {
    if kairos_edge::identity::sane_id(s) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "ids are ASCII letters, digits and -_:@, at most {} bytes",
            kairos_edge::identity::MAX_CUSTOMER_ID_BYTES
        ))
    }
}
