//! `kairos replay`: an event log replayed against a bundle, step by step (docs/replay.md).

use crate::args::{flag, read};
use kairos::time::{parse_duration, parse_timestamp};
use kairos::Engine;
use kairos_replay::{Replay, ReplayOptions};

pub fn run(rest: &[String]) -> Result<String, String> {
    let bundle = flag(rest, &["--bundle", "-b"])?.ok_or("replay needs --bundle FILE")?;
    let events = flag(rest, &["--events", "-e"])?.ok_or("replay needs --events EVENTS.ndjson")?;
    if bundle == "-" && events == "-" {
        return Err("only one of --bundle and --events can read stdin".into());
    }
    let engine = Engine::from_rules_or_bundle(&read(bundle)?).map_err(|e| format!("{bundle}: {e}"))?;
    let time = |name: &str| -> Result<Option<i64>, String> {
        flag(rest, &[name])?.map(|t| parse_timestamp(t).map_err(|e| format!("{name}: {e}"))).transpose()
    };
    let duration = |name: &str| -> Result<Option<i64>, String> {
        let d = flag(rest, &[name])?.map(|d| parse_duration(d).map_err(|e| format!("{name}: {e}"))).transpose()?;
        match d {
            Some(0) => Err(format!("{name} must be longer than 0")),
            d => Ok(d),
        }
    };
    let defaults = ReplayOptions::default();
    let opts = ReplayOptions {
        from: time("--from")?,
        to: time("--to")?,
        step: duration("--step")?.unwrap_or(defaults.step),
        lookback: duration("--lookback")?,
        session_timeout: duration("--session-timeout")?.unwrap_or(defaults.session_timeout),
        skip_bad: rest.iter().any(|a| a == "--skip-bad"),
        assume_consent: !rest.iter().any(|a| a == "--require-consent"),
    };
    if let (Some(from), Some(to)) = (opts.from, opts.to) {
        if from > to {
            return Err("--from is after --to".into());
        }
        if (to - from) / opts.step > 1_000_000 {
            return Err("more than 1,000,000 steps: use a longer --step".into());
        }
    }
    let format = flag(rest, &["--format", "-f"])?.unwrap_or("table");
    if !matches!(format, "table" | "csv" | "svg") {
        return Err(format!("--format: `{format}`: expected table, csv or svg"));
    }
    let mut replay = Replay::new(&engine, opts);
    let result = if events == "-" {
        replay.read(std::io::stdin().lock())
    } else {
        // Read in big chunks by the replay itself: no BufReader needed.
        replay.read(std::fs::File::open(events).map_err(|e| format!("{events}: {e}"))?)
    };
    result.map_err(|e| format!("{events}: {e}"))?;
    let report = replay.finish();
    // The process ends soon: freeing every customer's history one by one would only cost time.
    std::mem::forget(replay);
    let text = match format {
        "csv" => report.to_csv(),
        "svg" => report.to_svg(),
        _ => report.to_table(),
    };
    match flag(rest, &["-o", "--output"])? {
        Some(path) if path != "-" => {
            std::fs::write(path, &text).map_err(|e| format!("{path}: {e}"))?;
            Ok(format!("wrote {path} ({} steps)", report.rows.len()))
        }
        _ => Ok(text.trim_end_matches('\n').to_owned()),
    }
}
