//! `kairos gen`: a synthetic event log (NDJSON, sorted by time, deterministic for a seed).

use crate::args::read;
use crate::cli::{GenArgs, ShapeArg};
use crate::error::{CliError, Result, E_USAGE};
use kairos_replay::gen::experiment::{generate_experiment, ExperimentError, ExperimentOptions};
use kairos_replay::gen::{generate, GenOptions, Shape, DEFAULT_START_MS};
use std::io::{BufWriter, Write};

pub fn run(args: GenArgs) -> Result<String> {
    if args.exposures {
        return exposures(&args);
    }
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

/// `--exposures`: exposures and conversions whose true lift is known (docs/measurement.md).
fn exposures(args: &GenArgs) -> Result<String> {
    let bundle = args.bundle.as_deref().unwrap_or_default();
    let engine = crate::load::rules_or_bundle(bundle, &read(bundle)?)?;
    let opts = ExperimentOptions {
        visitors: args.customers,
        days: args.days,
        seed: args.seed,
        start_ms: args.start.unwrap_or(DEFAULT_START_MS),
        base_rate: args.base_rate.unwrap_or(0.05),
        lift: args.lift.unwrap_or(0.01),
        holdout_share: args.holdout_share,
        conversion: args.conversion.clone().unwrap_or_else(|| "Order Completed".into()),
        value_mean: args.value_mean,
    };
    let failed = |path: &str, e: ExperimentError| match e {
        ExperimentError::Invalid(why) => CliError::new(E_USAGE, why),
        ExperimentError::Io(e) => CliError::io(path, &e),
    };
    match args.output.as_deref() {
        Some(path) if path != "-" => {
            let file = std::fs::File::create(path).map_err(|e| CliError::io(path, &e))?;
            let stats = generate_experiment(&engine, &opts, BufWriter::with_capacity(1 << 20, file))
                .map_err(|e| failed(path, e))?;
            let truth = opts.truth();
            Ok(format!(
                "wrote {path}: {} lines, {} visitors ({} in the holdout), {} exposures, {} conversions; true lift {:+.2} pts ({:+.1}%)",
                stats.lines,
                stats.visitors,
                stats.holdout,
                stats.exposures,
                stats.conversions,
                truth.lift_abs * 100.0,
                truth.lift_rel * 100.0
            ))
        }
        _ => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
            match generate_experiment(&engine, &opts, &mut out) {
                Ok(_) => Ok(String::new()),
                Err(ExperimentError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(String::new()),
                Err(e) => Err(failed("stdout", e)),
            }
        }
    }
}
