//! One customer as the replay keeps it between decisions, and the key it is found by.

use super::names::{NameInfo, Names};
use super::options::MAX_PROFILE_KEYS;
use super::session::{prop, SessionTrack};
use crate::log::{Log, Value};
use crate::reader::{Line, Val};
use kairos::context::{CachedScore, Context, Finite, Scalar, Text, Timestamp, MAX_STRING_BYTES};
use kairos::Tri;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// What a replay keeps of one customer: the parts of a context that outlive a decision (lent
/// to the replay's one decision context while deciding), packed events, the session summary.
pub(super) struct Customer {
    pub(super) id: Option<Text>,
    profile: BTreeMap<String, Scalar>,
    scores: BTreeMap<String, CachedScore>,
    consent: BTreeMap<String, bool>,
    timezone: Option<Text>,
    consent_stated: bool,
    /// Latest line of any kind.
    pub(super) last_seen: i64,
    pub(super) log: Log,
    pub(super) session: SessionTrack,
    /// Segment membership at the previous step.
    pub(super) member: Vec<bool>,
    /// The last decision as counted, and until when it holds; `dirty` once a line changed
    /// anything since.
    pub(super) last: Counted,
    pub(super) dirty: bool,
    /// When the next kept event leaves the history, time alone (`Log::first_dropped`).
    pub(super) kept_until: i64,
}

/// A decision as a step counts it: each segment's truth, each slot's variant (0: the default),
/// the missing signals' ids, and until when it holds without new input.
#[derive(Default)]
pub(super) struct Counted {
    pub(super) truths: Vec<Tri>,
    pub(super) variants: Vec<u32>,
    pub(super) missing: Vec<u32>,
    pub(super) until: i64,
}

/// Sets a profile value, reusing the old string's allocation when both are strings.
fn set_scalar(slot: &mut Scalar, v: &Val) {
    match (slot, v) {
        (Scalar::Str(old), Val::Str(s)) => {
            old.clear();
            old.push_str(s);
        }
        (slot, Val::Str(s)) => *slot = Scalar::Str(s.to_string()),
        (slot, Val::Num(n)) => *slot = Scalar::Num(*n),
        (slot, Val::Bool(b)) => *slot = Scalar::Bool(*b),
        (slot, Val::Null | Val::Nested) => *slot = Scalar::Null,
    }
}

impl Customer {
    pub(super) fn new(id: &str, assume_consent: bool, segments: usize) -> Customer {
        let mut consent = BTreeMap::new();
        if assume_consent {
            consent.insert("personalization".into(), true);
        }
        Customer {
            id: Some(Text(id.to_owned())),
            profile: BTreeMap::new(),
            scores: BTreeMap::new(),
            consent,
            timezone: None,
            consent_stated: false,
            last_seen: i64::MIN,
            log: Log::new(),
            session: SessionTrack::none(),
            member: vec![false; segments],
            last: Counted::default(),
            dirty: true,
            kept_until: i64::MIN,
        }
    }

    /// Lends this customer's id, profile, scores, consent and zone to `ctx` (swapped, not
    /// copied) and sets its time, session and place for a decision at `now`.
    pub(super) fn lend(&mut self, ctx: &mut Context, now: i64, timeout: i64) {
        self.swap(ctx);
        ctx.now = Timestamp(now);
        (ctx.session, ctx.geo) = self.session.context(now, timeout).unwrap_or_default();
    }

    /// Takes back what [`Customer::lend`] lent.
    pub(super) fn take_back(&mut self, ctx: &mut Context) {
        self.swap(ctx);
    }

    fn swap(&mut self, ctx: &mut Context) {
        std::mem::swap(&mut self.id, &mut ctx.customer_id);
        std::mem::swap(&mut self.profile, &mut ctx.profile);
        std::mem::swap(&mut self.scores, &mut ctx.scores);
        std::mem::swap(&mut self.consent, &mut ctx.consent);
        std::mem::swap(&mut self.timezone, &mut ctx.timezone);
    }

    /// Applies a profile update: the attributes and scores rules read (the others are dropped).
    /// Known keys are updated in place (no new key, and a string value
    /// reuses its allocation): profile lines repeat the same keys all the time.
    pub(super) fn update_profile(&mut self, line: &Line, at: i64, names: &Names) {
        for (k, v) in &line.attrs {
            if !names.profile.iter().any(|p| p == k) {
                continue;
            }
            let room = self.profile.len() < MAX_PROFILE_KEYS;
            if matches!(v, Val::Nested) || matches!(v, Val::Str(s) if s.len() > MAX_STRING_BYTES) {
                continue;
            }
            match self.profile.get_mut(&**k) {
                Some(old) => set_scalar(old, v),
                None if room => {
                    let mut new = Scalar::Null;
                    set_scalar(&mut new, v);
                    self.profile.insert(k.to_string(), new);
                }
                None => {}
            }
        }
        if !line.consent.is_empty() && !self.consent_stated {
            // Stated consent replaces the assumed one.
            self.consent_stated = true;
            self.consent.clear();
        }
        for (k, v) in &line.consent {
            let room = self.consent.len() < MAX_PROFILE_KEYS;
            match self.consent.get_mut(&**k) {
                Some(old) => *old = *v,
                None if room => {
                    self.consent.insert(k.to_string(), *v);
                }
                None => {}
            }
        }
        for s in &line.scores {
            let Val::Num(value) = s.value else { continue };
            if !names.scores.iter().any(|n| *n == s.name) {
                continue;
            }
            let room = self.scores.len() < MAX_PROFILE_KEYS;
            let score = CachedScore { value: Finite(value), computed_at: Timestamp(s.computed_at.unwrap_or(at)) };
            match self.scores.get_mut(&*s.name) {
                Some(old) => *old = score,
                None if room => {
                    self.scores.insert(s.name.to_string(), score);
                }
                None => {}
            }
        }
        if let Some(tz) = &line.timezone {
            match &mut self.timezone {
                Some(Text(old)) if old == tz => {}
                zone if tz.len() <= MAX_STRING_BYTES => *zone = Some(Text(tz.to_string())),
                _ => {}
            }
        }
    }

    /// Keeps an event a rule reads, with only the properties rules read.
    pub(super) fn keep(&mut self, info: &NameInfo, id: u16, at: i64, props: &[(Cow<str>, Val)], max_history: usize) {
        let kept = info.props.iter().enumerate().filter_map(|(i, key)| {
            let v = match prop(props, key)? {
                Val::Str(s) => Value::Str(s),
                Val::Num(n) => Value::Num(*n),
                Val::Bool(b) => Value::Bool(*b),
                _ => return None,
            };
            Some((u8::try_from(i).ok()?, v))
        });
        self.log.push(at, id, kept);
        // Between steps only the newest `max_history` can count: drop the rest now and then.
        if self.log.len() >= 2 * max_history.max(16) {
            self.log.keep(|_| i64::MIN, max_history);
        }
    }
}
