//! `kairos lift`: each slot's conversion rate against the holdout, with intervals, from one log
//! of exposures and conversions (docs/measurement.md).

use crate::args::{one_stdin, read, write};
use crate::cli::{LiftArgs, LiftFormat};
use crate::error::{CliError, Result, E_EVENT_LOG};
use kairos_replay::lift::{GroupSummary, Lift, LiftOptions, LiftReport, Lifts};
use std::fmt::Write as _;

pub fn run(args: LiftArgs) -> Result<String> {
    let (bundle, events) = (&args.bundle, &args.events);
    one_stdin(("--bundle", bundle), ("--events", events))?;
    let engine = crate::load::rules_or_bundle(bundle, &read(bundle)?)?;
    let mut lift = Lift::new(LiftOptions {
        conversion: kairos::context::normalize_event_name(&args.conversion),
        value: args.value.clone(),
        within_ms: args.within,
        holdout_share: engine.program.holdout.as_ref().map(kairos::program::HoldoutSpec::share),
    });
    let read = if events == "-" {
        lift.read(std::io::stdin().lock(), args.skip_bad)
    } else {
        lift.read(std::fs::File::open(events).map_err(|e| CliError::io(events, &e))?, args.skip_bad)
    };
    if let Err(bad) = read {
        return Err(CliError::new(E_EVENT_LOG, format!("{events}: {bad} (--skip-bad counts bad lines and goes on)")));
    }
    let report = lift.report(0.95);
    let text = match args.format {
        LiftFormat::Json => serde_json::to_string_pretty(&report).map_err(CliError::internal)?,
        LiftFormat::Table => table(&report),
        LiftFormat::Svg => kairos_replay::lift::svg::chart(&report),
    };
    match args.output.as_deref() {
        Some(path) if path != "-" => {
            write(path, &text)?;
            Ok(format!("wrote {path} ({} slots)", report.slots.len()))
        }
        _ => Ok(text.trim_end_matches('\n').to_owned()),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.2}%", v * 100.0))
}

fn interval(v: Option<[f64; 2]>) -> String {
    v.map_or("–".into(), |[lo, hi]| format!("[{:.2}, {:.2}] pts", lo * 100.0, hi * 100.0))
}

fn value(g: &GroupSummary, l: Option<&Lifts>) -> String {
    let Some(v) = g.value_per_visitor else { return String::new() };
    let diff = l.and_then(|l| l.value_diff.zip(l.value_diff_ci95));
    let diff = diff.map_or(String::new(), |(d, [lo, hi])| format!(" {d:+.2} [{lo:.2}, {hi:.2}]"));
    format!("  {v:>9.2}{diff}")
}

fn row(out: &mut String, name: &str, g: &GroupSummary, l: &Lifts) {
    let rel = l.lift_rel.map_or("–".into(), |r| format!("{:+.1}%", r * 100.0));
    let _ = writeln!(
        out,
        "  {name:<20} {:>9} {:>9} {:>8}  {:>9}  {:<24} {rel:>8}{}",
        g.visitors,
        g.conversions,
        pct(g.rate),
        l.lift_abs.map_or("–".into(), |d| format!("{:+.2}", d * 100.0)),
        interval(l.lift_abs_ci95),
        value(g, Some(l)),
    );
}

fn table(r: &LiftReport) -> String {
    let mut out = String::new();
    for (slot, s) in &r.slots {
        let _ = writeln!(out, "slot {slot} (SRM p = {})", s.srm_p.map_or("–".into(), |p| format!("{p:.4}")));
        let value_head = if s.holdout.value_per_visitor.is_some() { "  value/vis. diff [95% CI]" } else { "" };
        let _ = writeln!(
            out,
            "  {:<20} {:>9} {:>9} {:>8}  {:>9}  {:<24} {:>8}{value_head}",
            "group", "visitors", "converted", "rate", "lift pts", "95% CI", "relative"
        );
        let _ = writeln!(
            out,
            "  {:<20} {:>9} {:>9} {:>8}  {:>9}  {:<24} {:>8}{}",
            "holdout",
            s.holdout.visitors,
            s.holdout.conversions,
            pct(s.holdout.rate),
            "",
            "",
            "",
            value(&s.holdout, None)
        );
        row(&mut out, "treated", &s.treated, &s.lifts);
        for (variant, c) in &s.variants {
            row(&mut out, variant, &c.group, &c.lifts);
        }
    }
    let _ = writeln!(
        out,
        "{} lines, {} exposures, {} conversions, {} visitors, {} bad lines",
        r.lines, r.exposures, r.conversions, r.visitors, r.bad_lines
    );
    for bad in &r.first_bad {
        let _ = writeln!(out, "  {bad}");
    }
    if let Some(note) = &r.note {
        let _ = writeln!(out, "note: {note}");
    }
    // Columns left empty (the holdout's lift, values not asked for) leave no trailing blanks.
    out.lines().map(|l| l.trim_end().to_owned() + "\n").collect()
}
