//! The Lambda, SQS and SNS side end to end, judged by aws-sdk-lambda, aws-sdk-sqs and
//! aws-sdk-sns: functions on
//! the engine's one port, Kinesis and SQS event source mappings, and where Lambda sends what it
//! gives up on.

mod alarms;
mod chaos;
mod console;
mod cors_browser;
mod lambda;
mod regions;
mod sns;
mod sqs;
mod sqs_fifo;
