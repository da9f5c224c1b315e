//! `kairos lift --format svg`: each slot's conversion rates with their 95 % intervals (Wilson),
//! the holdout first, then every treated visitor, then each variant; one panel per slot,
//! written by hand as a standalone SVG, with each arm's lift over the holdout (points, 95 %
//! Newcombe interval) at the right. Every label is escaped for XML.

use super::{stats, GroupSummary, LiftReport, Lifts};
use crate::svg::xml_escape;
use std::fmt::Write;

const WIDTH: f64 = 880.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 300.0;
const ROW: f64 = 26.0;

/// The chart.
pub fn chart(report: &LiftReport) -> String {
    let z = stats::z_for(0.95);
    let rows = |s: &super::SlotLift| 2 + s.variants.len();
    let height: f64 = 40.0 + report.slots.values().map(|s| 56.0 + ROW * rows(s) as f64).sum::<f64>();
    // One scale for every panel: up to the highest interval bound, rounded up to 5 points.
    let bound = |g: &GroupSummary| stats::wilson(g.conversions, g.visitors, z).map_or(0.0, |(_, hi)| hi);
    let top = report
        .slots
        .values()
        .flat_map(|s| {
            [bound(&s.holdout), bound(&s.treated)].into_iter().chain(s.variants.values().map(|c| bound(&c.group)))
        })
        .fold(0.0f64, f64::max);
    let max = ((top * 20.0).ceil() / 20.0).max(0.05);
    let x = |rate: f64| LEFT + (WIDTH - LEFT - RIGHT) * (rate / max);
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="system-ui, sans-serif" font-size="12"><title>Conversion rate by arm, with 95 % intervals</title><rect width="{WIDTH}" height="{height}" fill="#fff"/>"##
    );
    let mut y = 30.0;
    for (slot, s) in &report.slots {
        let srm = s.srm_p.map_or(String::new(), |p| format!(" · sample-ratio p = {p:.3}"));
        let _ = write!(
            out,
            r##"<text x="10" y="{y}" font-weight="bold">slot {}{}</text><text x="{:.1}" y="{y}" text-anchor="end" fill="#555">lift over the holdout, 95 % interval</text>"##,
            xml_escape(slot),
            xml_escape(&srm),
            WIDTH - 10.0
        );
        y += 14.0;
        // The axis: 0 to max, ticks every 5 points (or every point under 10 %).
        let step = if max <= 0.1 { 0.01 } else { 0.05 };
        let mut tick = 0.0;
        while tick <= max + 1e-9 {
            let tx = x(tick);
            let _ = write!(
                out,
                r##"<line x1="{tx:.1}" y1="{y}" x2="{tx:.1}" y2="{:.1}" stroke="#eee"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#777">{:.0}%</text>"##,
                y + ROW * rows(s) as f64,
                y + ROW * rows(s) as f64 + 12.0,
                tick * 100.0
            );
            tick += step;
        }
        let mut row = |label: &str, g: &GroupSummary, lifts: Option<&Lifts>, colour: &str, y: f64| {
            let cy = y + ROW / 2.0;
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LEFT - 8.0,
                cy + 4.0,
                xml_escape(label)
            );
            if let (Some(rate), Some((lo, hi))) = (g.rate, stats::wilson(g.conversions, g.visitors, z)) {
                let _ = write!(
                    out,
                    r##"<line x1="{:.1}" y1="{cy:.1}" x2="{:.1}" y2="{cy:.1}" stroke="{colour}" stroke-width="2"/><circle cx="{:.1}" cy="{cy:.1}" r="4" fill="{colour}"/><text x="{:.1}" y="{:.1}" fill="#555">{:.2}% of {}</text>"##,
                    x(lo),
                    x(hi),
                    x(rate),
                    x(hi) + 6.0,
                    cy + 4.0,
                    rate * 100.0,
                    g.visitors
                );
            }
            if let Some((d, [lo, hi])) = lifts.and_then(|l| l.lift_abs.zip(l.lift_abs_ci95)) {
                let _ = write!(
                    out,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{}">{:+.2} pts [{:+.2}, {:+.2}]</text>"##,
                    WIDTH - 10.0,
                    cy + 4.0,
                    if lo > 0.0 || hi < 0.0 { "#000" } else { "#777" },
                    d * 100.0,
                    lo * 100.0,
                    hi * 100.0
                );
            }
        };
        row("holdout", &s.holdout, None, "#777", y);
        row("treated", &s.treated, Some(&s.lifts), "#4e79a7", y + ROW);
        for (i, (variant, c)) in s.variants.iter().enumerate() {
            row(variant, &c.group, Some(&c.lifts), "#f28e2b", y + ROW * (2 + i) as f64);
        }
        y += ROW * rows(s) as f64 + 42.0;
    }
    if let Some(note) = &report.note {
        let _ = write!(out, r##"<text x="10" y="{:.1}" fill="#b00">{}</text>"##, height - 10.0, xml_escape(note));
    }
    out.push_str("</svg>\n");
    out
}
