//! One module per CloudWatch operation: its input schema and the function that runs it.

pub(crate) mod get_metric_data;
pub(crate) mod get_metric_statistics;
pub(crate) mod list_metrics;
pub(crate) mod put_metric_data;

use aws_wire::{Member, Writer};

use crate::Ctx;
use crate::error::CwResult;

/// A CloudWatch operation this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GetMetricData`
    GetMetricData,
    /// `GetMetricStatistics`
    GetMetricStatistics,
    /// `ListMetrics`
    ListMetrics,
    /// `PutMetricData`
    PutMetricData,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 4] = [
        Operation::GetMetricData,
        Operation::GetMetricStatistics,
        Operation::ListMetrics,
        Operation::PutMetricData,
    ];

    /// The operation's name.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetMetricData => "GetMetricData",
            Operation::GetMetricStatistics => "GetMetricStatistics",
            Operation::ListMetrics => "ListMetrics",
            Operation::PutMetricData => "PutMetricData",
        }
    }

    /// Looks an operation up by name.
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.name() == name)
    }

    /// Whether the operation has an output structure (PutMetricData has none).
    pub fn has_output(self) -> bool {
        self != Operation::PutMetricData
    }

    pub(crate) fn schema(self) -> &'static [Member] {
        match self {
            Operation::GetMetricData => &get_metric_data::INPUT,
            Operation::GetMetricStatistics => &get_metric_statistics::INPUT,
            Operation::ListMetrics => &list_metrics::INPUT,
            Operation::PutMetricData => &put_metric_data::INPUT,
        }
    }

    pub(crate) fn run(self, cx: &Ctx<'_>, input: aws_wire::Input<'_>, w: &mut Writer) -> CwResult {
        match self {
            Operation::GetMetricData => get_metric_data::run(cx, input, w),
            Operation::GetMetricStatistics => get_metric_statistics::run(cx, input, w),
            Operation::ListMetrics => list_metrics::run(cx, input, w),
            Operation::PutMetricData => put_metric_data::run(cx, input, w),
        }
    }
}
