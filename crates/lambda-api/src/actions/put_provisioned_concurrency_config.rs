//! PutProvisionedConcurrencyConfig: keeps instances of a version or alias started.

use aws_wire::{Binding, Input, Member, Shape};

use super::Call;
use crate::common::{FUNCTION_NAME_MEMBER, function_name, int_u32, json};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::QUALIFIER;

static POSITIVE: Shape = Shape::Integer {
    min: Some(1),
    max: None,
};

pub(crate) static INPUT: [Member; 3] = [
    FUNCTION_NAME_MEMBER,
    Member::required("Qualifier", &QUALIFIER),
    Member::required("ProvisionedConcurrentExecutions", &POSITIVE),
];
pub(crate) static BINDINGS: [Binding; 2] = [
    Binding::label("FunctionName"),
    Binding::query("Qualifier", "Qualifier"),
];

/// The function and the (required) qualifier of a provisioned concurrency request.
pub(crate) fn target<'i>(input: &'i Input<'_>) -> ApiResult<(&'i str, &'i str)> {
    Ok((
        function_name(input)?,
        input.str("Qualifier").unwrap_or_default(),
    ))
}

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let (name, qualifier) = target(&call.input)?;
    let n = int_u32(&call.input, "ProvisionedConcurrentExecutions").unwrap_or_default();
    let p = call
        .engine
        .put_provisioned_concurrency(name, qualifier, n)?;
    Ok(json(202, &documents::provisioned(&p)))
}
