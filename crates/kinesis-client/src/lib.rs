//! A Kinesis Data Streams producer and consumer with first-class metrics.
//!
//! - [`kpl`]: the Kinesis Producer Library's aggregated record format (magic bytes, protobuf
//!   body, MD5 trailer), readable by KCL and aws-kinesis-agg.
//!
//! Built on aws-sdk-kinesis, so it works against AWS and the embedded engine alike.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod kpl;
pub mod metrics;
