//! GetAlias: one alias of a function.

use aws_wire::{Binding, Member};

use super::Call;
use crate::common::{FUNCTION_NAME_MEMBER, function_name, json};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::ALIAS;

pub(crate) static INPUT: [Member; 2] = [FUNCTION_NAME_MEMBER, Member::required("Name", &ALIAS)];
pub(crate) static BINDINGS: [Binding; 2] = [Binding::label("FunctionName"), Binding::label("Name")];

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    let alias = call
        .engine
        .get_alias(name, call.input.str("Name").unwrap_or_default())?;
    Ok(json(200, &documents::alias(call.engine, name, &alias)))
}
