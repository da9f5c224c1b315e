//! A synthetic, deterministic event log for replays and benchmarks (`kairos gen`).
//!
//! Customers of three kinds (a shop, a wallet/gaming app, a bank) each run a small simulation:
//! sessions at a personal rate, denser in the local evening, each a walk through the funnel
//! (product and page views, searches, add-to-cart, cart views, checkout with coupon searches and
//! abandonments, orders; logins, deposits started and completed or abandoned, bets won and lost;
//! loan-calculator visits, rate comparisons, competitor referrers), plus what happens between
//! sessions (emails sent as `$exposure` and opened, card transactions, salaries, failed and
//! retried payments). Every session starts with an `identify` line carrying the customer's
//! profile, consent, time zone and freshly computed scores. Event names and properties are the
//! ones the bundles under `examples/` read, so replaying them gives non-trivial segments.
//!
//! **Streaming, bounded memory.** Each customer holds only its own small state and the next few
//! things it will do (at most a handful of timers). A binary heap orders customers by their next
//! event, so lines come out sorted by time (ties by customer number, then in the order the
//! customer produced them) and memory is O(customers), never O(events).
//!
//! **Determinism.** The pseudo-random generator is xoshiro256** (Blackman and Vigna, 2018),
//! seeded through SplitMix64: one stream per customer, seeded from the run's seed and the
//! customer's number, so a customer's events do not depend on the others'. Only IEEE-754
//! basic arithmetic is used on floating-point numbers (the logarithm the exponential
//! distribution needs is computed here, not by the platform's libm), so the same seed gives the
//! same bytes on every platform.
//!
//! Here: what to generate and [`generate`], which runs the customers in time order. `rng` is the
//! generator, `customer` the customer model (who they are, where they live, when they act next),
//! `acts` what each scheduled act writes, `writer` the two line shapes.

mod acts;
mod customer;
pub mod experiment;
mod rng;
mod writer;

use customer::{Customer, HOMES};
use kairos::time::{TimeZone, DAY_MS};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};
use writer::Writer;

pub use rng::{ln, Rng, SplitMix64};
pub(crate) use writer::json_str;

/// The two line shapes kairos reads (docs/replay.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"c", "e", "t", "p"}`: the contexts' compact event, plus the customer in `c`.
    Compact,
    /// `{"type": "track", "userId", "event", "timestamp", "properties"}`: analytics events
    /// (`page` and `identify` calls too).
    Track,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub customers: u32,
    pub days: u32,
    pub seed: u64,
    /// Epoch ms of the first instant (events fall in `[start, start + days)`).
    pub start_ms: i64,
    pub shape: Shape,
}

/// The default start, 2026-11-01T00:00:00Z: a fixed instant, so runs never depend on a clock.
pub const DEFAULT_START_MS: i64 = 1_793_491_200_000;

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenStats {
    pub lines: u64,
    /// Of which profile updates (`identify`).
    pub identifies: u64,
    /// Customers that produced at least one line.
    pub customers: u64,
}

/// Writes the whole log to `out`, sorted by time.
pub fn generate<W: Write>(opts: &GenOptions, mut out: W) -> io::Result<GenStats> {
    let end = opts.start_ms + i64::from(opts.days) * DAY_MS;
    let zones: Vec<TimeZone> = HOMES
        .iter()
        .map(|h| TimeZone::named(h.zone).map_err(|e| io::Error::other(format!("{}: {e}", h.zone))))
        .collect::<Result<_, _>>()?;
    let mut customers: Vec<Customer> = Vec::with_capacity(opts.customers as usize);
    let mut heap = BinaryHeap::with_capacity(opts.customers as usize);
    for idx in 0..opts.customers {
        let c = Customer::new(opts, idx, end, &zones);
        if let Some(at) = c.next_at() {
            heap.push(Reverse((at, idx)));
        }
        customers.push(c);
    }
    let mut w = Writer { buf: Vec::with_capacity(512), shape: opts.shape, stats: GenStats::default() };
    let mut seen = vec![false; opts.customers as usize];
    while let Some(Reverse((_, idx))) = heap.pop() {
        let Some(c) = customers.get_mut(idx as usize) else { continue };
        w.buf.clear();
        c.step(&mut w, &zones);
        if !w.buf.is_empty() {
            if let Some(s) = seen.get_mut(idx as usize) {
                if !*s {
                    *s = true;
                    w.stats.customers += 1;
                }
            }
            out.write_all(&w.buf)?;
        }
        if let Some(at) = c.next_at() {
            heap.push(Reverse((at, idx)));
        }
    }
    out.flush()?;
    Ok(w.stats)
}
