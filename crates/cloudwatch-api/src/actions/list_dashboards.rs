//! ListDashboards: the dashboards by name, optionally by prefix, 1,000 a page.

use aws_wire::{Input, Member, Writer};

use crate::Ctx;
use crate::error::CwResult;
use crate::shapes::STRING;

pub(crate) static INPUT: [Member; 2] = [
    Member::optional("DashboardNamePrefix", &STRING),
    Member::optional("NextToken", &STRING),
];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let page = cx
        .dashboards
        .list(input.str("DashboardNamePrefix"), input.str("NextToken"));
    w.begin_map(None);
    w.key("DashboardEntries");
    w.begin_array(Some(page.dashboards.len()));
    for d in &page.dashboards {
        w.begin_map(Some(4));
        w.key("DashboardName");
        w.str(&d.name);
        w.key("DashboardArn");
        w.str(&cx.dashboards.arn(&d.name));
        w.key("LastModified");
        w.timestamp_ms(i64::try_from(d.last_modified_ms).unwrap_or(i64::MAX));
        w.key("Size");
        w.uint(d.size() as u64);
        w.end_map();
    }
    w.end_array();
    if let Some(token) = &page.next_token {
        w.key("NextToken");
        w.str(token);
    }
    w.end_map();
    Ok(())
}
