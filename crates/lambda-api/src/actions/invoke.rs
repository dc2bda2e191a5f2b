//! Invoke: runs the function with the body as its payload (`RequestResponse`), queues it
//! (`Event`), or only checks that it could (`DryRun`).

use aws_wire::{Binding, Member, Reply, Shape};
use base64::Engine as _;
use bytes::Bytes;

use super::Call;
use crate::common::{NAMESPACED_FUNCTION_NAME_MEMBER, bare, qualified};
use crate::error::{ApiResult, LambdaApiError};
use crate::shapes::NUMERIC_QUALIFIER;

static INVOCATION_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["Event", "RequestResponse", "DryRun"],
};
static LOG_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["None", "Tail"],
};

pub(crate) static INPUT: [Member; 5] = [
    NAMESPACED_FUNCTION_NAME_MEMBER,
    Member::optional("InvocationType", &INVOCATION_TYPE),
    Member::optional("LogType", &LOG_TYPE),
    Member::optional("ClientContext", &Shape::STRING),
    Member::optional("Qualifier", &NUMERIC_QUALIFIER),
];
pub(crate) static BINDINGS: [Binding; 5] = [
    Binding::label("FunctionName"),
    Binding::header("InvocationType", "X-Amz-Invocation-Type"),
    Binding::header("LogType", "X-Amz-Log-Type"),
    Binding::header("ClientContext", "X-Amz-Client-Context"),
    Binding::query("Qualifier", "Qualifier"),
];

/// How much of the log `LogType: Tail` returns.
const LOG_TAIL_BYTES: usize = 4096;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let input = &call.input;
    let (base, qualifier) = qualified(input);
    // The engine takes a qualified name as `name:qualifier`.
    let name = match qualifier {
        Some(q) => format!("{base}:{q}"),
        None => base.to_owned(),
    };
    let tail = input.str("LogType") == Some("Tail");
    if !call.body.is_empty() && serde_json::from_slice::<serde_json::Value>(call.body).is_err() {
        return Err(LambdaApiError::InvalidRequestContent(
            "Could not parse request body into json: Could not parse payload into json".into(),
        ));
    }
    let engine = call.engine;
    match input.str("InvocationType").unwrap_or("RequestResponse") {
        "DryRun" => {
            engine.get_function_qualified(base, qualifier)?;
            Ok(bare(204))
        }
        "Event" => {
            let request_id = engine.invoke_event(&name, Bytes::copy_from_slice(call.body))?;
            Ok(bare(202).with_header("x-amzn-RequestId", request_id))
        }
        _ => {
            let invoked = engine
                .invoke(&name, Bytes::copy_from_slice(call.body))
                .await?;
            let mut reply = Reply::new(200, "application/json", invoked.payload.to_vec())
                .with_header("X-Amz-Executed-Version", invoked.executed_version);
            if let Some(e) = invoked.function_error {
                reply = reply.with_header("X-Amz-Function-Error", e);
            }
            if tail {
                let log = invoked.log.as_bytes();
                let tail = &log[log.len().saturating_sub(LOG_TAIL_BYTES)..];
                let encoded = base64::engine::general_purpose::STANDARD.encode(tail);
                reply = reply.with_header("X-Amz-Log-Result", encoded);
            }
            Ok(reply)
        }
    }
}
