//! PutFunctionConcurrency: reserves concurrent executions for a function (0 stops it).

use aws_wire::{Binding, Member, Shape};
use serde_json::json;

use super::Call;
use crate::common::{FUNCTION_LABEL, FUNCTION_NAME_MEMBER, function_name, int_u32};
use crate::error::ApiResult;

static RESERVED: Shape = Shape::Integer {
    min: Some(0),
    max: None,
};

pub(crate) static INPUT: [Member; 2] = [
    FUNCTION_NAME_MEMBER,
    Member::required("ReservedConcurrentExecutions", &RESERVED),
];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    let n = int_u32(&call.input, "ReservedConcurrentExecutions").unwrap_or_default();
    call.engine.put_concurrency(name, Some(n))?;
    Ok(crate::common::json(
        200,
        &json!({"ReservedConcurrentExecutions": n}),
    ))
}
