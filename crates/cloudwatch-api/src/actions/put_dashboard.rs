//! PutDashboard: creates or replaces a dashboard; an invalid body is refused with
//! `InvalidParameterInput` and its validation messages.

use aws_wire::{Input, Member, Writer};

use super::alarm_shapes::TAG_LIST;
use crate::Ctx;
use crate::error::CwResult;
use crate::shapes::STRING;

// No length or pattern in the model: the name's rules are checked by the store, with AWS's
// InvalidParameterValue text.
pub(crate) static INPUT: [Member; 3] = [
    Member::required("DashboardName", &STRING),
    Member::required("DashboardBody", &STRING),
    Member::optional("Tags", &TAG_LIST),
];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let warnings = cx.dashboards.put(
        input.str("DashboardName").unwrap_or_default(),
        input.str("DashboardBody").unwrap_or_default(),
    )?;
    w.begin_map(Some(1));
    w.key("DashboardValidationMessages");
    super::dashboard_codec::write_messages(w, &warnings);
    w.end_map();
    Ok(())
}
