//! What a load test sends, and when.
//!
//! * [`schedule`]: an open arrival-rate model as k6's `constant-arrival-rate` and
//!   `ramping-arrival-rate` executors define it: iterations start at a rate that does not
//!   depend on how fast earlier ones finish; [`Schedule::due`] says how many should have
//!   started by a given time, so a generator that falls behind knows how many it dropped.
//! * [`records`]: record sizes (fixed or a distribution), partition keys (uniform, a hot key's
//!   share, Zipf) and a JSON payload carrying the load-test id, a sequence number and the send
//!   time, which a consumer parses back with [`records::Marker::parse`] to measure end-to-end
//!   latency.
//!
//! Nothing here does I/O or reads a clock: callers pass elapsed time in, so tests move time
//! by hand.

#![deny(missing_docs)]

pub mod records;
pub mod schedule;

pub use records::{
    Completion, KeyDistribution, Marker, PayloadTemplate, RecordSource, SizeDistribution,
};
pub use schedule::{Schedule, ScheduleError, Stage};
