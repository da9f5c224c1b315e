//! The replay itself: customers kept while active, step boundaries, and the counting.
//!
//! Lines must come in time order (as `kairos gen` writes them). A line older than a step already
//! counted is still added to its customer's history (it counts from the next step on) and is
//! reported as *late*.
//!
//! Here: [`Replay`] and what it holds. `options`: how a replay runs, its limits and errors;
//! `names`: what the bundle reads of each event name; `session` and `customer`: what is kept
//! per customer; `read`: each line applied to its customer; `step`: the counting at step
//! boundaries; `standing`: the totals and wake times that let a step visit only customers that
//! can have changed; `shards`: customers split between threads.

mod customer;
mod names;
mod options;
mod read;
mod session;
mod shards;
mod standing;
mod step;

use super::report::StepRow;
use crate::ids::{FastMap, IdKey};
use customer::Customer;
use kairos::context::{Context, Event};
use kairos::Engine;
use names::Names;

pub use options::{ReplayError, ReplayOptions, MAX_LINE_BYTES, MAX_STEPS, UNBOUNDED_LOOKBACK};
pub use shards::replay_threads;

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
    /// The one context decisions read: each customer is lent to it in turn.
    desk: Context,
    /// The one event each kept line is written into before its customer packs it.
    event: Event,
    /// Per history group ([`Engine::history_group`]): how long its events are kept, their
    /// name's longest window, at most the lookback.
    kept_for: Vec<i64>,
    /// Which customers this replay keeps, when it is one shard of several.
    shard: Shard,
    /// The last counted decisions of all customers, summed, and who the next step must visit.
    standing: standing::Standing,
    waking: standing::Waking,
    /// Decisions taken (not reused), for [`Stats::reused`].
    decided: u64,
    /// Customers held just before each step's count (the peak is taken from these, so that it is
    /// the same however the customers are sharded).
    resident_at_steps: Vec<usize>,
}

/// One of `of` replays that split the customers between them by a hash of their id.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shard {
    pub(super) index: u32,
    pub(super) of: u32,
}

impl Shard {
    const WHOLE: Shard = Shard { index: 0, of: 1 };

    pub(super) fn owns(self, id: &str) -> bool {
        self.of <= 1 || shard_of(id, self.of) == self.index
    }
}

/// The shard of a customer id: high bits of a hash, as the maps use the low ones for buckets.
fn shard_of(id: &str, of: u32) -> u32 {
    use std::hash::BuildHasher;
    let hash = std::hash::BuildHasherDefault::<kairos::NameHasher>::default().hash_one(IdKey::new(id));
    ((hash >> 32) % u64::from(of.max(1))) as u32
}

impl<'e> Replay<'e> {
    pub fn new(engine: &'e Engine, opts: ReplayOptions) -> Replay<'e> {
        Replay::sharded(engine, opts, Shard::WHOLE)
    }

    /// A replay of the customers of one shard: it applies only its own customers' lines (handed
    /// to it by [`replay_threads`] with the times of the others, so it counts the same steps).
    pub(super) fn sharded(engine: &'e Engine, opts: ReplayOptions, shard: Shard) -> Replay<'e> {
        let (lookback, lookback_source) = match (opts.lookback, engine.program.longest_window_ms()) {
            (Some(l), _) => (l, Lookback::Given),
            (None, Some(w)) => (w, Lookback::Bundle),
            (None, None) => (UNBOUNDED_LOOKBACK, Lookback::Capped),
        };
        // Session signals come from recent events: keep customers at least that long.
        let lookback = lookback.max(opts.session_timeout).max(0);
        let step = opts.step.max(1);
        let names = Names::of(engine);
        let mut kept_for = Vec::new();
        for info in names.infos.iter().filter(|i| i.read) {
            let Some(g) = engine.history_group(&info.name) else { continue };
            if kept_for.len() <= g as usize {
                kept_for.resize(g as usize + 1, lookback);
            }
            kept_for[g as usize] = info.window.unwrap_or(i64::MAX).min(lookback);
        }
        Replay {
            engine,
            opts: ReplayOptions { step, ..opts },
            lookback,
            lookback_source,
            content: engine.reads_decisions(),
            names,
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
            desk: Context::default(),
            event: Event { name: String::new(), at: 0, props: Vec::new() },
            kept_for,
            shard,
            resident_at_steps: Vec::new(),
            standing: standing::Standing::new(&engine.program),
            waking: standing::Waking::default(),
            decided: 0,
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
