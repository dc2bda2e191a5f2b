//! DeleteFunctionConcurrency: the function shares the account's unreserved pool again.

use super::Call;
use crate::common::{bare, function_name};
use crate::error::ApiResult;

pub(crate) use super::get_function_concurrency::{BINDINGS, INPUT};

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    call.engine.put_concurrency(name, None)?;
    Ok(bare(204))
}
