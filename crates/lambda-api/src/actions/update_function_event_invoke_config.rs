//! UpdateFunctionEventInvokeConfig: changes the asynchronous invocation settings the request
//! gives; the rest stay.

use super::Call;
use super::put_function_event_invoke_config::apply;
use crate::common::{function_name, json};
use crate::documents;
use crate::error::ApiResult;

pub(crate) use super::put_function_event_invoke_config::{BINDINGS, INPUT};

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    let mut config = call
        .engine
        .get_event_invoke_config(name)
        .unwrap_or_default();
    apply(&call.input, &mut config);
    let saved = call.engine.put_event_invoke_config(name, config)?;
    Ok(json(
        200,
        &documents::event_invoke(call.engine, name, &saved),
    ))
}
