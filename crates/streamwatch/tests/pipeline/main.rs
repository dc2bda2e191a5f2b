//! The Lambda and SQS side end to end, judged by aws-sdk-lambda and aws-sdk-sqs: functions on
//! the engine's one port, Kinesis and SQS event source mappings, and where Lambda sends what it
//! gives up on.

mod lambda;
mod sqs;
