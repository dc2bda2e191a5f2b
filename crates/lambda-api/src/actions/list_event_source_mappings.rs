//! ListEventSourceMappings: the mappings of a function and/or an event source, a page at a
//! time.

use aws_wire::{Binding, Member, Shape};
use serde_json::{Value, json};

use super::Call;
use crate::common::function_name;
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::{ARN, MAX_ITEMS, NAMESPACED_FUNCTION_NAME};

pub(crate) static INPUT: [Member; 4] = [
    Member::optional("EventSourceArn", &ARN),
    Member::optional("FunctionName", &NAMESPACED_FUNCTION_NAME),
    Member::optional("Marker", &Shape::STRING),
    Member::optional("MaxItems", &MAX_ITEMS),
];
pub(crate) static BINDINGS: [Binding; 4] = [
    Binding::query("EventSourceArn", "EventSourceArn"),
    Binding::query("FunctionName", "FunctionName"),
    Binding::query("Marker", "Marker"),
    Binding::query("MaxItems", "MaxItems"),
];

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let input = &call.input;
    let function = if input.has("FunctionName") {
        Some(function_name(input)?)
    } else {
        None
    };
    let all = call
        .engine
        .list_mappings(function, input.str("EventSourceArn"));
    let max = input.int("MaxItems").map_or(100, |n| n.max(1) as usize);
    // The marker is the last UUID of the previous page.
    let start = input
        .str("Marker")
        .and_then(|m| all.iter().position(|x| x.uuid == m).map(|i| i + 1))
        .unwrap_or(0);
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(max)
        .map(|m| documents::mapping(call.engine, m))
        .collect();
    let mut out = json!({"EventSourceMappings": page});
    if start + max < all.len()
        && let Some(last) = all.get(start + max - 1)
    {
        out["NextMarker"] = json!(last.uuid);
    }
    Ok(crate::common::json(200, &out))
}
