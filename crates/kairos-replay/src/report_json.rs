//! The report as JSON: `kairos replay --format json`, and what the Python package's
//! `Report.to_dict()` returns. Every number the CSV has, named; segments, slots, variants and
//! missing signals keep the report's order (bundle order; missing signals most often missing
//! first), which serde's maps written entry by entry preserve.

use crate::report::{Report, StepRow};
use crate::types::Lookback;
use kairos::time::format_timestamp;
use serde::ser::{Serialize, SerializeMap, Serializer};

impl Report {
    /// Pretty JSON (two-space indent):
    ///
    /// ```text
    /// {"bundle", "step_ms", "lookback_ms", "lookback_source": "bundle"|"capped"|"given",
    ///  "session_timeout_ms", "segments": [NAME…], "slots": {SLOT: [default, VARIANT…]},
    ///  "missing": {SIGNAL: decisions over the run, most first},
    ///  "stats": {"lines", "events", "profile_updates", "skipped", "late", "decisions",
    ///            "reused", "peak_resident", "evicted"},
    ///  "bad_lines": [{"line", "column", "message"}],
    ///  "steps": [{"time": RFC 3339, "at": epoch ms, "active", "evicted",
    ///             "segments": {NAME: {"size", "entered", "left", "unknown"}},
    ///             "slots": {SLOT: {VARIANT: decisions}},
    ///             "missing": {SIGNAL: decisions}}]}
    /// ```
    ///
    /// A step's `missing` lists only the signals missing at that step.
    pub fn to_json(&self) -> String {
        // Only strings and integers: serialising them into a String cannot fail.
        serde_json::to_string_pretty(&Json(self)).unwrap_or_default()
    }
}

struct Json<'a>(&'a Report);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.0;
        let ranked = report.missing_ranked();
        let st = &report.stats;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("bundle", &report.bundle)?;
        m.serialize_entry("step_ms", &report.step)?;
        m.serialize_entry("lookback_ms", &report.lookback)?;
        let source = match report.lookback_source {
            Lookback::Bundle => "bundle",
            Lookback::Capped => "capped",
            Lookback::Given => "given",
        };
        m.serialize_entry("lookback_source", source)?;
        m.serialize_entry("session_timeout_ms", &report.session_timeout)?;
        m.serialize_entry("segments", &report.segments)?;
        m.serialize_entry("slots", &Ordered(report.slots.iter().map(|(slot, variants)| (slot.as_str(), variants))))?;
        m.serialize_entry("missing", &Ordered(ranked.iter().map(|(_, name, n)| (*name, n))))?;
        let stats = [
            ("lines", st.lines),
            ("events", st.events),
            ("profile_updates", st.profile_updates),
            ("skipped", st.skipped),
            ("late", st.late),
            ("decisions", st.decisions),
            ("reused", st.reused),
            ("peak_resident", st.peak_resident as u64),
            ("evicted", st.evicted),
        ];
        m.serialize_entry("stats", &Ordered(stats.iter().map(|(k, v)| (*k, v))))?;
        let bad: Vec<BadLine> =
            st.bad_lines.iter().map(|(line, column, message)| BadLine { line, column, message }).collect();
        m.serialize_entry("bad_lines", &bad)?;
        let steps: Vec<Step> = report.rows.iter().map(|row| Step { report, row, ranked: &ranked }).collect();
        m.serialize_entry("steps", &steps)?;
        m.end()
    }
}

/// A map written in the iterator's order.
struct Ordered<I>(I);

impl<'a, I, V> Serialize for Ordered<I>
where
    I: Iterator<Item = (&'a str, V)> + Clone,
    V: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.0.clone() {
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
}

#[derive(serde::Serialize)]
struct BadLine<'a> {
    line: &'a u64,
    column: &'a usize,
    message: &'a String,
}

struct Step<'a> {
    report: &'a Report,
    row: &'a StepRow,
    ranked: &'a [(usize, &'a str, u64)],
}

impl Serialize for Step<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (report, row) = (self.report, self.row);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("time", &format_timestamp(row.at))?;
        m.serialize_entry("at", &row.at)?;
        m.serialize_entry("active", &row.active)?;
        m.serialize_entry("evicted", &row.evicted)?;
        let segments = report.segments.iter().zip(&row.segments).map(|(name, c)| {
            let counts = [("size", c.size), ("entered", c.entered), ("left", c.left), ("unknown", c.unknown)];
            (name.as_str(), Ordered(counts.into_iter()))
        });
        m.serialize_entry("segments", &Ordered(segments))?;
        let slots = report.slots.iter().zip(&row.variants).map(|((slot, variants), counts)| {
            (slot.as_str(), Ordered(variants.iter().map(String::as_str).zip(counts.iter())))
        });
        m.serialize_entry("slots", &Ordered(slots))?;
        let missing =
            self.ranked.iter().filter_map(|(i, name, _)| row.missing.get(*i).filter(|n| **n > 0).map(|n| (*name, n)));
        m.serialize_entry("missing", &Ordered(missing))?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Replay, ReplayOptions};
    use kairos::Engine;

    #[test]
    fn every_count_named_in_the_report_order() {
        let rules = r#"{"kairos": 1,
            "segments": {"viewer": {"gte": [{"count": {"event": "product_viewed", "within": "1d"}}, 1]}},
            "slots": {"hero": {"default": {"id": "plain", "content": null},
                "variants": [{"id": "shown", "when": {"segment": "viewer"}, "content": 1}]}}}"#;
        let engine = Engine::from_rules_or_bundle(rules.as_bytes()).unwrap();
        let mut replay = Replay::new(&engine, ReplayOptions { step: 3_600_000, ..ReplayOptions::default() });
        let log = "{\"c\":\"a\",\"e\":\"product_viewed\",\"t\":3600000}\n{\"c\":\"b\",\"e\":\"login\",\"t\":5400000}\n";
        replay.read(log.as_bytes()).unwrap();
        let text = replay.finish().to_json();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["segments"], serde_json::json!(["viewer"]));
        assert_eq!(json["slots"]["hero"], serde_json::json!(["plain", "shown"]));
        let steps = json["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0]["time"], "1970-01-01T02:00:00.000Z");
        assert_eq!(steps[0]["at"], 7_200_000);
        assert_eq!(
            steps[0]["segments"]["viewer"],
            serde_json::json!({"size": 1, "entered": 1, "left": 0, "unknown": 0})
        );
        assert_eq!(steps[0]["slots"]["hero"], serde_json::json!({"plain": 1, "shown": 1}));
        assert_eq!(json["stats"]["lines"], 2);
        // Keys in the order written, not sorted: `time` before `at`, `size` before `entered`.
        assert!(text.find("\"time\"") < text.find("\"at\"") && text.find("\"size\"") < text.find("\"entered\""));
    }
}
