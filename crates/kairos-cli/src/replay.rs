//! `kairos replay`: an event log replayed against a bundle, step by step (docs/replay.md).

use crate::args::{one_stdin, read, write};
use crate::cli::{Format, ReplayArgs};
use crate::error::{CliError, Result};
use kairos_replay::{replay_threads, ReplayOptions};

pub fn run(args: ReplayArgs) -> Result<String> {
    let (bundle, events) = (&args.bundle, &args.events);
    one_stdin(("--bundle", bundle), ("--events", events))?;
    let defaults = ReplayOptions::default();
    let opts = ReplayOptions {
        from: args.from,
        to: args.to,
        step: args.step.unwrap_or(defaults.step),
        lookback: args.lookback,
        session_timeout: args.session_timeout.unwrap_or(defaults.session_timeout),
        skip_bad: args.skip_bad,
        assume_consent: !args.require_consent,
        decide_all: args.decide_all,
    };
    if let (Some(from), Some(to)) = (opts.from, opts.to) {
        if from > to {
            return Err(CliError::usage("--from is after --to"));
        }
        if (to - from) / opts.step > 1_000_000 {
            return Err(CliError::usage("more than 1,000,000 steps: use a longer --step"));
        }
    }
    let engine = crate::load::rules_or_bundle(bundle, &read(bundle)?)?;
    let threads = args.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    // NDJSON, or Parquet rows as NDJSON lines (crate::events).
    let (log, input) = crate::events::open(events)?;
    let report = replay_threads(&engine, opts, input, threads).map_err(|e| log.error(&e))?;
    let text = match args.format {
        Format::Csv => report.to_csv(),
        Format::Svg => report.to_svg(),
        Format::Table => report.to_table(),
        Format::Json => report.to_json(),
    };
    match args.output.as_deref() {
        Some(path) if path != "-" => {
            write(path, &text)?;
            Ok(format!("wrote {path} ({} steps)", report.rows.len()))
        }
        _ => Ok(text.trim_end_matches('\n').to_owned()),
    }
}
