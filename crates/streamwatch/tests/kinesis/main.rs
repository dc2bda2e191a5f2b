//! End-to-end tests of the Kinesis API with the official AWS SDK for Rust
//! (aws-sdk-kinesis), the first judge of our server.

mod harness;
mod metrics;
mod records;
mod resharding;
mod streams;
