//! ListMetrics: the series that have data, filtered, 500 a page.

use aws_wire::{Input, Member, Shape, Writer};
use metric_store::{DimensionFilter, ListFilter, MetricKey};

use crate::Ctx;

use crate::error::{CwError, CwResult};
use crate::shapes::{
    ACCOUNT_ID, BOOLEAN, DIMENSION_NAME, DIMENSION_VALUE, METRIC_NAME, NAMESPACE, STRING,
};

static FILTER_MEMBERS: [Member; 2] = [
    Member::required("Name", &DIMENSION_NAME),
    Member::optional("Value", &DIMENSION_VALUE),
];
static FILTER: Shape = Shape::Structure(&FILTER_MEMBERS);
static FILTERS: Shape = Shape::List {
    member: &FILTER,
    min_len: None,
    max_len: Some(10),
    member_str: None,
};
static RECENTLY_ACTIVE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["PT3H"],
};

pub(crate) static INPUT: [Member; 7] = [
    Member::optional("Namespace", &NAMESPACE),
    Member::optional("MetricName", &METRIC_NAME),
    Member::optional("Dimensions", &FILTERS),
    Member::optional("NextToken", &STRING),
    Member::optional("RecentlyActive", &RECENTLY_ACTIVE),
    Member::optional("IncludeLinkedAccounts", &BOOLEAN),
    Member::optional("OwningAccount", &ACCOUNT_ID),
];

/// Metrics per page, as CloudWatch documents.
pub const PAGE: usize = 500;
const THREE_HOURS_MS: u64 = 3 * 3_600_000;

/// Writes a `Metric` structure.
pub(crate) fn write_metric(w: &mut Writer, key: &MetricKey) {
    w.begin_map(Some(3));
    w.key("Namespace");
    w.str(key.namespace());
    w.key("MetricName");
    w.str(key.name());
    w.key("Dimensions");
    w.begin_array(Some(key.dimensions().len()));
    for (name, value) in key.dimensions() {
        w.begin_map(Some(2));
        w.key("Name");
        w.str(name);
        w.key("Value");
        w.str(value);
        w.end_map();
    }
    w.end_array();
    w.end_map();
}

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let store = cx.store;
    let filter = ListFilter {
        namespace: input.str("Namespace").map(str::to_owned),
        metric_name: input.str("MetricName").map(str::to_owned),
        dimensions: input
            .list("Dimensions")
            .unwrap_or_default()
            .iter()
            .map(|d| DimensionFilter {
                name: d.str("Name").unwrap_or_default().to_owned(),
                value: d.str("Value").map(str::to_owned),
            })
            .collect(),
        recently_active_since_ms: input
            .str("RecentlyActive")
            .map(|_| store.now_ms().saturating_sub(THREE_HOURS_MS)),
    };
    // The token is the position of the next metric in the sorted list.
    let skip = match input.str("NextToken") {
        None => 0,
        Some(t) => t
            .strip_prefix("metrics:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| CwError::invalid_next_token(format!("Invalid NextToken: {t}")))?,
    };
    let keys = store.list(&filter);
    let page: Vec<&MetricKey> = keys.iter().skip(skip).take(PAGE).collect();
    let with_accounts = input.bool("IncludeLinkedAccounts").unwrap_or(false);
    w.begin_map(None);
    w.key("Metrics");
    w.begin_array(Some(page.len()));
    for key in &page {
        write_metric(w, key);
    }
    w.end_array();
    if skip + page.len() < keys.len() {
        w.key("NextToken");
        w.str(&format!("metrics:{}", skip + page.len()));
    }
    if with_accounts {
        w.key("OwningAccounts");
        w.begin_array(Some(page.len()));
        for _ in &page {
            w.str(cx.account_id);
        }
        w.end_array();
    }
    w.end_map();
    Ok(())
}
