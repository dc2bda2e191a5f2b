//! DeleteAlias: removes an alias (its version stays).

use super::Call;
use crate::common::{bare, function_name};
use crate::error::ApiResult;

pub(crate) use super::get_alias::{BINDINGS, INPUT};

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    call.engine
        .delete_alias(name, call.input.str("Name").unwrap_or_default())?;
    Ok(bare(204))
}
