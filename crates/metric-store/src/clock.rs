//! Time: re-exported from the `time-source` crate, which the engine shares.

pub use time_source::{Clock, ManualClock, SystemClock};
