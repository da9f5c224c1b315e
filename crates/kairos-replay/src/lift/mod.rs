//! `kairos lift` (issue 16, in progress): incremental lift of each slot against the bundle's
//! holdout, from exposure and conversion events. [`stats`] holds the interval methods.

pub mod stats;
