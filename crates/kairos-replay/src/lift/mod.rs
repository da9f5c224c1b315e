//! Incremental lift of each slot against the bundle's holdout, from exposure and conversion
//! events in one NDJSON log (`kairos lift`). `read` scans the log with the replay's scanner,
//! `stats` holds the interval methods, `svg` draws the chart.
//!
//! Attribution (docs/measurement.md): a visitor is its `userId`, else its `anonymousId`, as
//! buckets hash the customer id first. A visitor's arm in a slot is fixed by their first exposure
//! in it. A conversion counts for that slot when it comes at or after that first exposure and
//! within `within_ms` of it. The log is read in the order given, which must be time order (as
//! `kairos replay` needs): a conversion before any exposure counts for nothing. State is kept
//! per visitor and slot, never per event.

mod read;
pub mod stats;
pub mod svg;

use crate::ids::{FastMap, IdKey};
use serde::Serialize;
use std::collections::BTreeMap;

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

/// A line that could not be read: where (the column when the problem is at a place in it), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub column: Option<usize>,
    pub why: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column {c}: {}", self.line, self.why),
            None => write!(f, "line {}: {}", self.line, self.why),
        }
    }
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

/// Names seen in the log (slots, variants), numbered in order of appearance.
#[derive(Debug, Default)]
struct Interner {
    names: Vec<String>,
    index: FastMap<Box<str>, u32>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.index.insert(name.into(), id);
        id
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }
}

/// The counting, line by line.
pub struct Lift {
    options: LiftOptions,
    names: read::Names,
    slots: Interner,
    variants: Interner,
    visitors: FastMap<IdKey, Vec<Seen>>,
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
            names: read::Names::new(&options),
            options,
            slots: Interner::default(),
            variants: Interner::default(),
            visitors: FastMap::default(),
            lines: 0,
            exposures: 0,
            conversions: 0,
            bad: Vec::new(),
            bad_count: 0,
        }
    }

    /// Counts one exposure: the first in a slot fixes the visitor's arm there.
    fn exposed(&mut self, visitor: &str, at: i64, slot: &str, variant: &str, holdout: bool) {
        let slot = self.slots.id(slot);
        let variant = self.variants.id(variant);
        self.exposures += 1;
        let seen = self.visitors.entry(IdKey::new(visitor)).or_default();
        if !seen.iter().any(|s| s.slot == slot) {
            seen.push(Seen { slot, first_ms: at, holdout, variant, converted: false, value: 0.0 });
        }
    }

    /// Counts one conversion for every slot whose first exposure it follows within the window.
    fn converted(&mut self, visitor: &str, at: i64, value: f64) {
        self.conversions += 1;
        let within = self.options.within_ms;
        if let Some(seen) = self.visitors.get_mut(&IdKey::new(visitor)) {
            for s in seen.iter_mut().filter(|s| at >= s.first_ms && at - s.first_ms <= within) {
                s.converted = true;
                s.value += value;
            }
        }
    }

    /// The report, with intervals at `level` (0.95).
    pub fn report(&self, level: f64) -> LiftReport {
        let z = stats::z_for(level);
        let with_value = self.options.value.is_some();
        let mut per_slot: Vec<SlotCounts> = vec![SlotCounts::default(); self.slots.names.len()];
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
            .names
            .iter()
            .zip(&per_slot)
            .map(|(name, c)| {
                let variants = c
                    .variants
                    .iter()
                    .map(|(v, g)| {
                        let lifts = Lifts::of(g, &c.holdout, z, level, with_value);
                        (self.variants.name(*v).to_owned(), Comparison { group: g.summary(with_value), lifts })
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
            first_bad: self.bad.iter().map(BadLine::to_string).collect(),
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
