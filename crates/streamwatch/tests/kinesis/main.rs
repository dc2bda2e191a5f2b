//! End-to-end tests of the Kinesis API with the official AWS SDK for Rust.

mod harness;
