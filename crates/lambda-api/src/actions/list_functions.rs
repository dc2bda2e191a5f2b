//! ListFunctions: every function's `$LATEST` configuration, by name, a page at a time.

use aws_wire::{Binding, Member, Shape};
use lambda_engine::FunctionConfig;
use serde_json::{Value, json};

use super::Call;
use crate::common::json;
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::MAX_ITEMS;

pub(crate) static INPUT: [Member; 2] = [
    Member::optional("Marker", &Shape::STRING),
    Member::optional("MaxItems", &MAX_ITEMS),
];
pub(crate) static BINDINGS: [Binding; 2] = [
    Binding::query("Marker", "Marker"),
    Binding::query("MaxItems", "MaxItems"),
];

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let max = call.input.int("MaxItems").map_or(50, |n| n.max(1) as usize);
    let all = call.engine.list_functions();
    // The marker is the last name of the previous page.
    let start = match call.input.str("Marker") {
        None => 0,
        Some(m) => all
            .iter()
            .position(|c| c.name.as_str() > m)
            .unwrap_or(all.len()),
    };
    let page: Vec<&FunctionConfig> = all.iter().skip(start).take(max).collect();
    let mut out = json!({
        "Functions": page.iter().map(|c| documents::configuration(call.engine, c)).collect::<Vec<_>>(),
    });
    if start + page.len() < all.len()
        && let Some(last) = page.last()
    {
        out["NextMarker"] = Value::from(last.name.clone());
    }
    Ok(json(200, &out))
}
