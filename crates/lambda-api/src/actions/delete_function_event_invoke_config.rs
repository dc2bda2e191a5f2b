//! DeleteFunctionEventInvokeConfig: back to the default asynchronous invocation settings.

use super::Call;
use crate::common::{bare, function_name};
use crate::error::ApiResult;

pub(crate) use super::get_function_event_invoke_config::{BINDINGS, INPUT};

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    call.engine.delete_event_invoke_config(name)?;
    Ok(bare(204))
}
