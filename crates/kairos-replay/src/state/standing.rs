//! What lets a step visit only the customers that can have changed: the standing totals of every
//! customer's last counted decision, and who is due when.

use super::customer::Counted;
use kairos::{Program, Tri};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The sums of every resident customer's last counted decision: what a step row shows for
/// customers not visited, who count as they did.
pub(super) struct Standing {
    pub(super) size: Vec<u64>,
    pub(super) unknown: Vec<u64>,
    pub(super) variants: Vec<Vec<u64>>,
    /// Per missing signal id.
    pub(super) missing: Vec<u64>,
}

impl Standing {
    pub(super) fn new(prog: &Program) -> Standing {
        Standing {
            size: vec![0; prog.segments.len()],
            unknown: vec![0; prog.segments.len()],
            variants: prog.slots.iter().map(|s| vec![0; s.variants.len() + 1]).collect(),
            missing: Vec::new(),
        }
    }

    pub(super) fn add(&mut self, last: &Counted) {
        self.apply(last, |n| *n += 1);
    }

    pub(super) fn remove(&mut self, last: &Counted) {
        self.apply(last, |n| *n -= 1);
    }

    fn apply(&mut self, last: &Counted, change: impl Fn(&mut u64)) {
        for ((size, unknown), t) in self.size.iter_mut().zip(self.unknown.iter_mut()).zip(&last.truths) {
            match t {
                Tri::True => change(size),
                Tri::Unknown => change(unknown),
                Tri::False => {}
            }
        }
        for (counts, &i) in self.variants.iter_mut().zip(&last.variants) {
            if let Some(n) = counts.get_mut(i as usize) {
                change(n);
            }
        }
        for &id in &last.missing {
            if self.missing.len() <= id as usize {
                self.missing.resize(id as usize + 1, 0);
            }
            if let Some(n) = self.missing.get_mut(id as usize) {
                change(n);
            }
        }
    }
}

/// Who a step must visit: customers a line came for since the last step, and customers whose
/// wake time (the first instant time alone can change them) has come.
#[derive(Default)]
pub(super) struct Waking {
    lines_came: Vec<u32>,
    /// (wake time, slot). Entries go stale when a customer is woken earlier or forgotten; a
    /// popped entry counts only if it is its customer's `scheduled` time.
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    /// Customers' `scheduled` times, read while popping (kept beside the heap so it needs no
    /// access to the customers).
    scheduled: Vec<i64>,
}

impl Waking {
    /// A line came for the customer at `slot` (call once per step: when it turns dirty).
    pub(super) fn line_came(&mut self, slot: u32) {
        self.lines_came.push(slot);
    }

    /// The slots to visit at `at`, in slot order (the order a full pass would take).
    pub(super) fn due(&mut self, at: i64) -> Vec<u32> {
        let mut due = std::mem::take(&mut self.lines_came);
        while let Some(&Reverse((wake, slot))) = self.heap.peek() {
            if wake > at {
                break;
            }
            self.heap.pop();
            if self.scheduled.get(slot as usize) == Some(&wake) {
                due.push(slot);
            }
        }
        due.sort_unstable();
        due.dedup();
        due
    }

    /// Wakes the customer at `slot` at `wake` (after `at`, the step visiting it), unless it is
    /// already to wake earlier: that visit schedules it again.
    pub(super) fn schedule(&mut self, slot: u32, wake: i64, at: i64) {
        if self.scheduled.len() <= slot as usize {
            self.scheduled.resize(slot as usize + 1, i64::MAX);
        }
        let Some(scheduled) = self.scheduled.get_mut(slot as usize) else { return };
        let pending = *scheduled > at && *scheduled != i64::MAX;
        if wake == i64::MAX || (pending && *scheduled <= wake) {
            if !pending {
                *scheduled = i64::MAX;
            }
            return;
        }
        *scheduled = wake;
        self.heap.push(Reverse((wake, slot)));
    }

    /// The customer at `slot` is forgotten: nothing of it is due any more.
    pub(super) fn forget(&mut self, slot: u32) {
        if let Some(s) = self.scheduled.get_mut(slot as usize) {
            *s = i64::MAX;
        }
    }
}
