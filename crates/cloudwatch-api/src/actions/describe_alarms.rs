//! DescribeAlarms: metric and composite alarms by name, prefix, state, type or action, paged.

use alarm_engine::{AlarmState, AlarmType, DescribeAlarmsQuery};
use aws_wire::{Input, Member, Shape, Writer};

use super::alarm_codec::{strings, uint, write_composite_alarm, write_metric_alarms};
use super::alarm_shapes::{ALARM_NAME, ALARM_NAMES, ALARM_TYPES, MAX_RECORDS, STATE_VALUE};
use crate::Ctx;
use crate::error::CwResult;
use crate::shapes::{STRING, string};

static ACTION_PREFIX: Shape = string(1, 1024);

pub(crate) static INPUT: [Member; 9] = [
    Member::optional("AlarmNames", &ALARM_NAMES),
    Member::optional("AlarmNamePrefix", &ALARM_NAME),
    Member::optional("AlarmTypes", &ALARM_TYPES),
    Member::optional("ChildrenOfAlarmName", &ALARM_NAME),
    Member::optional("ParentsOfAlarmName", &ALARM_NAME),
    Member::optional("StateValue", &STATE_VALUE),
    Member::optional("ActionPrefix", &ACTION_PREFIX),
    Member::optional("MaxRecords", &MAX_RECORDS),
    Member::optional("NextToken", &STRING),
];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let owned = |name: &str| input.str(name).map(str::to_owned);
    let query = DescribeAlarmsQuery {
        alarm_names: strings(&input, "AlarmNames"),
        alarm_name_prefix: owned("AlarmNamePrefix"),
        alarm_types: input
            .str_list("AlarmTypes")
            .unwrap_or_default()
            .into_iter()
            .filter_map(AlarmType::parse)
            .collect(),
        children_of_alarm_name: owned("ChildrenOfAlarmName"),
        parents_of_alarm_name: owned("ParentsOfAlarmName"),
        state_value: input.str("StateValue").and_then(AlarmState::parse),
        action_prefix: owned("ActionPrefix"),
        max_records: uint(&input, "MaxRecords"),
        next_token: owned("NextToken"),
    };
    let page = cx.alarms.describe_alarms(&query)?;
    w.begin_map(None);
    w.key("CompositeAlarms");
    w.begin_array(Some(page.composite_alarms.len()));
    for a in &page.composite_alarms {
        write_composite_alarm(w, a);
    }
    w.end_array();
    write_metric_alarms(w, "MetricAlarms", &page.metric_alarms);
    if let Some(token) = &page.next_token {
        w.key("NextToken");
        w.str(token);
    }
    w.end_map();
    Ok(())
}
