//! `kairos gen`: a synthetic event log (NDJSON or Parquet, sorted by time, deterministic for a
//! seed).

use crate::args::read;
use crate::cli::{GenArgs, GenFormat, ShapeArg};
use crate::error::{CliError, Result, E_IO, E_USAGE};
use kairos_replay::columnar::ParquetSink;
use kairos_replay::gen::experiment::{generate_experiment, ExperimentError, ExperimentOptions};
use kairos_replay::gen::{generate, GenOptions, Shape, DEFAULT_START_MS};
use std::io::{BufWriter, Write};

pub fn run(args: GenArgs) -> Result<String> {
    let parquet = args.format == GenFormat::Parquet;
    if args.exposures {
        if parquet {
            return Err(CliError::usage(
                "--exposures writes NDJSON (what `kairos lift` reads): leave out --format parquet",
            ));
        }
        return exposures(&args);
    }
    let shape = match (args.shape, parquet) {
        (Some(ShapeArg::Compact), true) => {
            return Err(CliError::usage("--format parquet writes the track layout: leave out --shape compact"));
        }
        (Some(ShapeArg::Track), _) | (None, true) => Shape::Track,
        (Some(ShapeArg::Compact) | None, false) => Shape::Compact,
    };
    let opts = GenOptions {
        customers: args.customers,
        days: args.days,
        seed: args.seed,
        start_ms: args.start.unwrap_or(DEFAULT_START_MS),
        shape,
    };
    if parquet {
        return write_parquet(&opts, args.output.as_deref());
    }
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

/// `--format parquet`: the track-shape lines as rows, streamed into the file (docs/replay.md#parquet).
fn write_parquet(opts: &GenOptions, output: Option<&str>) -> Result<String> {
    let Some(path) = output.filter(|&p| p != "-") else {
        return Err(CliError::usage("--format parquet needs -o FILE (a Parquet file ends with its footer)"));
    };
    let failed = |e: kairos_replay::columnar::ColumnError| CliError::new(E_IO, format!("{path}: {e}"));
    let file = std::fs::File::create(path).map_err(|e| CliError::io(path, &e))?;
    let mut sink = ParquetSink::new(BufWriter::with_capacity(1 << 20, file)).map_err(failed)?;
    let stats = generate(opts, &mut sink).map_err(|e| CliError::io(path, &e))?;
    let rows = sink.finish().map_err(failed)?;
    Ok(format!("wrote {path}: {rows} rows ({} profile updates) from {} customers", stats.identifies, stats.customers))
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
