//! What a replay counted, and its plain-text and CSV forms (the SVG chart is in `svg.rs`).

use super::types::{Lookback, Stats};
use kairos::time::{format_duration, format_timestamp};
use std::fmt::Write;

/// One segment at one step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentCount {
    /// Active customers in the segment (its condition true).
    pub size: u64,
    /// In it now, not at the previous step (new customers included).
    pub entered: u64,
    /// In it at the previous step, not now (forgotten customers included).
    pub left: u64,
    /// Active customers for whom the segment was unknown (a signal was missing).
    pub unknown: u64,
}

/// One step boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    /// Epoch ms of the boundary: everything up to and including it was read.
    pub at: i64,
    /// Customers decided: seen within the lookback.
    pub active: u64,
    /// Customers forgotten at this step (not seen within the lookback).
    pub evicted: u64,
    /// Per segment, in bundle order.
    pub segments: Vec<SegmentCount>,
    /// Per slot, how many decisions chose each variant: index 0 is the default, then the
    /// variants in bundle order.
    pub variants: Vec<Vec<u64>>,
    /// Per missing signal (indexes into [`Report::missing`]), how many decisions lacked it.
    pub missing: Vec<u64>,
}

/// Everything a replay counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub bundle: String,
    pub step: i64,
    pub lookback: i64,
    pub lookback_source: Lookback,
    pub session_timeout: i64,
    pub segments: Vec<String>,
    /// Slot name and its variant ids, the default first.
    pub slots: Vec<(String, Vec<String>)>,
    /// Missing signals, by name (`(other signals)` last), and how many decisions lacked each over the run.
    pub missing: Vec<String>,
    pub missing_totals: Vec<u64>,
    pub rows: Vec<StepRow>,
    pub stats: Stats,
}

/// `2026-11-23T18:00Z`: boundaries are whole minutes in practice; seconds are shown when not.
pub fn short_time(ms: i64) -> String {
    let full = format_timestamp(ms); // YYYY-MM-DDTHH:MM:SS.mmmZ
    if full.ends_with(":00.000Z") {
        format!("{}Z", &full[..full.len() - 8])
    } else if full.ends_with(".000Z") {
        format!("{}Z", &full[..full.len() - 5])
    } else {
        full
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Left-aligned first column, right-aligned others.
fn table(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &[String]| {
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w - cell.chars().count();
            if i == 0 {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str("  ");
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    };
    line(out, header);
    for r in rows {
        line(out, r);
    }
}

impl Report {
    /// Missing signals, most often missing first (ties: by name).
    pub fn missing_ranked(&self) -> Vec<(usize, &str, u64)> {
        let mut ranked: Vec<(usize, &str, u64)> =
            self.missing.iter().enumerate().map(|(i, m)| (i, m.as_str(), self.missing_totals[i])).collect();
        ranked.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        ranked
    }

    fn lookback_note(&self) -> String {
        let why = match self.lookback_source {
            Lookback::Bundle => "the bundle's longest window, or the session timeout if longer",
            Lookback::Capped => "capped: the bundle reads the whole history",
            Lookback::Given => "given",
        };
        format!("{} ({why})", format_duration(self.lookback))
    }

    /// The summary lines every format starts with.
    fn summary(&self) -> String {
        let s = &self.stats;
        let mut out = String::new();
        let span = match (self.rows.first(), self.rows.last()) {
            (Some(a), Some(b)) => format!("{} to {}", short_time(a.at), short_time(b.at)),
            _ => "no steps".into(),
        };
        let _ = writeln!(
            out,
            "replay of `{}`: {} steps of {}, {span}",
            self.bundle,
            self.rows.len(),
            format_duration(self.step)
        );
        let _ = writeln!(
            out,
            "read {} lines: {} events, {} profile updates, {} skipped, {} late; {} decisions ({} decided again)",
            thousands(s.lines),
            thousands(s.events),
            thousands(s.profile_updates),
            thousands(s.skipped),
            thousands(s.late),
            thousands(s.decisions),
            thousands(s.decisions - s.reused)
        );
        let _ = writeln!(
            out,
            "lookback {}; session timeout {}; at most {} customers held at once, {} forgotten",
            self.lookback_note(),
            format_duration(self.session_timeout),
            thousands(s.peak_resident as u64),
            thousands(s.evicted)
        );
        for (line, col, msg) in &s.bad_lines {
            let _ = writeln!(out, "skipped line {line}, column {col}: {msg}");
        }
        out
    }

    /// The plain-text report: segments, then each slot's variants, then missing signals.
    pub fn to_table(&self) -> String {
        let mut out = self.summary();
        if !self.segments.is_empty() {
            out.push_str("\nsegments: size (+entered -left) at each step\n");
            let mut header = vec!["time".to_string(), "active".into()];
            header.extend(self.segments.iter().cloned());
            let rows: Vec<Vec<String>> = self
                .rows
                .iter()
                .map(|r| {
                    let mut cells = vec![short_time(r.at), thousands(r.active)];
                    cells.extend(
                        r.segments.iter().map(|s| format!("{} (+{} -{})", thousands(s.size), s.entered, s.left)),
                    );
                    cells
                })
                .collect();
            table(&mut out, &header, &rows);
        }
        for (i, (slot, variants)) in self.slots.iter().enumerate() {
            let _ = writeln!(out, "\nslot `{slot}`: decisions per variant (first column: the default)");
            let mut header = vec!["time".to_string()];
            header.extend(variants.iter().cloned());
            let rows: Vec<Vec<String>> = self
                .rows
                .iter()
                .map(|r| {
                    let mut cells = vec![short_time(r.at)];
                    cells.extend(r.variants.get(i).into_iter().flatten().map(|n| thousands(*n)));
                    cells
                })
                .collect();
            table(&mut out, &header, &rows);
        }
        out.push_str("\nmost often missing signals (decisions that lacked each, over all steps)\n");
        let ranked = self.missing_ranked();
        if ranked.is_empty() {
            out.push_str("none\n");
        } else {
            let decisions = self.stats.decisions.max(1) as f64;
            let rows: Vec<Vec<String>> = ranked
                .iter()
                .take(10)
                .map(|(_, m, n)| {
                    vec![(*m).to_string(), thousands(*n), format!("{:.1}%", *n as f64 * 100.0 / decisions)]
                })
                .collect();
            table(&mut out, &["signal".into(), "decisions".into(), "share".into()], &rows);
        }
        out
    }

    /// One row per step: `time, active, evicted`, then per segment `size, entered, left,
    /// unknown`, per slot and variant the decisions, per missing signal (most missing first) the
    /// decisions that lacked it.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut header = vec!["time".to_string(), "active".into(), "evicted".into()];
        for s in &self.segments {
            for what in ["size", "entered", "left", "unknown"] {
                header.push(format!("segment:{s}:{what}"));
            }
        }
        for (slot, variants) in &self.slots {
            for v in variants {
                header.push(format!("slot:{slot}:{v}"));
            }
        }
        let ranked = self.missing_ranked();
        for (_, m, _) in &ranked {
            header.push(format!("missing:{m}"));
        }
        for (i, h) in header.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, h);
        }
        out.push('\n');
        for r in &self.rows {
            let _ = write!(out, "{},{},{}", short_time(r.at), r.active, r.evicted);
            for s in &r.segments {
                let _ = write!(out, ",{},{},{},{}", s.size, s.entered, s.left, s.unknown);
            }
            for counts in &r.variants {
                for n in counts {
                    let _ = write!(out, ",{n}");
                }
            }
            for (i, _, _) in &ranked {
                let _ = write!(out, ",{}", r.missing.get(*i).copied().unwrap_or(0));
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_times_and_fields() {
        assert_eq!(short_time(0), "1970-01-01T00:00Z");
        assert_eq!(short_time(1_500), "1970-01-01T00:00:01.500Z");
        assert_eq!(short_time(61_000), "1970-01-01T00:01:01Z");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
        let mut s = String::new();
        csv_field(&mut s, "timezone (unknown zone \"X,Y\")");
        assert_eq!(s, "\"timezone (unknown zone \"\"X,Y\"\")\"");
    }
}
