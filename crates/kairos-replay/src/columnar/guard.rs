//! Panics of the parquet and Arrow readers turned into errors, at the boundary.
//!
//! A damaged file can make those crates panic where no check beforehand would help: fuzzing
//! found definition levels that index past their buffer (arrow-buffer's bit chunks, while
//! decoding a page). So every call into them that reads the input runs under [`guarded`]:
//! `catch_unwind` turns the panic into an error carrying its message, and a reader that panicked
//! is not used again. The panic hook stays quiet for such panics only (on the thread, while it
//! is inside a guarded call), so the CLI prints one coded error, and a fuzzer's hook (which
//! aborts) still sees every other panic.

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`guarded`].
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read`, a call into the parquet or Arrow readers; a panic in it is `Err(its message)`.
pub(super) fn guarded<T>(read: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let result = catch_unwind(AssertUnwindSafe(read));
    GUARDED.with(|g| g.set(was));
    result.map_err(|panic| {
        let what = panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str));
        format!("the reader failed on damaged data ({})", what.unwrap_or("no message"))
    })
}

/// Record batches from a reader whose panics are errors; after one, the reader is dropped.
pub(super) struct Guarded<I> {
    batches: Option<I>,
}

impl<I> Guarded<I> {
    pub(super) fn new(batches: I) -> Guarded<I> {
        Guarded { batches: Some(batches) }
    }
}

impl<I: Iterator<Item = Result<RecordBatch, ArrowError>>> Iterator for Guarded<I> {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batches = self.batches.as_mut()?;
        match guarded(|| batches.next()) {
            Ok(next) => next,
            Err(why) => {
                self.batches = None;
                Some(Err(ArrowError::ExternalError(why.into())))
            }
        }
    }
}
