//! PutFunctionEventInvokeConfig: replaces a function's asynchronous invocation settings
//! (what the request leaves out takes its default).

use aws_wire::{Binding, Input, Member, Shape};
use lambda_engine::async_invoke::EventInvokeConfig;

use super::Call;
use crate::common::{
    FUNCTION_LABEL, NAMESPACED_FUNCTION_NAME_MEMBER, function_name, int_u32, json,
};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::DESTINATION_CONFIG;

// The model allows 0..=2 retries; the ceiling is left to the engine, whose refusal
// (InvalidParameterValueException) callers already rely on.
static RETRIES: Shape = Shape::Integer {
    min: Some(0),
    max: None,
};
static EVENT_AGE: Shape = Shape::Integer {
    min: Some(60),
    max: Some(21_600),
};

pub(crate) static INPUT: [Member; 4] = [
    NAMESPACED_FUNCTION_NAME_MEMBER,
    Member::optional("MaximumRetryAttempts", &RETRIES),
    Member::optional("MaximumEventAgeInSeconds", &EVENT_AGE),
    Member::optional("DestinationConfig", &DESTINATION_CONFIG),
];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

/// Applies the settings the request gives to `c`.
pub(crate) fn apply(input: &Input<'_>, c: &mut EventInvokeConfig) {
    if let Some(n) = int_u32(input, "MaximumRetryAttempts") {
        c.maximum_retry_attempts = n;
    }
    if let Some(n) = int_u32(input, "MaximumEventAgeInSeconds") {
        c.maximum_event_age_secs = n;
    }
    if let Some(d) = input.structure("DestinationConfig") {
        let of = |k: &str| {
            d.structure(k)
                .and_then(|o| o.str("Destination"))
                .map(str::to_owned)
        };
        c.on_success = of("OnSuccess");
        c.on_failure = of("OnFailure");
    }
}

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    let mut config = EventInvokeConfig::default();
    apply(&call.input, &mut config);
    let saved = call.engine.put_event_invoke_config(name, config)?;
    Ok(json(
        200,
        &documents::event_invoke(call.engine, name, &saved),
    ))
}
