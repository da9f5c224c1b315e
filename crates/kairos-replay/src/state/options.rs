//! How a replay runs, how far it goes, and what it reports when it cannot.

use kairos::time::{DAY_MS, MINUTE_MS};
use std::fmt;

/// How a replay runs.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// First step boundary (epoch ms); default: the first line's time rounded up to a whole step.
    pub from: Option<i64>,
    /// Last step boundary; default: the last line's time rounded up to a whole step. Lines after
    /// it are not read.
    pub to: Option<i64>,
    /// Step length in ms.
    pub step: i64,
    /// Overrides the lookback (how long a customer and their events are kept without activity).
    pub lookback: Option<i64>,
    /// A session ends after this long without an on-site event.
    pub session_timeout: i64,
    /// Count bad lines and go on, instead of stopping at the first.
    pub skip_bad: bool,
    /// Customers whose log never states consent are treated as consenting (default), or not.
    pub assume_consent: bool,
    /// Decide every active customer at every step, even one whose decision cannot have changed
    /// (no new line, and time alone changes nothing it reads before the step: see
    /// `kairos::Engine::decide_counted`). The report is the same either way; this is for checking
    /// that it is.
    pub decide_all: bool,
}

impl Default for ReplayOptions {
    fn default() -> ReplayOptions {
        ReplayOptions {
            from: None,
            to: None,
            step: 60 * MINUTE_MS,
            lookback: None,
            session_timeout: 30 * MINUTE_MS,
            skip_bad: false,
            assume_consent: true,
            decide_all: false,
        }
    }
}

/// Lookback used when the bundle reads the whole history and none was given.
pub const UNBOUNDED_LOOKBACK: i64 = 30 * DAY_MS;
/// Most step boundaries counted in one replay.
pub const MAX_STEPS: usize = 1_000_000;
/// Longest line read.
pub const MAX_LINE_BYTES: usize = 16 << 20;
/// Most profile attributes, scores and consent flags kept per customer (each).
pub(super) const MAX_PROFILE_KEYS: usize = 256;
/// Most distinct event names remembered (more are read as names no rule reads).
pub(super) const MAX_NAMES: usize = 4096;
/// Distinct missing signals reported; the rest are counted together as [`OTHER_SIGNALS`].
pub(super) const MAX_MISSING_SIGNALS: usize = 255;
pub(super) const OTHER_SIGNALS: &str = "(other signals)";
/// Bad lines listed in the report when skipping them.
pub(super) const LISTED_BAD_LINES: usize = 5;

/// A line that could not be read, or input that could not be.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayError {
    /// 1-based line number (0: not about one line).
    pub line: u64,
    /// 1-based column, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for ReplayError {}
