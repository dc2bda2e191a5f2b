//! The operations that take only `AlarmNames`: DeleteAlarms, EnableAlarmActions and
//! DisableAlarmActions.

use aws_wire::{Input, Member, Writer};

use super::alarm_codec::strings;
use super::alarm_shapes::ALARM_NAMES;
use crate::Ctx;
use crate::error::CwResult;

pub(crate) static INPUT: [Member; 1] = [Member::required("AlarmNames", &ALARM_NAMES)];

/// DeleteAlarms: unknown names are passed over; an alarm a composite reads is kept.
pub(crate) fn delete(cx: &Ctx<'_>, input: Input<'_>, _w: &mut Writer) -> CwResult {
    cx.alarms.delete_alarms(&strings(&input, "AlarmNames"))?;
    Ok(())
}

/// EnableAlarmActions.
pub(crate) fn enable(cx: &Ctx<'_>, input: Input<'_>, _w: &mut Writer) -> CwResult {
    cx.alarms
        .enable_alarm_actions(&strings(&input, "AlarmNames"))?;
    Ok(())
}

/// DisableAlarmActions.
pub(crate) fn disable(cx: &Ctx<'_>, input: Input<'_>, _w: &mut Writer) -> CwResult {
    cx.alarms
        .disable_alarm_actions(&strings(&input, "AlarmNames"))?;
    Ok(())
}
