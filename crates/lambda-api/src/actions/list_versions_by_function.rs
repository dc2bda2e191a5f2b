//! ListVersionsByFunction: `$LATEST` and every published version.

use aws_wire::{Binding, Member};
use serde_json::{Value, json};

use super::Call;
use crate::common::{FUNCTION_LABEL, NAMESPACED_FUNCTION_NAME_MEMBER, function_name};
use crate::documents;
use crate::error::ApiResult;

pub(crate) static INPUT: [Member; 1] = [NAMESPACED_FUNCTION_NAME_MEMBER];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    let versions: Vec<Value> = call
        .engine
        .list_versions(name)?
        .iter()
        .map(|c| documents::configuration(call.engine, c))
        .collect();
    Ok(crate::common::json(200, &json!({"Versions": versions})))
}
