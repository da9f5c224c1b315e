//! Replaying an event log against a bundle: how many customers each segment holds at every step
//! of a period, who entered and left, which variant every slot would have shown, and which
//! signals were missing (`kairos replay`, docs/replay.md). [`gen`] writes synthetic logs to try
//! it on (`kairos gen`).
//!
//! The log is streamed once, in time order. Per customer the replay keeps a [`kairos::Resident`]
//! (the resident visitor without its engine) that only ever holds what the bundle can read: the
//! events it names (with only the properties it reads), packed and indexed as they come, at most
//! `max_history` of them, none older than the bundle's longest window (the *lookback*,
//! [`kairos::Program::longest_window_ms`]); the latest profile, scores, consent and zone; and a
//! summary of the current session. At each step boundary every customer seen within the
//! lookback is counted once ([`kairos::Resident::decide_counted`] on the kept index, decided
//! again only when something it reads can have changed); customers not seen
//! within it are forgotten. Memory therefore follows the customers active in one lookback, never
//! the length of the log, and the work is one scan per line plus one decision per active
//! customer per step.
//!
//! Layout, in the order the dependencies go (each module uses only those after it):
//! - [`state`] keeps customers and steps: `options` (how a replay runs, its limits and errors),
//!   `names` (what the bundle reads of each event name), `session` and `customer` (what is kept
//!   per customer), `read` (each line applied to its customer), `step` (the counting at step
//!   boundaries, reusing decisions that cannot have changed), `standing` (the standing totals
//!   and wake times that let a step visit only customers that can have changed), `shards`
//!   (customers split between threads, each handed its own lines, [`replay_threads`]), with
//!   [`Replay`] itself in `state/mod.rs`.
//! - [`reader`] scans NDJSON lines without building JSON values: `key` (whose a line is and
//!   when), `shapes` (the line shapes), `value` (the JSON values in them), `chunks` (the input in
//!   runs of whole lines).
//! - [`svg`] and [`report`] render what was counted (`report_json`: [`Report::to_json`]).
//! - `types` holds what the replay and its report both name ([`Lookback`], [`Stats`]), so the
//!   report needs nothing from the replay.
//!
//! [`gen`] stands apart: `rng` (the generator), `customer` (the customer model), `acts` (what
//! each scheduled act writes), `writer` (the two line shapes), and `experiment` (exposures and
//! conversions with a known true lift, `kairos gen --exposures`).
//!
//! [`lift`] stands apart too (`kairos lift`): exposures and conversions counted per visitor and
//! slot, `read` (the log, through [`reader`]), `stats` (the interval methods, on statrs), `svg`
//! (the chart). `ids` keys visitors and customers for both.
//!
//! [`columnar`] stands apart as well: Parquet files and Arrow IPC streams turned into the NDJSON
//! lines [`Replay::read`] takes, one per row, and Parquet written from `kairos gen`'s lines:
//! `layout` (the columns and their types), `columns` and `lines` (batches to lines), `checks`,
//! `guard` and `parquet_file` (opening a file safely, locating a row's error), `write` (NDJSON to
//! Parquet).
//!
//! Owns: log reading, per-customer state, reports and charts. Native only; must not import any
//! binding crate.

pub mod columnar;
pub mod gen;
mod ids;
pub mod lift;
pub mod reader;
pub mod report;
mod report_json;
pub mod state;
pub mod svg;
mod types;

pub use report::{Report, SegmentCount, StepRow};
pub use state::{replay_threads, Lookback, Replay, ReplayError, ReplayOptions, Stats};
