//! Replaying on several threads: customers are split between shards by a hash of their id, each
//! shard a [`Replay`] of its own on its own thread, and the shards' reports are added up into the
//! one a single replay would give, byte for byte.
//!
//! One thread reads the input in chunks of whole lines and reads each line's key (customer and
//! time: cheap, see [`crate::reader::Key`]) once. It hands each shard its own customers' lines,
//! each with the latest time of the lines before it: a shard moves its clock there first, which
//! is what reading those lines' keys would have done (moving the clock is idempotent, and only
//! ever counts the boundaries before a time). So every shard counts the same step boundaries
//! between the same lines, and what a customer's decisions depend on (their own lines, and the
//! step time) is the same as in one replay.

use super::{shard_of, Replay, ReplayError, ReplayOptions, Shard, MAX_LINE_BYTES};
use crate::reader::{each_text, Scanner, Text, TextError};
use crate::report::{Report, StepRow};
use kairos::Engine;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

/// Chunks (1 MB, shared by all shards) a shard may have waiting: enough that the shards never
/// wait for the reading thread when it is descheduled (4 cost the daily benchmark 8 % on two
/// cores), few enough to bound memory.
const QUEUED_CHUNKS: usize = 8;

/// What the reading thread hands a shard.
enum Piece {
    /// The shard's own lines of a chunk.
    Lines(Routed),
    /// A line that is not UTF-8, handed to every shard.
    NotUtf8(Arc<str>),
    /// The input could not be read further; each shard places the error at its own next line.
    Failed(crate::reader::ChunkError),
}

/// Replays `input` on `threads` threads (1: on this one) and returns the report, the same
/// whatever the thread count. The first error by line number wins, as in one replay.
pub fn replay_threads<R: Read>(
    engine: &Engine,
    opts: ReplayOptions,
    input: R,
    threads: usize,
) -> Result<Report, ReplayError> {
    let of = u32::try_from(threads.clamp(1, 256)).unwrap_or(1);
    if of == 1 {
        let mut replay = Replay::new(engine, opts);
        replay.read(input)?;
        return Ok(replay.finish());
    }
    let done = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut workers = Vec::new();
        for index in 0..of {
            let (tx, rx) = sync_channel::<Piece>(QUEUED_CHUNKS);
            senders.push(tx);
            let (opts, done) = (opts.clone(), &done);
            workers.push(scope.spawn(move || {
                let mut replay = Replay::sharded(engine, opts, Shard { index, of });
                let mut failed = None;
                for piece in rx {
                    if failed.is_some() || replay.is_done() {
                        continue;
                    }
                    let result = match &piece {
                        Piece::Lines(routed) => replay.routed(routed),
                        Piece::NotUtf8(valid) => replay.text(Text::NotUtf8 { valid }),
                        Piece::Failed(e) => Err(replay.input_error(e.duplicate())),
                    };
                    if let Err(e) = result {
                        failed = Some(e);
                    }
                    if failed.is_some() || replay.is_done() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
                // The replay is dropped here, on its own thread, in parallel with the other
                // shards'. Never leaked: the Python package replays many times in one process.
                match failed {
                    Some(e) => Err(e),
                    None => Ok((replay.finish(), std::mem::take(&mut replay.resident_at_steps))),
                }
            }));
        }
        // A shard gone (it panicked) shows when its thread is joined.
        let send_all = |piece: &dyn Fn() -> Piece| {
            for tx in &senders {
                let _ = tx.send(piece());
            }
        };
        let mut router = Router { of, lines_read: 0, first: None, latest: None };
        let read = each_text(input, MAX_LINE_BYTES, |text| {
            match text {
                Text::Lines(text) => {
                    for (tx, piece) in senders.iter().zip(router.route(text)) {
                        let _ = tx.send(Piece::Lines(piece));
                    }
                }
                Text::NotUtf8 { valid } => {
                    router.lines_read += 1;
                    let valid: Arc<str> = Arc::from(valid);
                    send_all(&|| Piece::NotUtf8(Arc::clone(&valid)));
                }
            }
            Ok::<bool, ()>(done.load(Ordering::Relaxed) < of as usize)
        });
        if let Err(TextError::Chunk(e)) = read {
            send_all(&|| Piece::Failed(e.duplicate()));
        }
        drop(senders);
        let mut parts = Vec::new();
        let mut first_error: Option<ReplayError> = None;
        for worker in workers {
            match worker.join() {
                Ok(Ok(part)) => parts.push(part),
                Ok(Err(e)) => {
                    // An I/O error (line 0) is where reading stopped: after any line's error.
                    let rank = |e: &ReplayError| (e.line == 0, e.line);
                    if first_error.as_ref().is_none_or(|f| rank(&e) < rank(f)) {
                        first_error = Some(e);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        let mut parts = parts.into_iter();
        match (first_error, parts.next()) {
            (Some(e), _) => Err(e),
            (None, Some(first)) => Ok(merge(first, parts)),
            (None, None) => Err(ReplayError { line: 0, column: 0, message: "no shard finished".into() }),
        }
    })
}

/// One shard's lines of one chunk: the chunk (shared by every shard, not copied), where each of
/// the shard's lines starts in it with its number and the latest time of the lines before it,
/// the latest time in the whole input so far, and how many lines were read.
pub(super) struct Routed {
    pub(super) text: Arc<str>,
    pub(super) lines: Vec<(usize, u64, Option<i64>)>,
    /// The time of the input's first keyed line: it lays the step grid, in every shard alike.
    pub(super) first: Option<i64>,
    pub(super) latest: Option<i64>,
    pub(super) lines_read: u64,
}

/// Splits chunks between shards by each line's key (a line without one goes to shard 0, which
/// says why it is bad).
struct Router {
    of: u32,
    lines_read: u64,
    first: Option<i64>,
    /// The latest time of all keyed lines read.
    latest: Option<i64>,
}

impl Router {
    fn route(&mut self, text: &str) -> Vec<Routed> {
        let shared: Arc<str> = Arc::from(text);
        let mut out: Vec<Routed> = (0..self.of)
            .map(|_| Routed { text: Arc::clone(&shared), lines: Vec::new(), first: None, latest: None, lines_read: 0 })
            .collect();
        let mut sc = Scanner::new(text);
        while !sc.at_end() {
            let start = sc.i;
            self.lines_read += 1;
            let key = sc.key();
            sc.skip_line();
            let owner = key.as_ref().map_or(0, |k| shard_of(&k.id, self.of));
            if let Some(to) = out.get_mut(owner as usize) {
                to.lines.push((start, self.lines_read, self.latest));
            }
            if let Some(key) = key {
                self.first.get_or_insert(key.at);
                self.latest = Some(self.latest.map_or(key.at, |l| l.max(key.at)));
            }
        }
        for piece in &mut out {
            piece.first = self.first;
            piece.latest = self.latest;
            piece.lines_read = self.lines_read;
        }
        out
    }
}

/// Adds the shards' reports up. Every shard counted the same boundaries; customers are in one
/// shard each, so counts add; missing signals are matched by name (each shard lists its own,
/// sorted).
fn merge(first: (Report, Vec<usize>), rest: impl Iterator<Item = (Report, Vec<usize>)>) -> Report {
    let (mut total, mut resident) = first;
    for (part, part_resident) in rest {
        for (r, p) in resident.iter_mut().zip(&part_resident) {
            *r += p;
        }
        let mut names = total.missing.clone();
        names.extend(part.missing.iter().cloned());
        names.sort_by(|a, b| super::step::missing_order(a, b));
        names.dedup();
        // Where each merged name sits in either list, found once for all rows.
        let places = |from: &[String]| -> Vec<Option<usize>> {
            names.iter().map(|n| from.iter().position(|m| m == n)).collect()
        };
        let (mine, theirs) = (places(&total.missing), places(&part.missing));
        let add = |a: &[u64], b: &[u64]| -> Vec<u64> {
            let at = |counts: &[u64], place: &Option<usize>| place.and_then(|i| counts.get(i).copied()).unwrap_or(0);
            mine.iter().zip(&theirs).map(|(m, t)| at(a, m) + at(b, t)).collect()
        };
        total.missing_totals = add(&total.missing_totals, &part.missing_totals);
        for (row, other) in total.rows.iter_mut().zip(&part.rows) {
            row.missing = add(&row.missing, &other.missing);
            add_row(row, other);
        }
        total.missing = names;
        let (s, o) = (&mut total.stats, &part.stats);
        s.lines += o.lines;
        s.events += o.events;
        s.profile_updates += o.profile_updates;
        s.skipped += o.skipped;
        s.bad_lines.extend(o.bad_lines.iter().cloned());
        s.late += o.late;
        s.decisions += o.decisions;
        s.reused += o.reused;
        s.resident += o.resident;
        s.held_events += o.held_events;
        s.evicted += o.evicted;
    }
    let s = &mut total.stats;
    s.bad_lines.sort_by_key(|(line, _, _)| *line);
    s.bad_lines.truncate(super::options::LISTED_BAD_LINES);
    s.peak_resident = resident.iter().copied().max().unwrap_or(0).max(s.resident);
    total
}

fn add_row(row: &mut StepRow, other: &StepRow) {
    debug_assert_eq!(row.at, other.at, "shards count the same boundaries");
    row.active += other.active;
    row.evicted += other.evicted;
    for (a, b) in row.segments.iter_mut().zip(&other.segments) {
        a.size += b.size;
        a.entered += b.entered;
        a.left += b.left;
        a.unknown += b.unknown;
    }
    for (a, b) in row.variants.iter_mut().zip(&other.variants) {
        for (x, y) in a.iter_mut().zip(b) {
            *x += y;
        }
    }
}
