//! PutCompositeAlarm: creates or replaces an alarm whose state is a rule over other alarms.

use alarm_engine::CompositeAlarmDefinition;
use aws_wire::{Input, Member, Shape, Writer};

use super::alarm_codec::{strings, tags};
use super::alarm_shapes::{ALARM_DESCRIPTION, ALARM_NAME, RESOURCE_LIST, TAG_LIST};
use crate::Ctx;
use crate::error::CwResult;
use crate::shapes::{BOOLEAN, INTEGER, string};

static ALARM_RULE: Shape = string(1, 10240);
static ALARM_ARN: Shape = string(1, 1600);

pub(crate) static INPUT: [Member; 11] = [
    Member::optional("ActionsEnabled", &BOOLEAN),
    Member::optional("AlarmActions", &RESOURCE_LIST),
    Member::optional("AlarmDescription", &ALARM_DESCRIPTION),
    Member::required("AlarmName", &ALARM_NAME),
    Member::required("AlarmRule", &ALARM_RULE),
    Member::optional("InsufficientDataActions", &RESOURCE_LIST),
    Member::optional("OKActions", &RESOURCE_LIST),
    Member::optional("Tags", &TAG_LIST),
    Member::optional("ActionsSuppressor", &ALARM_ARN),
    Member::optional("ActionsSuppressorWaitPeriod", &INTEGER),
    Member::optional("ActionsSuppressorExtensionPeriod", &INTEGER),
];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, _w: &mut Writer) -> CwResult {
    let period = |name: &str| {
        input
            .int(name)
            .map(|v| i32::try_from(v).unwrap_or(i32::MAX))
    };
    let definition = CompositeAlarmDefinition {
        alarm_name: input.str("AlarmName").unwrap_or_default().to_owned(),
        alarm_description: input.str("AlarmDescription").map(str::to_owned),
        actions_enabled: input.bool("ActionsEnabled"),
        ok_actions: strings(&input, "OKActions"),
        alarm_actions: strings(&input, "AlarmActions"),
        insufficient_data_actions: strings(&input, "InsufficientDataActions"),
        alarm_rule: input.str("AlarmRule").unwrap_or_default().to_owned(),
        actions_suppressor: input.str("ActionsSuppressor").map(str::to_owned),
        actions_suppressor_wait_period: period("ActionsSuppressorWaitPeriod"),
        actions_suppressor_extension_period: period("ActionsSuppressorExtensionPeriod"),
        tags: tags(&input),
    };
    cx.alarms.put_composite_alarm(definition)?;
    Ok(())
}
