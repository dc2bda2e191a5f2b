//! The CloudWatch side end to end: the CloudWatch API judged by aws-sdk-cloudwatch (custom
//! metrics round trips, the AWS/Kinesis metrics of known traffic, error codes and pagination,
//! alarms evaluated by the server's loop on a manual clock),
//! CloudWatch Logs ingestion (groups, streams, PutLogEvents, EMF and AWS/Logs metrics) judged
//! by aws-sdk-cloudwatchlogs, and `streamwatch collect` with a config file and across regions.

mod alarms;
mod alarms_cli;
mod collect_config;
mod collect_regions;
mod collect_yace;
mod custom;
mod dashboards;
mod harness;
mod kinesis;
mod logs;
mod math;
mod raw;
mod units;
