//! GetProvisionedConcurrencyConfig: a version's or alias's provisioned concurrency.

use aws_wire::Member;

use super::Call;
use super::put_provisioned_concurrency_config::target;
use crate::common::{FUNCTION_NAME_MEMBER, json};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::QUALIFIER;

pub(crate) static INPUT: [Member; 2] = [
    FUNCTION_NAME_MEMBER,
    Member::required("Qualifier", &QUALIFIER),
];
pub(crate) use super::put_provisioned_concurrency_config::BINDINGS;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let (name, qualifier) = target(&call.input)?;
    let p = call.engine.get_provisioned_concurrency(name, qualifier)?;
    Ok(json(200, &documents::provisioned(&p)))
}
