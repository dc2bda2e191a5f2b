//! DeleteFunction: the function with its versions, aliases and code.

use aws_wire::{Binding, Member};

use super::Call;
use crate::common::{FUNCTION_LABEL, NAMESPACED_FUNCTION_NAME_MEMBER, bare, function_name};
use crate::error::ApiResult;

pub(crate) static INPUT: [Member; 1] = [NAMESPACED_FUNCTION_NAME_MEMBER];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    call.engine.delete_function(name)?;
    Ok(bare(204))
}
