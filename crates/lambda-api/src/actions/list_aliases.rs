//! ListAliases: every alias of a function.

use aws_wire::{Binding, Member};
use serde_json::{Value, json};

use super::Call;
use crate::common::{FUNCTION_LABEL, FUNCTION_NAME_MEMBER, function_name};
use crate::documents;
use crate::error::ApiResult;

pub(crate) static INPUT: [Member; 1] = [FUNCTION_NAME_MEMBER];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    let aliases: Vec<Value> = call
        .engine
        .list_aliases(name)?
        .iter()
        .map(|a| documents::alias(call.engine, name, a))
        .collect();
    Ok(crate::common::json(200, &json!({"Aliases": aliases})))
}
