//! GetDashboard: one dashboard's ARN, body and name.

use aws_wire::{Input, Member, Writer};

use crate::Ctx;
use crate::error::CwResult;
use crate::shapes::STRING;

pub(crate) static INPUT: [Member; 1] = [Member::required("DashboardName", &STRING)];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let d = cx
        .dashboards
        .get(input.str("DashboardName").unwrap_or_default())?;
    w.begin_map(Some(3));
    w.key("DashboardArn");
    w.str(&cx.dashboards.arn(&d.name));
    w.key("DashboardBody");
    w.str(&d.body);
    w.key("DashboardName");
    w.str(&d.name);
    w.end_map();
    Ok(())
}
