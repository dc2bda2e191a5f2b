//! The time-series store behind streamwatch's CloudWatch API.
//!
//! - [`catalog`]: the one catalogue of metric definitions (namespace, name, unit, dimension
//!   sets, meaning); everything that records or names a metric goes through it.
//! - [`Sketch`] (`sketch`): a mergeable quantile sketch, every quantile within 1% relative
//!   error, at most 32 KiB.
//! - [`Aggregate`] (`aggregate`): count, sum, min, max and a sketch of some values; evaluates a
//!   [`Statistic`] (SampleCount, Sum, Minimum, Maximum, Average, pNN.NN).
//! - [`Store`] (`store`): series keyed by [`MetricKey`] with a [`Unit`], per-second aggregates
//!   for 3 hours and per-minute aggregates for 15 days, at most [`DEFAULT_MAX_SERIES`] series unless
//!   configured ([`Store::with_max_series`]), bounded memory. The engine records
//!   through a [`SeriesHandle`]; the CloudWatch API calls [`Store::put`], [`Store::list`] and
//!   [`Store::query`]; housekeeping calls [`Store::maintain`].
//! - `snapshot`: the store on disk ([`Store::save_snapshot`], [`Store::load_snapshot`]), one
//!   CBOR file written whole by housekeeping once a minute and at shutdown; a hard kill loses
//!   the datapoints recorded since the last one.
//!
//! ```
//! use metric_store::{Datum, ManualClock, MetricKey, Statistic, StorageResolution, Store, Unit};
//! use std::sync::Arc;
//!
//! let now = 1_700_000_000_000;
//! let store = Store::with_clock(Arc::new(ManualClock::new(now)));
//! let key = MetricKey::new("App", "Latency", [("Op", "get")]).unwrap();
//! let values = Datum::Values { values: vec![10.0, 250.0], counts: Some(vec![99.0, 1.0]) };
//! store.put(&key, Some(Unit::Milliseconds), now, &values, StorageResolution::High).unwrap();
//!
//! let p = store.query(&key, now - 60_000, now + 1, 60, &[Statistic::Percentile(99.0)]).unwrap();
//! assert!((p[0].values[0].unwrap() - 10.0).abs() <= 0.1);
//! ```
//!
//! This crate knows nothing of HTTP or of CloudWatch's wire protocols; its errors name the AWS
//! error code ([`Error::aws_code`]) for the API layer to send.

#![deny(missing_docs)]
#![deny(clippy::unwrap_used)]

mod aggregate;
pub mod catalog;
mod clock;
mod error;
mod key;
mod series;
mod sketch;
mod snapshot;
mod store;
mod unit;

pub use aggregate::{Aggregate, Statistic, StatisticSet};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::Error;
pub use key::{DimensionFilter, ListFilter, MAX_DIMENSIONS, MetricKey};
pub use sketch::{MAX_BUCKETS, RELATIVE_ACCURACY, Sketch};
pub use snapshot::{Loaded, SnapshotError};
pub use store::{
    DEFAULT_MAX_SERIES, Datapoint, Datum, MAX_VALUE, MAX_VALUES, SeriesHandle, StorageResolution,
    Store,
};
pub use unit::Unit;
