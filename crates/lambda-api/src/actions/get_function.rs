//! GetFunction: a function's (or version's, or alias's) configuration, code location, tags
//! and reserved concurrency.

use aws_wire::{Binding, Member};
use serde_json::json;

use super::Call;
use crate::common::{NAMESPACED_FUNCTION_NAME_MEMBER, json, qualified};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::NUMERIC_QUALIFIER;

pub(crate) static INPUT: [Member; 2] = [
    NAMESPACED_FUNCTION_NAME_MEMBER,
    Member::optional("Qualifier", &NUMERIC_QUALIFIER),
];
pub(crate) static BINDINGS: [Binding; 2] = [
    Binding::label("FunctionName"),
    Binding::query("Qualifier", "Qualifier"),
];

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let (name, qualifier) = qualified(&call.input);
    let engine = call.engine;
    let config = engine.get_function_qualified(name, qualifier)?;
    let mut out = json!({
        "Configuration": documents::configuration(engine, &config),
        "Code": {"RepositoryType": "S3", "Location": format!("file:///{name}.zip")},
        "Tags": engine.tags(name)?,
    });
    if let Some(n) = engine.get_concurrency(name)? {
        out["Concurrency"] = json!({"ReservedConcurrentExecutions": n});
    }
    Ok(json(200, &out))
}
