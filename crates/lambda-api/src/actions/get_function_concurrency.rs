//! GetFunctionConcurrency: a function's reserved concurrency, if any.

use aws_wire::{Binding, Member};
use serde_json::json;

use super::Call;
use crate::common::{FUNCTION_LABEL, FUNCTION_ONLY, function_name};
use crate::error::ApiResult;

pub(crate) static INPUT: [Member; 1] = FUNCTION_ONLY;
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    let doc = match call.engine.get_concurrency(name)? {
        Some(n) => json!({"ReservedConcurrentExecutions": n}),
        None => json!({}),
    };
    Ok(crate::common::json(200, &doc))
}
