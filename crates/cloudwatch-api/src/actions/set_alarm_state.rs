//! SetAlarmState: sets an alarm's state until its next evaluation; actions run on a change.

use alarm_engine::AlarmState;
use aws_wire::{Input, Member, Shape, Writer};

use super::alarm_shapes::{ALARM_NAME, STATE_VALUE};
use crate::Ctx;
use crate::error::CwResult;
use crate::shapes::string;

static STATE_REASON: Shape = string(0, 1023);
static STATE_REASON_DATA: Shape = string(0, 4000);

pub(crate) static INPUT: [Member; 4] = [
    Member::required("AlarmName", &ALARM_NAME),
    Member::required("StateValue", &STATE_VALUE),
    Member::required("StateReason", &STATE_REASON),
    Member::optional("StateReasonData", &STATE_REASON_DATA),
];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, _w: &mut Writer) -> CwResult {
    let state = input
        .str("StateValue")
        .and_then(AlarmState::parse)
        .unwrap_or(AlarmState::InsufficientData);
    let actions = cx.alarms.set_alarm_state(
        input.str("AlarmName").unwrap_or_default(),
        state,
        input.str("StateReason").unwrap_or_default(),
        input.str("StateReasonData"),
    )?;
    (cx.deliver)(actions);
    Ok(())
}
