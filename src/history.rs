//! The event history, indexed once per decision by event name so every
//! aggregate reads only its own events and finds its window by binary search.

use crate::context::Event;
use std::collections::HashMap;

/// Reserved events written by the surfaces: a variant was shown, or converted.
pub const EXPOSURE: &str = "$exposure";
pub const CONVERSION: &str = "$conversion";

/// Events grouped by name id, oldest first.
pub struct History<'c> {
    /// Per name id: the events, sorted by time.
    by_name: Vec<Vec<&'c Event>>,
    /// How many events the bound dropped (for the explanation).
    pub dropped: usize,
}

impl<'c> History<'c> {
    /// Keeps the newest `max` events not after `now`, grouped by the ids `lookup` assigns.
    pub fn index(
        events: &'c [Event],
        now: i64,
        max: usize,
        lookup: &HashMap<String, u32>,
        names: usize,
    ) -> History<'c> {
        let mut past: Vec<&Event> = events.iter().filter(|e| e.at <= now).collect();
        past.sort_by_key(|e| e.at);
        let dropped = past.len().saturating_sub(max);
        let mut by_name: Vec<Vec<&Event>> = vec![Vec::new(); names];
        for e in &past[dropped..] {
            if let Some(&id) = lookup.get(e.name.as_str()) {
                if let Some(list) = by_name.get_mut(id as usize) {
                    list.push(e);
                }
            }
        }
        History { by_name, dropped }
    }

    /// An empty history (no consent: nothing is read).
    pub fn empty() -> History<'c> {
        History { by_name: Vec::new(), dropped: 0 }
    }

    /// Events of one name with `from <= at <= now`, oldest first.
    pub fn window(&self, id: u32, from: Option<i64>) -> &[&'c Event] {
        let list = self.by_name.get(id as usize).map_or(&[][..], Vec::as_slice);
        match from {
            Some(from) => &list[list.partition_point(|e| e.at < from)..],
            None => list,
        }
    }
}
