//! aws-wire against the protocols' own rules and other implementations: each encoding read
//! and written, schema validation with AWS's texts, and round trips (property tests).

mod common;
mod eventstream;
mod json_1_0;
mod query;
mod roundtrip;
mod rpc_v2_cbor;
mod validation;
mod xml;
