//! One module per CloudWatch operation: its input schema and the function that runs it.

mod alarm_codec;
mod alarm_names_ops;
mod alarm_shapes;
mod dashboard_codec;
mod delete_dashboards;
mod describe_alarm_history;
mod describe_alarms;
mod describe_alarms_for_metric;
mod get_dashboard;
pub(crate) mod get_metric_data;
pub(crate) mod get_metric_statistics;
mod list_dashboards;
pub(crate) mod list_metrics;
mod put_composite_alarm;
mod put_dashboard;
mod put_metric_alarm;
pub(crate) mod put_metric_data;
mod set_alarm_state;
mod tagging;

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
    /// `PutMetricAlarm`
    PutMetricAlarm,
    /// `PutCompositeAlarm`
    PutCompositeAlarm,
    /// `DescribeAlarms`
    DescribeAlarms,
    /// `DescribeAlarmsForMetric`
    DescribeAlarmsForMetric,
    /// `DescribeAlarmHistory`
    DescribeAlarmHistory,
    /// `DeleteAlarms`
    DeleteAlarms,
    /// `SetAlarmState`
    SetAlarmState,
    /// `EnableAlarmActions`
    EnableAlarmActions,
    /// `DisableAlarmActions`
    DisableAlarmActions,
    /// `TagResource`
    TagResource,
    /// `UntagResource`
    UntagResource,
    /// `ListTagsForResource`
    ListTagsForResource,
    /// `PutDashboard`
    PutDashboard,
    /// `GetDashboard`
    GetDashboard,
    /// `ListDashboards`
    ListDashboards,
    /// `DeleteDashboards`
    DeleteDashboards,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 20] = [
        Operation::GetMetricData,
        Operation::GetMetricStatistics,
        Operation::ListMetrics,
        Operation::PutMetricData,
        Operation::PutMetricAlarm,
        Operation::PutCompositeAlarm,
        Operation::DescribeAlarms,
        Operation::DescribeAlarmsForMetric,
        Operation::DescribeAlarmHistory,
        Operation::DeleteAlarms,
        Operation::SetAlarmState,
        Operation::EnableAlarmActions,
        Operation::DisableAlarmActions,
        Operation::TagResource,
        Operation::UntagResource,
        Operation::ListTagsForResource,
        Operation::PutDashboard,
        Operation::GetDashboard,
        Operation::ListDashboards,
        Operation::DeleteDashboards,
    ];

    /// The operation's name.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetMetricData => "GetMetricData",
            Operation::GetMetricStatistics => "GetMetricStatistics",
            Operation::ListMetrics => "ListMetrics",
            Operation::PutMetricData => "PutMetricData",
            Operation::PutMetricAlarm => "PutMetricAlarm",
            Operation::PutCompositeAlarm => "PutCompositeAlarm",
            Operation::DescribeAlarms => "DescribeAlarms",
            Operation::DescribeAlarmsForMetric => "DescribeAlarmsForMetric",
            Operation::DescribeAlarmHistory => "DescribeAlarmHistory",
            Operation::DeleteAlarms => "DeleteAlarms",
            Operation::SetAlarmState => "SetAlarmState",
            Operation::EnableAlarmActions => "EnableAlarmActions",
            Operation::DisableAlarmActions => "DisableAlarmActions",
            Operation::TagResource => "TagResource",
            Operation::UntagResource => "UntagResource",
            Operation::ListTagsForResource => "ListTagsForResource",
            Operation::PutDashboard => "PutDashboard",
            Operation::GetDashboard => "GetDashboard",
            Operation::ListDashboards => "ListDashboards",
            Operation::DeleteDashboards => "DeleteDashboards",
        }
    }

    /// Looks an operation up by name.
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.name() == name)
    }

    /// Whether the operation has an output structure (PutMetricData, PutMetricAlarm and the
    /// other calls that only change something have none).
    pub fn has_output(self) -> bool {
        !matches!(
            self,
            Operation::PutMetricData
                | Operation::PutMetricAlarm
                | Operation::PutCompositeAlarm
                | Operation::DeleteAlarms
                | Operation::SetAlarmState
                | Operation::EnableAlarmActions
                | Operation::DisableAlarmActions
        )
    }

    pub(crate) fn schema(self) -> &'static [Member] {
        match self {
            Operation::GetMetricData => &get_metric_data::INPUT,
            Operation::GetMetricStatistics => &get_metric_statistics::INPUT,
            Operation::ListMetrics => &list_metrics::INPUT,
            Operation::PutMetricData => &put_metric_data::INPUT,
            Operation::PutMetricAlarm => &put_metric_alarm::INPUT,
            Operation::PutCompositeAlarm => &put_composite_alarm::INPUT,
            Operation::DescribeAlarms => &describe_alarms::INPUT,
            Operation::DescribeAlarmsForMetric => &describe_alarms_for_metric::INPUT,
            Operation::DescribeAlarmHistory => &describe_alarm_history::INPUT,
            Operation::DeleteAlarms => &alarm_names_ops::INPUT,
            Operation::SetAlarmState => &set_alarm_state::INPUT,
            Operation::EnableAlarmActions => &alarm_names_ops::INPUT,
            Operation::DisableAlarmActions => &alarm_names_ops::INPUT,
            Operation::TagResource => &tagging::TAG_INPUT,
            Operation::UntagResource => &tagging::UNTAG_INPUT,
            Operation::ListTagsForResource => &tagging::LIST_INPUT,
            Operation::PutDashboard => &put_dashboard::INPUT,
            Operation::GetDashboard => &get_dashboard::INPUT,
            Operation::ListDashboards => &list_dashboards::INPUT,
            Operation::DeleteDashboards => &delete_dashboards::INPUT,
        }
    }

    pub(crate) fn run(self, cx: &Ctx<'_>, input: aws_wire::Input<'_>, w: &mut Writer) -> CwResult {
        match self {
            Operation::GetMetricData => get_metric_data::run(cx, input, w),
            Operation::GetMetricStatistics => get_metric_statistics::run(cx, input, w),
            Operation::ListMetrics => list_metrics::run(cx, input, w),
            Operation::PutMetricData => put_metric_data::run(cx, input, w),
            Operation::PutMetricAlarm => put_metric_alarm::run(cx, input, w),
            Operation::PutCompositeAlarm => put_composite_alarm::run(cx, input, w),
            Operation::DescribeAlarms => describe_alarms::run(cx, input, w),
            Operation::DescribeAlarmsForMetric => describe_alarms_for_metric::run(cx, input, w),
            Operation::DescribeAlarmHistory => describe_alarm_history::run(cx, input, w),
            Operation::DeleteAlarms => alarm_names_ops::delete(cx, input, w),
            Operation::SetAlarmState => set_alarm_state::run(cx, input, w),
            Operation::EnableAlarmActions => alarm_names_ops::enable(cx, input, w),
            Operation::DisableAlarmActions => alarm_names_ops::disable(cx, input, w),
            Operation::TagResource => tagging::tag(cx, input, w),
            Operation::UntagResource => tagging::untag(cx, input, w),
            Operation::ListTagsForResource => tagging::list(cx, input, w),
            Operation::PutDashboard => put_dashboard::run(cx, input, w),
            Operation::GetDashboard => get_dashboard::run(cx, input, w),
            Operation::ListDashboards => list_dashboards::run(cx, input, w),
            Operation::DeleteDashboards => delete_dashboards::run(cx, input, w),
        }
    }
}
