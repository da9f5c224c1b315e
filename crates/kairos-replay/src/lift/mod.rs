//! Incremental lift of each slot against the bundle's holdout, from exposure and conversion
//! events in one NDJSON log (issue 16, in progress: the `kairos lift` command, the generator with
//! a known lift and the chart are still to come).
//!
//! Attribution (docs/measurement.md): a visitor is its `userId`, else its `anonymousId`, as
//! buckets hash the customer id first. A visitor's arm in a slot is fixed by their first exposure
//! in it. A conversion counts for that slot when it comes at or after that first exposure and
//! within `within_ms` of it. The log is read in the order given, which must be time order (as
//! `kairos replay` needs): a conversion before any exposure counts for nothing. State is kept
//! per visitor and slot, never per event.

pub mod stats;
pub mod svg;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// How a lift is counted.
#[derive(Debug, Clone)]
pub struct LiftOptions {
    /// The conversion event's name, normalised as kairos normalises event names.
    pub conversion: String,
    /// A numeric property of the conversion to sum per visitor (`--value`).
    pub value: Option<String>,
    /// How long after the first exposure a conversion counts.
    pub within_ms: i64,
    /// The bundle's holdout share (0–1), for the sample-ratio-mismatch check.
    pub holdout_share: Option<f64>,
}

/// A line that could not be read: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub why: String,
}

#[derive(Deserialize)]
struct LogLine {
    #[serde(default)]
    event: Option<String>,
    #[serde(default, rename = "userId")]
    user_id: Option<String>,
    #[serde(default, rename = "anonymousId")]
    anonymous_id: Option<String>,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
    #[serde(default)]
    properties: serde_json::Map<String, serde_json::Value>,
}

/// One visitor's first exposure in one slot, and what followed it.
#[derive(Debug, Clone)]
struct Seen {
    slot: u32,
    first_ms: i64,
    holdout: bool,
    variant: u32,
    converted: bool,
    value: f64,
}

/// The counting, line by line.
#[derive(Debug)]
pub struct Lift {
    options: LiftOptions,
    slots: Vec<String>,
    variants: Vec<String>,
    visitors: HashMap<String, Vec<Seen>>,
    lines: u64,
    exposures: u64,
    conversions: u64,
    bad: Vec<BadLine>,
    bad_count: u64,
}

/// Most bad lines kept for the report (all are counted).
const MAX_BAD_KEPT: usize = 20;

impl Lift {
    pub fn new(options: LiftOptions) -> Lift {
        Lift {
            options,
            slots: Vec::new(),
            variants: Vec::new(),
            visitors: HashMap::new(),
            lines: 0,
            exposures: 0,
            conversions: 0,
            bad: Vec::new(),
            bad_count: 0,
        }
    }

    fn intern(list: &mut Vec<String>, name: &str) -> u32 {
        match list.iter().position(|s| s == name) {
            Some(i) => i as u32,
            None => {
                list.push(name.to_owned());
                (list.len() - 1) as u32
            }
        }
    }

    /// Reads one line. A line that is not an exposure or the conversion is skipped; one that
    /// cannot be read is counted, kept (the first few) and returned as the error.
    pub fn push_line(&mut self, text: &str) -> Result<(), BadLine> {
        self.lines += 1;
        if text.trim().is_empty() {
            return Ok(());
        }
        match self.read(text) {
            Ok(()) => Ok(()),
            Err(why) => {
                let bad = BadLine { line: self.lines, why };
                self.bad_count += 1;
                if self.bad.len() < MAX_BAD_KEPT {
                    self.bad.push(bad.clone());
                }
                Err(bad)
            }
        }
    }

    fn read(&mut self, text: &str) -> Result<(), String> {
        let line: LogLine = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let Some(event) = line.event.as_deref() else { return Ok(()) };
        let visitor = line.user_id.or(line.anonymous_id).ok_or("no userId or anonymousId")?;
        let at = match &line.timestamp {
            Some(serde_json::Value::String(s)) => kairos::time::parse_timestamp(s).map_err(|e| e.message)?,
            Some(serde_json::Value::Number(n)) => n.as_i64().ok_or("timestamp is not whole milliseconds")?,
            _ => return Err("no timestamp".into()),
        };
        if event == kairos::exposure::EVENT {
            let text = |key: &str| {
                line.properties.get(key).and_then(|v| v.as_str()).ok_or(format!("properties.{key} missing"))
            };
            let slot = Self::intern(&mut self.slots, text("slot")?);
            let holdout =
                line.properties.get("holdout").and_then(|v| v.as_bool()).ok_or("properties.holdout missing")?;
            let variant = Self::intern(&mut self.variants, text("variant")?);
            self.exposures += 1;
            let seen = self.visitors.entry(visitor).or_default();
            if !seen.iter().any(|s| s.slot == slot) {
                seen.push(Seen { slot, first_ms: at, holdout, variant, converted: false, value: 0.0 });
            }
            return Ok(());
        }
        if kairos::context::normalize_event_name(event) != self.options.conversion {
            return Ok(());
        }
        let value = match &self.options.value {
            None => 0.0,
            Some(prop) => line.properties.get(prop).and_then(|v| v.as_f64()).unwrap_or(0.0),
        };
        self.conversions += 1;
        if let Some(seen) = self.visitors.get_mut(&visitor) {
            for s in seen.iter_mut().filter(|s| at >= s.first_ms && at - s.first_ms <= self.options.within_ms) {
                s.converted = true;
                s.value += value;
            }
        }
        Ok(())
    }

    /// The report, with intervals at `level` (0.95).
    pub fn report(&self, level: f64) -> LiftReport {
        let z = stats::z_for(level);
        let with_value = self.options.value.is_some();
        let mut per_slot: Vec<SlotCounts> = vec![SlotCounts::default(); self.slots.len()];
        for seen in self.visitors.values().flatten() {
            let c = &mut per_slot[seen.slot as usize];
            let group = if seen.holdout { &mut c.holdout } else { &mut c.treated };
            group.add(seen.converted, seen.value);
            if !seen.holdout {
                c.variants.entry(seen.variant).or_default().add(seen.converted, seen.value);
            }
        }
        let slots = self
            .slots
            .iter()
            .zip(&per_slot)
            .map(|(name, c)| {
                let variants = c
                    .variants
                    .iter()
                    .map(|(v, g)| {
                        let lifts = Lifts::of(g, &c.holdout, z, level, with_value);
                        (self.variants[*v as usize].clone(), Comparison { group: g.summary(with_value), lifts })
                    })
                    .collect();
                let srm_p = self
                    .options
                    .holdout_share
                    .and_then(|share| stats::srm_p(c.holdout.visitors, c.treated.visitors, share));
                let slot = SlotLift {
                    holdout: c.holdout.summary(with_value),
                    treated: c.treated.summary(with_value),
                    lifts: Lifts::of(&c.treated, &c.holdout, z, level, with_value),
                    srm_p,
                    variants,
                };
                (name.clone(), slot)
            })
            .collect::<BTreeMap<_, _>>();
        let no_holdout = per_slot.iter().all(|c| c.holdout.visitors == 0);
        LiftReport {
            slots,
            lines: self.lines,
            exposures: self.exposures,
            conversions: self.conversions,
            visitors: self.visitors.len() as u64,
            bad_lines: self.bad_count,
            first_bad: self.bad.clone().into_iter().map(|b| format!("line {}: {}", b.line, b.why)).collect(),
            note: no_holdout.then(|| "the log has no holdout exposures: lift cannot be measured".to_owned()),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Group {
    visitors: u64,
    conversions: u64,
    value: stats::Moments,
}

impl Group {
    fn add(&mut self, converted: bool, value: f64) {
        self.visitors += 1;
        self.conversions += u64::from(converted);
        self.value.add(value);
    }

    fn summary(&self, with_value: bool) -> GroupSummary {
        GroupSummary {
            visitors: self.visitors,
            conversions: self.conversions,
            rate: (self.visitors > 0).then(|| self.conversions as f64 / self.visitors as f64),
            value_per_visitor: self.value.mean().filter(|_| with_value),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct SlotCounts {
    holdout: Group,
    treated: Group,
    variants: BTreeMap<u32, Group>,
}

/// One group's counts (`value_per_visitor` only with a value property).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    pub visitors: u64,
    pub conversions: u64,
    pub rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_per_visitor: Option<f64>,
}

/// A group against the holdout: absolute lift (Newcombe), relative lift (Katz) and, with a value
/// property, the difference in value per visitor (Welch). None where the counts cannot say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lifts {
    pub lift_abs: Option<f64>,
    pub lift_abs_ci95: Option<[f64; 2]>,
    pub lift_rel: Option<f64>,
    pub lift_rel_ci95: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_diff: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_diff_ci95: Option<[f64; 2]>,
}

impl Lifts {
    fn of(group: &Group, holdout: &Group, z: f64, level: f64, with_value: bool) -> Lifts {
        let abs = stats::newcombe(group.conversions, group.visitors, holdout.conversions, holdout.visitors, z);
        let rel = stats::relative(group.conversions, group.visitors, holdout.conversions, holdout.visitors, z);
        let value = stats::welch(&group.value, &holdout.value, level).filter(|_| with_value);
        Lifts {
            lift_abs: abs.map(|a| a.0),
            lift_abs_ci95: abs.map(|a| [a.1, a.2]),
            lift_rel: rel.map(|r| r.0),
            lift_rel_ci95: rel.map(|r| [r.1, r.2]),
            value_diff: value.map(|v| v.0),
            value_diff_ci95: value.map(|v| [v.1, v.2]),
        }
    }
}

/// A variant: its counts and its lifts against the holdout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    #[serde(flatten)]
    pub group: GroupSummary,
    #[serde(flatten)]
    pub lifts: Lifts,
}

/// One slot: the holdout, every treated visitor, their lift against the holdout, and each
/// variant against the holdout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotLift {
    pub holdout: GroupSummary,
    /// Every visitor not in the holdout.
    pub treated: GroupSummary,
    /// The treated visitors against the holdout.
    #[serde(flatten)]
    pub lifts: Lifts,
    /// The p-value of the sample-ratio-mismatch check (None without the bundle's holdout share).
    pub srm_p: Option<f64>,
    pub variants: BTreeMap<String, Comparison>,
}

/// What `kairos lift` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiftReport {
    pub slots: BTreeMap<String, SlotLift>,
    pub lines: u64,
    pub exposures: u64,
    pub conversions: u64,
    pub visitors: u64,
    pub bad_lines: u64,
    /// The first bad lines, located.
    pub first_bad: Vec<String>,
    /// Said plainly when the log cannot answer (no holdout exposures).
    pub note: Option<String>,
}

#[cfg(test)]
mod tests;
