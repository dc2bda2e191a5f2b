//! Time: re-exported from the `time-source` crate, which the metric store shares.

pub use time_source::{Clock, ManualClock, SystemClock};
