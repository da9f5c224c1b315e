//! A line chart of segment sizes over time, as a standalone SVG written by hand (no dependency).
//! Every label (bundle and segment names, times) is escaped for XML.

use super::report::{short_time, Report, SegmentCount, StepRow};
use kairos::time::DAY_MS;
use kairos::Sink;
use std::fmt::Write;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 24.0;
/// The title and the note under it.
const HEADER: f64 = 64.0;
/// One segment's panel: its heading, its size plot, its entries-and-exits strip, a gap.
const PANEL_HEADING: f64 = 22.0;
const SIZE_HEIGHT: f64 = 96.0;
const FLOW_HEIGHT: f64 = 44.0;
const PANEL_GAP: f64 = 18.0;
const PANEL: f64 = PANEL_HEADING + SIZE_HEIGHT + FLOW_HEIGHT + PANEL_GAP;
/// The time axis under the last panel.
const FOOTER: f64 = 40.0;
/// The narrowest entries/exits bar: steps are grouped until bars are at least this wide.
const MIN_BAR: f64 = 6.0;
/// Tableau 10, one colour per segment (repeating after ten); entries and exits in fixed colours.
const COLOURS: [&str; 10] =
    ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const ENTERED: &str = "#59a14f";
const LEFT_SEGMENT: &str = "#e15759";

/// Text for XML content or a quoted attribute: entities for `& < > " '`, control characters dropped
/// (XML cannot carry them, even as references).
pub fn xml_escape(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control() || matches!(c, '\t' | '\n')).collect();
    let mut out = String::with_capacity(clean.len());
    Sink::Html.push_escaped(&mut out, &clean);
    out
}

/// A round axis maximum at or above `max`, and the tick spacing: 1, 2 or 5 times a power of ten.
fn nice_axis(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut unit = 1u64;
    loop {
        for m in [1, 2, 5] {
            let tick = unit * m;
            if tick.saturating_mul(5) >= max {
                return (max.div_ceil(tick) * tick, tick);
            }
        }
        unit = unit.saturating_mul(10);
    }
}

fn number(n: f64) -> String {
    format!("{:.1}", n)
}

/// One field of segment `s`'s counts in each of `rows`.
fn counts(rows: &[StepRow], s: usize, field: fn(&SegmentCount) -> u64) -> impl Iterator<Item = u64> + '_ {
    rows.iter().map(move |r| r.segments.get(s).map_or(0, field))
}

/// A horizontal rule across the plot at `y`, labelled at its left end (`attrs`: more label
/// attributes, each with a leading space).
fn labelled_rule(out: &mut String, y: f64, stroke: &str, label: &str, attrs: &str) {
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"{stroke}\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555555\"{attrs}>{}</text>",
        number(WIDTH - RIGHT),
        number(LEFT - 8.0),
        number(y + 4.0),
        xml_escape(label),
        yy = number(y),
    );
}

/// How many steps each entries/exits bar sums: the fewest of a few natural groupings (1, 2, 3,
/// 4, 6, 8, 12, 24, … steps) that keep `steps` bars within `max_bars`.
fn bar_group(steps: usize, max_bars: usize) -> usize {
    let max_bars = max_bars.max(1);
    [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 168, 336, 720]
        .into_iter()
        .find(|k| steps.div_ceil(*k) <= max_bars)
        .unwrap_or_else(|| steps.div_ceil(max_bars))
}

impl Report {
    /// The chart: one panel per segment, each on its own scale (sizes differ by orders of
    /// magnitude), with its size over time above and its entries (up) and exits (down) below,
    /// grouped so that bars stay readable at hundreds of steps; a time axis under the last.
    pub fn to_svg(&self) -> String {
        let panels = self.segments.len().max(1);
        let height = HEADER + panels as f64 * PANEL + FOOTER;
        let plot_w = WIDTH - LEFT - RIGHT;
        let n = self.rows.len();
        let group = bar_group(n, (plot_w / MIN_BAR) as usize);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{h}\" viewBox=\"0 0 {WIDTH} {h}\" \
             font-family=\"sans-serif\" font-size=\"12\">",
            h = number(height),
        );
        let span = match (self.rows.first(), self.rows.last()) {
            (Some(a), Some(b)) => format!(" ({} to {})", short_time(a.at), short_time(b.at)),
            _ => String::new(),
        };
        let title = format!("Segment sizes over time: {}{span}", self.bundle);
        let note = format!(
            "{n} steps of {}; under each segment, customers who entered (up) and left (down) per {}",
            kairos::time::format_duration(self.step),
            kairos::time::format_duration(self.step.saturating_mul(group as i64)),
        );
        let _ = writeln!(out, "<title>{}</title>", xml_escape(&title));
        let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
        let _ = writeln!(
            out,
            "<text x=\"{LEFT}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>\
             <text x=\"{LEFT}\" y=\"44\" fill=\"#555555\">{}</text>",
            xml_escape(&title),
            xml_escape(&note)
        );
        let (first, last) = match (self.rows.first(), self.rows.last()) {
            (Some(a), Some(b)) => (a.at, b.at),
            _ => (0, 0),
        };
        let x = |at: i64| {
            if last == first {
                LEFT + plot_w / 2.0
            } else {
                LEFT + (at - first) as f64 / (last - first) as f64 * plot_w
            }
        };
        let step_w = if n > 1 { plot_w / (n - 1) as f64 } else { plot_w };
        // Time ticks: up to seven labelled steps, with a light line through every panel.
        let daily = self.rows.iter().all(|r| r.at.rem_euclid(DAY_MS) == 0);
        let ticks: Vec<(f64, String)> = (0..n.min(7))
            .filter_map(|k| {
                let count = n.min(7);
                let i = if count == 1 { 0 } else { k * (n - 1) / (count - 1) };
                let row = self.rows.get(i)?;
                // `2026-11-23` for daily steps, `11-23 18:00` otherwise (the year is in the title).
                let label = short_time(row.at);
                let label = if daily {
                    label.get(..10).unwrap_or(&label).to_string()
                } else {
                    format!("{} {}", label.get(5..10).unwrap_or_default(), label.get(11..16).unwrap_or_default())
                };
                Some((x(row.at), label))
            })
            .collect();
        let plots_bottom = HEADER + panels as f64 * PANEL - PANEL_GAP;
        for (tx, _) in &ticks {
            let _ = writeln!(
                out,
                "<line x1=\"{xx}\" y1=\"{HEADER}\" x2=\"{xx}\" y2=\"{}\" stroke=\"#eeeeee\"/>",
                number(plots_bottom),
                xx = number(*tx)
            );
        }
        if self.segments.is_empty() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">this bundle has no segments</text>",
                number(LEFT + plot_w / 2.0),
                number(HEADER + PANEL / 2.0)
            );
        }
        for (s, name) in self.segments.iter().enumerate() {
            let colour = COLOURS[s % COLOURS.len()];
            let peak = counts(&self.rows, s, |c| c.size).max().unwrap_or(0);
            let now = self.rows.last().and_then(|r| r.segments.get(s)).map_or(0, |c| c.size);
            let entered: u64 = counts(&self.rows, s, |c| c.entered).sum();
            let left: u64 = counts(&self.rows, s, |c| c.left).sum();
            let top = HEADER + s as f64 * PANEL;
            let _ = writeln!(
                out,
                "<text x=\"{LEFT}\" y=\"{}\"><tspan font-weight=\"bold\" fill=\"{colour}\">{}</tspan>\
                 <tspan fill=\"#555555\">   now {now} · peak {peak} · entered {entered} · left {left}</tspan></text>",
                number(top + 14.0),
                xml_escape(name),
            );
            // Sizes: its own axis (0 and a round top), the line with a light area under it.
            let (axis_top, _) = nice_axis(peak);
            let base = top + PANEL_HEADING + SIZE_HEIGHT;
            let y = |v: u64| base - v as f64 / axis_top as f64 * (SIZE_HEIGHT - 6.0);
            // 0, the top, and the middle when it is a whole number.
            let middle = (axis_top % 2 == 0).then_some(axis_top / 2);
            for v in std::iter::once(0).chain(middle).chain([axis_top]) {
                labelled_rule(&mut out, y(v), "#e6e6e6", &v.to_string(), "");
            }
            let mut points = String::new();
            for r in &self.rows {
                let size = r.segments.get(s).map_or(0, |c| c.size);
                let _ = write!(points, "{},{} ", number(x(r.at)), number(y(size)));
            }
            if let (Some(a), Some(b)) = (self.rows.first(), self.rows.last()) {
                let _ = writeln!(
                    out,
                    "<polygon fill=\"{colour}\" fill-opacity=\"0.15\" points=\"{} {},{} {},{}\"/>",
                    points.trim_end(),
                    number(x(b.at)),
                    number(base),
                    number(x(a.at)),
                    number(base)
                );
            }
            let _ = writeln!(
                out,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"><title>{}</title></polyline>",
                points.trim_end(),
                xml_escape(name)
            );
            // Entries up and exits down from a middle line, per group of steps, on one scale.
            let groups: Vec<(i64, u64, u64)> = self
                .rows
                .chunks(group)
                .map(|g| (g[0].at, counts(g, s, |c| c.entered).sum(), counts(g, s, |c| c.left).sum()))
                .collect();
            let flow_max = groups.iter().map(|&(_, e, l)| e.max(l)).max().unwrap_or(0).max(1);
            let mid = base + FLOW_HEIGHT / 2.0 + 2.0;
            let half = FLOW_HEIGHT / 2.0 - 4.0;
            let bar_w = (step_w * group as f64 - 1.0).max(1.0);
            labelled_rule(&mut out, mid, "#bbbbbb", &format!("±{flow_max}"), " font-size=\"10\"");
            for (at, e, l) in groups {
                let bx = (x(at) - step_w / 2.0).max(LEFT);
                let w = bar_w.min(LEFT + plot_w - bx).max(1.0);
                for (count, up, fill) in [(e, true, ENTERED), (l, false, LEFT_SEGMENT)] {
                    if count == 0 {
                        continue;
                    }
                    let h = (count as f64 / flow_max as f64 * half).max(1.0);
                    let top_y = if up { mid - h } else { mid };
                    let _ = writeln!(
                        out,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>",
                        number(bx),
                        number(top_y),
                        number(w),
                        number(h)
                    );
                }
            }
        }
        // The time axis, under the last panel.
        let axis_y = plots_bottom + 4.0;
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{ay}\" x2=\"{}\" y2=\"{ay}\" stroke=\"#606060\"/>",
            number(LEFT + plot_w),
            ay = number(axis_y)
        );
        let count = ticks.len();
        for (k, (tx, label)) in ticks.iter().enumerate() {
            let anchor = match k {
                0 if count > 1 => "start",
                k if k + 1 == count && count > 1 => "end",
                _ => "middle",
            };
            let _ = writeln!(
                out,
                "<line x1=\"{xx}\" y1=\"{}\" x2=\"{xx}\" y2=\"{}\" stroke=\"#606060\"/>\
                 <text x=\"{xx}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                number(axis_y),
                number(axis_y + 5.0),
                number(axis_y + 20.0),
                xml_escape(label),
                xx = number(*tx),
            );
        }
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_axes() {
        assert_eq!(xml_escape("a<b & \"c\" 'd'\u{1}"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;");
        assert_eq!(nice_axis(0), (1, 1));
        assert_eq!(nice_axis(7), (8, 2));
        assert_eq!(nice_axis(93), (100, 20));
        assert_eq!(nice_axis(1234), (1500, 500));
    }

    #[test]
    fn bars_are_grouped_into_natural_runs_of_steps() {
        assert_eq!(bar_group(30, 144), 1, "daily steps over a month: one bar a day");
        assert_eq!(bar_group(720, 144), 6, "hourly steps over a month: one bar per 6 hours");
        assert_eq!(bar_group(8760, 144), 72);
        assert_eq!(bar_group(100_000, 144), 720);
        assert_eq!(bar_group(1_000_000, 144), 1_000_000usize.div_ceil(144), "past the list: evenly");
    }
}
