//! The pure-logic core of `streamwatch load`: k6's metrics, thresholds and reports, with no
//! I/O, no HTTP and no runtime.
//!
//! - [`Registry`] holds the test's metrics by name, each of a k6 [`Kind`] (counter, gauge,
//!   rate, trend); the load generator adds samples with [`Registry::add`] and
//!   [`Registry::add_tagged`]. [`names`] defines the pipeline's metric names;
//!   [`Registry::pipeline`] defines them all.
//! - [`Thresholds`] are k6 thresholds, from the command line (`metric=expr[,expr...]`) or k6's
//!   JSON `thresholds` object (with `abortOnFail` and `delayAbortEval`);
//!   [`Thresholds::register`] checks them against the registry with k6's errors.
//! - [`Thresholds::evaluate`] gives a [`Verdict`] (each threshold passed or failed, the exit
//!   code); [`Thresholds::should_abort`] is k6's check during the run.
//! - [`summary::text`], [`summary::export_json`] and [`junit::junit_xml`] write the reports.
//!
//! ```
//! use std::time::Duration;
//! use load_verdict::{Registry, Thresholds, names, summary};
//!
//! let mut registry = Registry::pipeline();
//! let thresholds =
//!     Thresholds::from_cli(&["kinesis_put_record_duration=avg<50,p(95)<100"]).unwrap();
//! thresholds.register(&mut registry).unwrap();
//! for ms in [12.0, 18.0, 140.0] {
//!     registry.add(names::KINESIS_PUT_RECORD_DURATION, ms).unwrap();
//! }
//! let verdict = thresholds.evaluate(&registry, Duration::from_secs(10));
//! assert_eq!(verdict.exit_code(), load_verdict::EXIT_THRESHOLDS_FAILED);
//! let json = summary::export_json(&registry, &verdict, &Default::default());
//! assert!(json.contains("\"p(95)<100\": true"));
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod error;
pub mod junit;
mod metric;
pub mod names;
mod registry;
pub mod summary;
mod threshold;
mod verdict;

pub use error::Error;
pub use metric::{Contains, Kind, Stat};
pub use registry::{Metric, Registry};
pub use threshold::{
    Expression, MetricSelector, MetricThresholds, Op, Threshold, Thresholds, parse_duration,
};
pub use verdict::{Outcome, ThresholdResult, Verdict};

/// The exit code of a test with a failed threshold (k6's `ThresholdsHaveFailed`), aborted by
/// a threshold or not.
pub const EXIT_THRESHOLDS_FAILED: i32 = 99;

/// The exit code of an invalid configuration, such as a malformed threshold (k6's
/// `InvalidConfig`).
pub const EXIT_INVALID_CONFIG: i32 = 104;
