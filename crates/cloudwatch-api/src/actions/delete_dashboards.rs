//! DeleteDashboards: deletes up to 100 dashboards; names that do not exist are reported with
//! `ResourceNotFound` after the others are deleted.

use aws_wire::{Input, Member, Shape, Writer};

use crate::Ctx;
use crate::error::{CwError, CwResult};
use crate::shapes::STRING;

static NAMES: Shape = Shape::List {
    member: &STRING,
    min_len: None,
    max_len: None,
    member_str: None,
};

pub(crate) static INPUT: [Member; 1] = [Member::required("DashboardNames", &NAMES)];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let names = input.str_list("DashboardNames").unwrap_or_default();
    if names.len() > dashboards::MAX_DELETE {
        return Err(CwError::invalid_value(format!(
            "The parameter DashboardNames must contain at most {} names.",
            dashboards::MAX_DELETE
        )));
    }
    cx.dashboards.delete(&names)?;
    w.begin_map(Some(0));
    w.end_map();
    Ok(())
}
