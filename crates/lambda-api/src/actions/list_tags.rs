//! ListTags: a function's tags, by ARN.

use aws_wire::{Binding, Input, Member};
use serde_json::json;

use super::Call;
use crate::error::{ApiResult, LambdaApiError};
use crate::shapes::{TAGGABLE_RESOURCE, split_function_name};

pub(crate) static INPUT: [Member; 1] = [Member::required("Resource", &TAGGABLE_RESOURCE)];
pub(crate) static BINDINGS: [Binding; 1] = [Binding::label("Resource")];

/// The function a tagging request's `Resource` ARN names (only functions are served).
pub(crate) fn tagged_function<'i>(input: &'i Input<'_>) -> ApiResult<&'i str> {
    let arn = input.str("Resource").unwrap_or_default();
    if !arn.contains(":function:") {
        return Err(LambdaApiError::invalid(format!(
            "Tags are served for functions only by this engine: {arn}"
        )));
    }
    match split_function_name(arn) {
        (name, None) => Ok(name),
        (_, Some(_)) => Err(LambdaApiError::invalid(
            "Tags on function aliases and versions are not supported. Please specify a function ARN.",
        )),
    }
}

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = tagged_function(&call.input)?;
    Ok(crate::common::json(
        200,
        &json!({"Tags": call.engine.tags(name)?}),
    ))
}
