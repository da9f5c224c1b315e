//! The packed history as stored bytes: events in order as (time since the previous, group), then
//! per group only what the plan keeps (filter matches as bits, numbers, values). Running counts and
//! sums are rebuilt on restore, so they cost nothing to store. Untrusted on the way back in: every
//! length is checked against the plan, and a mismatch names the field.

use super::packed::{is_whole, Group, Key, Packed, Row};
use super::plan::Plan;
use crate::context::{Scalar, MAX_MS, MIN_MS};
use crate::limits::{MAX_CONTEXT_STRING_BYTES, MAX_EVENTS};
use serde::{Deserialize, Serialize};

/// A number column's entry: most analytics numbers are whole, and a varint stores them in a byte or two.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum SavedNum {
    None,
    Whole(i64),
    Float(f64),
}

/// A value column's entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum SavedScalar {
    Bool(bool),
    Num(f64),
    Str(String),
}

impl SavedScalar {
    pub(crate) fn of(v: &Scalar) -> Option<SavedScalar> {
        match v {
            Scalar::Null => None,
            Scalar::Bool(b) => Some(SavedScalar::Bool(*b)),
            Scalar::Num(n) => Some(SavedScalar::Num(*n)),
            Scalar::Str(s) => Some(SavedScalar::Str(s.clone())),
        }
    }
    pub(crate) fn into_scalar(self) -> Result<Scalar, &'static str> {
        Ok(match self {
            SavedScalar::Bool(b) => Scalar::Bool(b),
            SavedScalar::Num(n) if n.is_finite() => Scalar::Num(n),
            SavedScalar::Num(_) => return Err("a value is not a finite number"),
            SavedScalar::Str(s) if s.len() <= MAX_CONTEXT_STRING_BYTES => Scalar::Str(s),
            SavedScalar::Str(_) => return Err("a value is longer than a context string may be"),
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SavedGroup {
    /// Per filter: one bit per event of the group, oldest first.
    matched: Vec<Vec<u8>>,
    nums: Vec<Vec<SavedNum>>,
    vals: Vec<Vec<Option<SavedScalar>>>,
}

/// The stored form of a [`Packed`] history.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedHistory {
    first_at: i64,
    /// Per event, oldest first: (ms since the previous one, group + 1; 0 = a name no rule reads).
    steps: Vec<(u64, u32)>,
    groups: Vec<SavedGroup>,
}

// Read by hand ([`crate::decode`]), in declaration order and variant index.
crate::decode::decode_struct!(SavedGroup { matched, nums, vals });
crate::decode::decode_struct!(SavedHistory { first_at, steps, groups });

impl crate::decode::Decode for SavedNum {
    fn decode(b: &mut crate::decode::Bytes<'_>) -> crate::decode::Result<SavedNum> {
        use crate::decode::{variant, UNKNOWN_VARIANT};
        Ok(match variant(b)? {
            0 => SavedNum::None,
            1 => SavedNum::Whole(i64::decode(b)?),
            2 => SavedNum::Float(f64::decode(b)?),
            _ => return Err(UNKNOWN_VARIANT),
        })
    }
}

impl crate::decode::Decode for SavedScalar {
    fn decode(b: &mut crate::decode::Bytes<'_>) -> crate::decode::Result<SavedScalar> {
        use crate::decode::{variant, UNKNOWN_VARIANT};
        Ok(match variant(b)? {
            0 => SavedScalar::Bool(bool::decode(b)?),
            1 => SavedScalar::Num(f64::decode(b)?),
            2 => SavedScalar::Str(String::decode(b)?),
            _ => return Err(UNKNOWN_VARIANT),
        })
    }
}

impl Packed {
    /// The stored form: ties keep their order, numbered afresh on restore.
    pub fn to_saved(&self, plan: &Plan) -> SavedHistory {
        // A history that never had an event has made no groups: the stored form has them all.
        let unmade: Vec<Group>;
        let groups = match self.groups.is_empty() {
            true => {
                unmade = plan.groups.iter().map(Group::new).collect();
                &unmade
            }
            false => &self.groups,
        };
        let first_at = self.keys.first().map_or(0, |k| k.at);
        let mut prev = first_at;
        let steps = self
            .keys
            .iter()
            .map(|k| {
                let delta = k.at.abs_diff(prev);
                prev = k.at;
                (delta, k.group.wrapping_add(1))
            })
            .collect();
        let groups = groups
            .iter()
            .map(|g| SavedGroup {
                matched: (0..g.matched.len() as u32)
                    .map(|s| {
                        let mut bits = vec![0u8; g.len().div_ceil(8)];
                        for i in 0..g.len() {
                            if g.passes(Some(s), i) {
                                if let Some(b) = bits.get_mut(i / 8) {
                                    *b |= 1 << (i % 8);
                                }
                            }
                        }
                        bits
                    })
                    .collect(),
                nums: g
                    .nums
                    .iter()
                    .map(|c| {
                        c.iter()
                            .map(|&v| match v {
                                v if v.is_nan() => SavedNum::None,
                                v if is_whole(v) && v.abs() < 9.0e15 => SavedNum::Whole(v as i64),
                                v => SavedNum::Float(v),
                            })
                            .collect()
                    })
                    .collect(),
                vals: g.vals.iter().map(|c| c.iter().map(|v| v.as_ref().and_then(SavedScalar::of)).collect()).collect(),
            })
            .collect();
        SavedHistory { first_at, steps, groups }
    }

    /// Rebuilds a history from its stored form, checking every length against `plan`.
    pub fn from_saved(plan: &Plan, saved: SavedHistory) -> Result<Packed, &'static str> {
        if saved.steps.len() > MAX_EVENTS {
            return Err("more events than a history may keep");
        }
        if saved.groups.len() != plan.groups.len() {
            return Err("the event names do not match the bundle's");
        }
        let mut counts = vec![0usize; plan.groups.len()];
        for &(_, g) in &saved.steps {
            if g == 0 {
                continue;
            }
            *counts.get_mut(g as usize - 1).ok_or("an event names a group the bundle does not have")? += 1;
        }
        for ((g, gp), &n) in saved.groups.iter().zip(&plan.groups).zip(&counts) {
            let bits_ok = g.matched.len() == gp.streams.len() && g.matched.iter().all(|b| b.len() == n.div_ceil(8));
            if !bits_ok {
                return Err("filter matches do not fit the bundle's filters");
            }
            if g.nums.len() != gp.nums.len() || g.nums.iter().any(|c| c.len() != n) {
                return Err("number columns do not fit the bundle's");
            }
            if g.vals.len() != gp.vals.len() || g.vals.iter().any(|c| c.len() != n) {
                return Err("value columns do not fit the bundle's");
            }
        }
        if !(MIN_MS..=MAX_MS).contains(&saved.first_at) {
            return Err("an event time is out of range");
        }
        let mut packed = Packed::new(plan);
        // Each group's columns, consumed in order as its events come.
        let mut nums: Vec<Vec<std::vec::IntoIter<SavedNum>>> = Vec::new();
        let mut vals: Vec<Vec<std::vec::IntoIter<Option<SavedScalar>>>> = Vec::new();
        let mut bits: Vec<Vec<Vec<u8>>> = Vec::new();
        for g in saved.groups {
            nums.push(g.nums.into_iter().map(Vec::into_iter).collect());
            vals.push(g.vals.into_iter().map(Vec::into_iter).collect());
            bits.push(g.matched);
        }
        let mut seen = vec![0usize; plan.groups.len()];
        let mut at = saved.first_at;
        for (seq, (delta, g)) in saved.steps.into_iter().enumerate() {
            at = i64::try_from(delta)
                .ok()
                .and_then(|d| at.checked_add(d))
                .filter(|t| *t <= MAX_MS)
                .ok_or("an event time is out of range")?;
            let key = Key { at, seq: seq as u32, group: g.wrapping_sub(1) };
            packed.keys.push(key);
            let Some(gi) = g.checked_sub(1).map(|g| g as usize) else { continue };
            let (Some(_), Some(i)) = (plan.groups.get(gi), seen.get_mut(gi)) else { continue };
            let row = Row {
                matches: bits.get(gi).map_or(Vec::new(), |b| {
                    b.iter().map(|s| s.get(*i / 8).is_some_and(|byte| byte & (1 << (*i % 8)) != 0)).collect()
                }),
                nums: nums.get_mut(gi).map_or(Vec::new(), |cols| {
                    cols.iter_mut()
                        .map(|c| match c.next() {
                            Some(SavedNum::Whole(n)) => n as f64,
                            Some(SavedNum::Float(f)) if f.is_finite() => f,
                            _ => f64::NAN,
                        })
                        .collect()
                }),
                vals: match vals.get_mut(gi) {
                    Some(cols) => cols
                        .iter_mut()
                        .map(|c| c.next().flatten().map(SavedScalar::into_scalar).transpose())
                        .collect::<Result<_, _>>()?,
                    None => Vec::new(),
                },
            };
            *i += 1;
            packed.insert_row(plan, gi as u32, key, row);
        }
        packed.next_seq = packed.keys.len() as u32;
        Ok(packed)
    }
}
