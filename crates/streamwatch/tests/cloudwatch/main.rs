//! The CloudWatch API, judged by aws-sdk-cloudwatch: custom metrics round trips, the
//! AWS/Kinesis metrics of known traffic, error codes and pagination.

mod custom;
mod harness;
mod kinesis;
mod math;
mod raw;
