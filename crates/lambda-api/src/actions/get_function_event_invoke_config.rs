//! GetFunctionEventInvokeConfig: a function's asynchronous invocation settings.

use aws_wire::{Binding, Member};

use super::Call;
use crate::common::{FUNCTION_LABEL, NAMESPACED_FUNCTION_NAME_MEMBER, function_name, json};
use crate::documents;
use crate::error::ApiResult;

pub(crate) static INPUT: [Member; 1] = [NAMESPACED_FUNCTION_NAME_MEMBER];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    let config = call.engine.get_event_invoke_config(name)?;
    Ok(json(
        200,
        &documents::event_invoke(call.engine, name, &config),
    ))
}
