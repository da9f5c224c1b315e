//! A line chart of segment sizes over time, as a standalone SVG written by hand (no dependency).
//! Every label (bundle and segment names, times) is escaped for XML.

use super::report::{short_time, Report};
use kairos::time::DAY_MS;
use kairos::Sink;
use std::fmt::Write;

const WIDTH: f64 = 960.0;
const PLOT_HEIGHT: f64 = 360.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 48.0;
const LEGEND_ROW: f64 = 20.0;
const LEGEND_COLUMNS: usize = 3;
/// Tableau 10; after ten segments the colours repeat with a dash pattern.
const COLOURS: [&str; 10] =
    ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const DASHES: [&str; 3] = ["", "6 3", "2 2"];

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

impl Report {
    /// The chart: one line per segment (size at each step), a time axis, a size axis, a legend.
    pub fn to_svg(&self) -> String {
        let legend_rows = self.segments.len().div_ceil(LEGEND_COLUMNS).max(1);
        let height = TOP + PLOT_HEIGHT + 48.0 + legend_rows as f64 * LEGEND_ROW + 16.0;
        let plot_w = WIDTH - LEFT - RIGHT;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{}\" viewBox=\"0 0 {WIDTH} {}\" \
             font-family=\"sans-serif\" font-size=\"12\">",
            number(height),
            number(height)
        );
        let span = match (self.rows.first(), self.rows.last()) {
            (Some(a), Some(b)) => format!(" ({} to {})", short_time(a.at), short_time(b.at)),
            _ => String::new(),
        };
        let title = format!("Segment sizes over time: {}{span}", self.bundle);
        let _ = writeln!(out, "<title>{}</title>", xml_escape(&title));
        let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
        let _ = writeln!(
            out,
            "<text x=\"{LEFT}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>",
            xml_escape(&title)
        );
        let max = self.rows.iter().flat_map(|r| r.segments.iter().map(|s| s.size)).max().unwrap_or(0);
        let (top, tick) = nice_axis(max);
        let y = |v: u64| TOP + PLOT_HEIGHT - v as f64 / top as f64 * PLOT_HEIGHT;
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
        // Size axis: grid lines and labels.
        let mut v = 0;
        while v <= top {
            let _ = writeln!(
                out,
                "<line x1=\"{LEFT}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"#e0e0e0\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
                number(LEFT + plot_w),
                number(LEFT - 8.0),
                number(y(v) + 4.0),
                yy = number(y(v)),
            );
            v += tick;
        }
        let _ = writeln!(
            out,
            "<text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">customers in segment</text>",
            number(TOP + PLOT_HEIGHT / 2.0)
        );
        // Time axis: up to seven labelled steps; dates alone when every boundary is a midnight.
        let daily = self.rows.iter().all(|r| r.at.rem_euclid(DAY_MS) == 0);
        let n = self.rows.len();
        let ticks = n.min(7);
        let axis_y = TOP + PLOT_HEIGHT;
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{ay}\" x2=\"{}\" y2=\"{ay}\" stroke=\"#606060\"/>",
            number(LEFT + plot_w),
            ay = number(axis_y)
        );
        for k in 0..ticks {
            let i = if ticks == 1 { 0 } else { k * (n - 1) / (ticks - 1) };
            let Some(row) = self.rows.get(i) else { continue };
            // `2026-11-23` for daily steps, `11-23 18:00` otherwise (the year is in the title's range).
            let label = short_time(row.at);
            let label = if daily {
                label.get(..10).unwrap_or(&label).to_string()
            } else {
                format!("{} {}", label.get(5..10).unwrap_or_default(), label.get(11..16).unwrap_or_default())
            };
            let anchor = match k {
                0 if ticks > 1 => "start",
                k if k + 1 == ticks && ticks > 1 => "end",
                _ => "middle",
            };
            let _ = writeln!(
                out,
                "<line x1=\"{xx}\" y1=\"{}\" x2=\"{xx}\" y2=\"{}\" stroke=\"#606060\"/>\
                 <text x=\"{xx}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                number(axis_y),
                number(axis_y + 5.0),
                number(axis_y + 20.0),
                xml_escape(&label),
                xx = number(x(row.at)),
            );
        }
        if self.segments.is_empty() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">this bundle has no segments</text>",
                number(LEFT + plot_w / 2.0),
                number(TOP + PLOT_HEIGHT / 2.0)
            );
        }
        // One line per segment, then its legend entry.
        for (s, name) in self.segments.iter().enumerate() {
            let colour = COLOURS[s % COLOURS.len()];
            let dash = DASHES[(s / COLOURS.len()) % DASHES.len()];
            let dash = if dash.is_empty() { String::new() } else { format!(" stroke-dasharray=\"{dash}\"") };
            let mut points = String::new();
            for r in &self.rows {
                let size = r.segments.get(s).map_or(0, |c| c.size);
                let _ = write!(points, "{},{} ", number(x(r.at)), number(y(size)));
            }
            let _ = writeln!(
                out,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"><title>{}</title></polyline>",
                points.trim_end(),
                xml_escape(name)
            );
            let (col, row) = (s % LEGEND_COLUMNS, s / LEGEND_COLUMNS);
            let lx = LEFT + col as f64 * (plot_w / LEGEND_COLUMNS as f64);
            let ly = axis_y + 48.0 + row as f64 * LEGEND_ROW;
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{ly2}\" x2=\"{}\" y2=\"{ly2}\" stroke=\"{colour}\" stroke-width=\"3\"{dash}/>\
                 <text x=\"{}\" y=\"{}\">{}</text>",
                number(lx),
                number(lx + 24.0),
                number(lx + 30.0),
                number(ly + 4.0),
                xml_escape(name),
                ly2 = number(ly),
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
}
