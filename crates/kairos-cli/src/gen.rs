//! `kairos gen`: a synthetic event log (NDJSON, sorted by time, deterministic for a seed).

use crate::args::flag;
use kairos_replay::gen::{generate, GenOptions, Shape, DEFAULT_START_MS};
use std::io::{BufWriter, Write};

pub fn run(rest: &[String]) -> Result<String, String> {
    let number = |name: &str, default: Option<u64>| -> Result<u64, String> {
        match flag(rest, &[name])? {
            Some(v) => v.parse().map_err(|_| format!("{name}: `{v}` is not a whole number")),
            None => default.ok_or_else(|| format!("gen needs {name} N")),
        }
    };
    let customers = number("--customers", None)?;
    let days = number("--days", None)?;
    let seed = number("--seed", Some(1))?;
    let customers = u32::try_from(customers).map_err(|_| "--customers: at most 4294967295".to_string())?;
    let days = u32::try_from(days).ok().filter(|d| *d <= 3660).ok_or("--days: at most 3660")?;
    let start_ms = match flag(rest, &["--start"])? {
        Some(t) => kairos::time::parse_timestamp(t).map_err(|e| format!("--start: {e}"))?,
        None => DEFAULT_START_MS,
    };
    let shape = match flag(rest, &["--shape"])?.unwrap_or("compact") {
        "compact" => Shape::Compact,
        "track" => Shape::Track,
        other => return Err(format!("--shape: `{other}`: expected compact or track")),
    };
    let opts = GenOptions { customers, days, seed, start_ms, shape };
    match flag(rest, &["-o", "--output"])? {
        Some(path) if path != "-" => {
            let file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
            let stats = generate(&opts, BufWriter::with_capacity(1 << 20, file)).map_err(|e| format!("{path}: {e}"))?;
            Ok(format!(
                "wrote {path}: {} lines ({} profile updates) from {} customers",
                stats.lines, stats.identifies, stats.customers
            ))
        }
        _ => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
            match generate(&opts, &mut out).and_then(|_| out.flush()) {
                Ok(()) => Ok(String::new()),
                // A closed pipe (`kairos gen … | head`) is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(String::new()),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}
