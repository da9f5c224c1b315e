//! What the replay and its report both name: where the lookback came from, and the counters.
//! Kept apart from both so the dependency goes one way (`state` → `report` → `types`): the
//! replay builds a [`crate::report::Report`], which holds these.

/// Where the lookback came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookback {
    /// The bundle's longest window (or the session timeout, if longer).
    Bundle,
    /// The bundle reads the whole history; capped at
    /// [`UNBOUNDED_LOOKBACK`](crate::state::UNBOUNDED_LOOKBACK).
    Capped,
    /// Given with `--lookback`.
    Given,
}

/// Counters a caller can watch while (or after) replaying.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub lines: u64,
    /// Lines that were events (an `identify` is an event too, as in contexts).
    pub events: u64,
    pub profile_updates: u64,
    /// Bad lines skipped (with `skip_bad`), and the first few: (line, column, message).
    pub skipped: u64,
    pub bad_lines: Vec<(u64, usize, String)>,
    /// Lines older than a step already counted.
    pub late: u64,
    /// Customers counted at a step (every active customer, every step).
    pub decisions: u64,
    /// Of those, how many were not decided again: nothing they read could have changed.
    pub reused: u64,
    /// Customers held now, and at most at once.
    pub resident: usize,
    pub peak_resident: usize,
    /// Events held now in every customer's history.
    pub held_events: usize,
    /// Customers forgotten after a lookback without activity.
    pub evicted: u64,
}
