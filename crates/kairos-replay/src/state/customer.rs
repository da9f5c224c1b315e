//! One customer as the replay keeps it between decisions, and the key it is found by.

use super::names::{NameInfo, Names};
use super::options::MAX_PROFILE_KEYS;
use super::session::{prop, SessionTrack};
use crate::reader::{Line, Val};
use kairos::context::{CachedScore, Event, Finite, Scalar, Text, Timestamp, MAX_STRING_BYTES};
use kairos::{Engine, Person, Resident, Tri};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// What a replay keeps of one customer: the person and the history packed for the bundle (a
/// [`Resident`], indexed once and appended to, lent to the replay's one decision context while
/// deciding), the session summary, and what the last step counted.
pub(super) struct Customer {
    pub(super) resident: Resident,
    consent_stated: bool,
    /// Latest line of any kind.
    pub(super) last_seen: i64,
    pub(super) session: SessionTrack,
    /// Segment membership at the previous step.
    pub(super) member: Vec<bool>,
    /// The last decision as counted, and until when it holds; `dirty` once a line changed
    /// anything since.
    pub(super) last: Counted,
    pub(super) dirty: bool,
    /// When the next kept event leaves the history, time alone ([`Resident::first_forgotten`]).
    pub(super) kept_until: i64,
    /// The step that visited it last.
    pub(super) visited: i64,
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
    pub(super) fn new(engine: &Engine, id: &str, assume_consent: bool, segments: usize) -> Customer {
        let mut consent = BTreeMap::new();
        if assume_consent {
            consent.insert("personalization".into(), true);
        }
        let person = Person { customer_id: Some(Text(id.to_owned())), consent, ..Person::default() };
        Customer {
            resident: Resident::new(engine, person),
            consent_stated: false,
            last_seen: i64::MIN,
            session: SessionTrack::none(),
            member: vec![false; segments],
            last: Counted::default(),
            dirty: true,
            kept_until: i64::MIN,
            visited: i64::MIN,
        }
    }

    /// Applies a profile update: the attributes and scores rules read (the others are dropped).
    /// Known keys are updated in place (no new key, and a string value
    /// reuses its allocation): profile lines repeat the same keys all the time.
    pub(super) fn update_profile(&mut self, line: &Line, at: i64, names: &Names) {
        let person = &mut self.resident.person;
        for (k, v) in &line.attrs {
            if !names.profile.iter().any(|p| p == k) {
                continue;
            }
            let room = person.profile.len() < MAX_PROFILE_KEYS;
            if matches!(v, Val::Nested) || matches!(v, Val::Str(s) if s.len() > MAX_STRING_BYTES) {
                continue;
            }
            match person.profile.get_mut(&**k) {
                Some(old) => set_scalar(old, v),
                None if room => {
                    let mut new = Scalar::Null;
                    set_scalar(&mut new, v);
                    person.profile.insert(k.to_string(), new);
                }
                None => {}
            }
        }
        if !line.consent.is_empty() && !self.consent_stated {
            // Stated consent replaces the assumed one.
            self.consent_stated = true;
            person.consent.clear();
        }
        for (k, v) in &line.consent {
            let room = person.consent.len() < MAX_PROFILE_KEYS;
            match person.consent.get_mut(&**k) {
                Some(old) => *old = *v,
                None if room => {
                    person.consent.insert(k.to_string(), *v);
                }
                None => {}
            }
        }
        for s in &line.scores {
            let Val::Num(value) = s.value else { continue };
            if !names.scores.iter().any(|n| *n == s.name) {
                continue;
            }
            let room = person.scores.len() < MAX_PROFILE_KEYS;
            let score = CachedScore { value: Finite(value), computed_at: Timestamp(s.computed_at.unwrap_or(at)) };
            match person.scores.get_mut(&*s.name) {
                Some(old) => *old = score,
                None if room => {
                    person.scores.insert(s.name.to_string(), score);
                }
                None => {}
            }
        }
        if let Some(tz) = &line.timezone {
            match &mut person.timezone {
                Some(Text(old)) if old == tz => {}
                zone if tz.len() <= MAX_STRING_BYTES => *zone = Some(Text(tz.to_string())),
                _ => {}
            }
        }
    }

    /// Keeps an event a rule reads, with only the properties rules read. `event` is refilled
    /// for it (its strings are reused from line to line).
    pub(super) fn keep(
        &mut self,
        engine: &Engine,
        info: &NameInfo,
        at: i64,
        props: &[(Cow<str>, Val)],
        event: &mut Event,
    ) {
        event.name.clear();
        event.name.push_str(&info.name);
        event.at = at;
        let mut n = 0;
        for key in &info.props {
            let Some(value) = prop(props, key).filter(|v| matches!(v, Val::Str(_) | Val::Num(_) | Val::Bool(_))) else {
                continue;
            };
            if n == event.props.len() {
                event.props.push((String::new(), Scalar::Null));
            }
            let Some((slot_key, slot)) = event.props.get_mut(n) else { break };
            slot_key.clear();
            slot_key.push_str(key);
            set_scalar(slot, value);
            n += 1;
        }
        event.props.truncate(n);
        // The reader has checked what the core would refuse (name and string lengths, times).
        let kept = self.resident.track_ref(engine, event);
        debug_assert!(kept.is_ok(), "{kept:?}");
    }
}
