//! The replay itself: customers kept while active, step boundaries, and the counting.
//!
//! Lines must come in time order (as `kairos gen` writes them). A line older than a step already
//! counted is still added to its customer's history (it counts from the next step on) and is
//! reported as *late*.
//!
//! Here: [`Replay`] and what it holds. `options`: how a replay runs, its limits and errors;
//! `names`: what the bundle reads of each event name; `session` and `customer`: what is kept
//! per customer; `read`: each line applied to its customer; `step`: the counting at step
//! boundaries.

mod customer;
mod names;
mod options;
mod read;
mod session;
mod step;

use super::report::StepRow;
use crate::ids::{FastMap, IdKey};
use customer::Customer;
use kairos::context::{Context, Event};
use kairos::Engine;
use names::Names;

pub use options::{ReplayError, ReplayOptions, MAX_LINE_BYTES, MAX_STEPS, UNBOUNDED_LOOKBACK};

// Still public here (`kairos_replay::state::Stats`); defined in `types`, which the report shares
// without depending on the replay.
pub use super::types::{Lookback, Stats};

/// A replay in progress. Feed it a log with [`Replay::read`], then [`Replay::finish`].
pub struct Replay<'e> {
    engine: &'e Engine,
    opts: ReplayOptions,
    lookback: i64,
    lookback_source: Lookback,
    /// Whether decisions must build content (only when one slot's content reads another's).
    content: bool,
    names: Names,
    index: FastMap<IdKey, u32>,
    customers: Vec<Option<Customer>>,
    free: Vec<u32>,
    /// Next step boundary to count, once the first line fixed the grid.
    next: Option<i64>,
    /// Latest boundary counted.
    counted: Option<i64>,
    /// Latest line time seen.
    latest: Option<i64>,
    done: bool,
    line_no: u64,
    rows: Vec<StepRow>,
    missing_names: Vec<String>,
    missing_ids: FastMap<String, u32>,
    missing_totals: Vec<u64>,
    stats: Stats,
    /// The one context decisions read: each customer's parts are lent to it in turn.
    scratch: Context,
    /// Events `scratch` does not need right now, kept for their strings.
    spare: Vec<Event>,
}

impl<'e> Replay<'e> {
    pub fn new(engine: &'e Engine, opts: ReplayOptions) -> Replay<'e> {
        let (lookback, lookback_source) = match (opts.lookback, engine.program.longest_window_ms()) {
            (Some(l), _) => (l, Lookback::Given),
            (None, Some(w)) => (w, Lookback::Bundle),
            (None, None) => (UNBOUNDED_LOOKBACK, Lookback::Capped),
        };
        // Session signals come from recent events: keep customers at least that long.
        let lookback = lookback.max(opts.session_timeout).max(0);
        let step = opts.step.max(1);
        Replay {
            engine,
            opts: ReplayOptions { step, ..opts },
            lookback,
            lookback_source,
            content: engine.reads_decisions(),
            names: Names::of(engine),
            index: FastMap::default(),
            customers: Vec::new(),
            free: Vec::new(),
            next: None,
            counted: None,
            latest: None,
            done: false,
            line_no: 0,
            rows: Vec::new(),
            missing_names: Vec::new(),
            missing_ids: FastMap::default(),
            missing_totals: Vec::new(),
            stats: Stats::default(),
            scratch: Context::default(),
            spare: Vec::new(),
        }
    }

    /// The lookback in use, in ms.
    pub fn lookback(&self) -> i64 {
        self.lookback
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}
