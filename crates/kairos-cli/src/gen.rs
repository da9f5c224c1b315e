//! `kairos gen`: a synthetic event log (NDJSON, sorted by time, deterministic for a seed).

use crate::cli::{GenArgs, ShapeArg};
use crate::error::{CliError, Result};
use kairos_replay::gen::{generate, GenOptions, Shape, DEFAULT_START_MS};
use std::io::{BufWriter, Write};

pub fn run(args: GenArgs) -> Result<String> {
    let shape = match args.shape {
        ShapeArg::Compact => Shape::Compact,
        ShapeArg::Track => Shape::Track,
    };
    let opts = GenOptions {
        customers: args.customers,
        days: args.days,
        seed: args.seed,
        start_ms: args.start.unwrap_or(DEFAULT_START_MS),
        shape,
    };
    match args.output.as_deref() {
        Some(path) if path != "-" => {
            let file = std::fs::File::create(path).map_err(|e| CliError::io(path, &e))?;
            let stats = generate(&opts, BufWriter::with_capacity(1 << 20, file)).map_err(|e| CliError::io(path, &e))?;
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
                Err(e) => Err(CliError::io("stdout", &e)),
            }
        }
    }
}
