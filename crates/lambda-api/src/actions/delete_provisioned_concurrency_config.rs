//! DeleteProvisionedConcurrencyConfig: stops keeping a version's or alias's instances.

use super::Call;
use super::put_provisioned_concurrency_config::target;
use crate::common::bare;
use crate::error::ApiResult;

pub(crate) use super::get_provisioned_concurrency_config::{BINDINGS, INPUT};

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let (name, qualifier) = target(&call.input)?;
    call.engine
        .delete_provisioned_concurrency(name, qualifier)?;
    Ok(bare(204))
}
