//! DescribeAlarmHistory: configuration updates, state updates and actions, newest first by
//! default, paged.

use alarm_engine::{AlarmType, HistoryItemType, HistoryQuery, ScanBy};
use aws_wire::{Input, Member, Shape, Writer};

use super::alarm_codec::{uint, write_history_item};
use super::alarm_shapes::{ALARM_NAME, ALARM_TYPES, MAX_RECORDS};
use crate::Ctx;
use crate::error::CwResult;
use crate::shapes::{STRING, TIMESTAMP, string};

static CONTRIBUTOR_ID: Shape = string(1, 16);
static HISTORY_ITEM_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &[
        "ConfigurationUpdate",
        "StateUpdate",
        "Action",
        "AlarmContributorStateUpdate",
        "AlarmContributorAction",
    ],
};
static SCAN_BY: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["TimestampDescending", "TimestampAscending"],
};

pub(crate) static INPUT: [Member; 9] = [
    Member::optional("AlarmName", &ALARM_NAME),
    Member::optional("AlarmContributorId", &CONTRIBUTOR_ID),
    Member::optional("AlarmTypes", &ALARM_TYPES),
    Member::optional("HistoryItemType", &HISTORY_ITEM_TYPE),
    Member::optional("StartDate", &TIMESTAMP),
    Member::optional("EndDate", &TIMESTAMP),
    Member::optional("MaxRecords", &MAX_RECORDS),
    Member::optional("NextToken", &STRING),
    Member::optional("ScanBy", &SCAN_BY),
];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let date = |name: &str| input.timestamp_ms(name).map(|ms| ms.max(0) as u64);
    let query = HistoryQuery {
        alarm_name: input.str("AlarmName").map(str::to_owned),
        alarm_types: input
            .str_list("AlarmTypes")
            .unwrap_or_default()
            .into_iter()
            .filter_map(AlarmType::parse)
            .collect(),
        item_type: input
            .str("HistoryItemType")
            .and_then(HistoryItemType::parse),
        start_ms: date("StartDate"),
        end_ms: date("EndDate"),
        scan_by: if input.str("ScanBy") == Some("TimestampAscending") {
            ScanBy::TimestampAscending
        } else {
            ScanBy::TimestampDescending
        },
        max_records: uint(&input, "MaxRecords"),
        next_token: input.str("NextToken").map(str::to_owned),
    };
    let page = cx.alarms.describe_alarm_history(&query)?;
    w.begin_map(None);
    w.key("AlarmHistoryItems");
    w.begin_array(Some(page.items.len()));
    for item in &page.items {
        write_history_item(w, item);
    }
    w.end_array();
    if let Some(token) = &page.next_token {
        w.key("NextToken");
        w.str(token);
    }
    w.end_map();
    Ok(())
}
