//! `kairos replay`: an event log replayed against a bundle, step by step (docs/replay.md).

use crate::args::{one_stdin, read, write};
use crate::cli::{Format, ReplayArgs};
use crate::error::{CliError, Result, E_EVENT_LOG, E_IO};
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
    let result = if events == "-" {
        replay_threads(&engine, opts, std::io::stdin().lock(), threads)
    } else {
        // Read in big chunks by the replay itself: no BufReader needed.
        replay_threads(&engine, opts, std::fs::File::open(events).map_err(|e| CliError::io(events, &e))?, threads)
    };
    let report = result.map_err(|e| {
        // Line 0: the input itself could not be read.
        let code = if e.line == 0 { E_IO } else { E_EVENT_LOG };
        CliError::new(code, format!("{events}: {e}"))
    })?;
    let text = match args.format {
        Format::Csv => report.to_csv(),
        Format::Svg => report.to_svg(),
        Format::Table => report.to_table(),
    };
    match args.output.as_deref() {
        Some(path) if path != "-" => {
            write(path, &text)?;
            Ok(format!("wrote {path} ({} steps)", report.rows.len()))
        }
        _ => Ok(text.trim_end_matches('\n').to_owned()),
    }
}
