//! End-to-end tests of the Kinesis API: with the official AWS SDK for Rust (aws-sdk-kinesis),
//! the first judge of our server; byte by byte on the wire (`wire`); and the real binary's
//! crash durability (`durability`).

mod durability;
mod harness;
mod metrics;
mod records;
mod resharding;
mod streams;
mod subscribe;
mod wire;
