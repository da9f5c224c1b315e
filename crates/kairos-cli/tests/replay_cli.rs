//! `kairos gen` then `kairos replay` on the demo bundle, end to end through the CLI.

use std::path::PathBuf;
mod support;

use support::kairos;

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("kairos-replay-cli-{}-{name}", std::process::id()))
}

#[test]
fn gen_then_replay_the_demo_bundle() {
    let log = temp("events.ndjson");
    let log_s = log.to_str().unwrap();
    let (ok, out, err) = kairos(&["gen", "--customers", "300", "--days", "3", "--seed", "7", "-o", log_s]);
    assert!(ok, "{err}");
    assert!(out.starts_with(&format!("wrote {log_s}: ")), "{out}");
    // Same seed to stdout: the same bytes.
    let (ok, again, _) = kairos(&["gen", "--customers", "300", "--days", "3", "--seed", "7"]);
    assert!(ok);
    assert_eq!(again.as_bytes(), std::fs::read(&log).unwrap());

    let bundle = "examples/demo/rules.json";
    let (ok, table, err) = kairos(&["replay", "--bundle", bundle, "--events", log_s, "--step", "6h"]);
    assert!(ok, "{err}");
    assert!(
        table.starts_with("replay of `demo-shop`: 12 steps of 6h, 2026-11-01T06:00Z to 2026-11-04T00:00Z"),
        "{table}"
    );
    for needle in ["cart_abandoner", "evening_mobile_abandoner", "slot `offer`", "most often missing signals"] {
        assert!(table.contains(needle), "{needle}: {table}");
    }

    let (ok, csv, err) = kairos(&["replay", "-b", bundle, "-e", log_s, "--step", "1d", "--format", "csv"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 3, "{csv}");
    assert!(lines[0].starts_with("time,active,evicted,segment:cart_abandoner:size,"), "{csv}");
    let active: u64 = lines[3].split(',').nth(1).unwrap().parse().unwrap();
    assert!(active > 100, "{csv}");

    let svg = temp("chart.svg");
    let (ok, out, err) = kairos(&["replay", "-b", bundle, "-e", log_s, "--format", "svg", "-o", svg.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.starts_with("wrote "), "{out}");
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg ") && chart.trim_end().ends_with("</svg>"));

    // A bad line names where it is.
    let bad = temp("bad.ndjson");
    std::fs::write(&bad, "{\"c\":\"a\",\"e\":\"x\",\"t\":1}\n{\"c\":\"a\" \"e\":\"x\"}\n").unwrap();
    let (ok, _, err) = kairos(&["replay", "-b", bundle, "-e", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("bad.ndjson: line 2, column 10: expected `,` or `}`"), "{err}");

    for f in [log, svg, bad] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn replay_arguments_are_checked() {
    // Usage errors, worded by clap (tests/cli_errors.rs checks their code and exit status).
    let (ok, _, err) = kairos(&["replay", "--bundle", "examples/demo/rules.json"]);
    assert!(!ok && err.contains("required arguments were not provided:\n  --events <LOG.ndjson>"), "{err}");
    let (ok, _, err) = kairos(&["replay", "-b", "examples/demo/rules.json", "-e", "-", "--format", "pdf"]);
    assert!(!ok && err.contains("invalid value 'pdf' for '--format <FORMAT>'"), "{err}");
    let (ok, _, err) = kairos(&["replay", "-b", "examples/demo/rules.json", "-e", "-", "--step", "0s"]);
    assert!(!ok && err.contains("'--step <DURATION>': must be longer than 0"), "{err}");
    let (ok, _, err) = kairos(&["gen", "--customers", "10"]);
    assert!(!ok && err.contains("required arguments were not provided:\n  --days <D>"), "{err}");
}
