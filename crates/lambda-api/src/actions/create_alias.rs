//! CreateAlias: a name for a published version (or `$LATEST`).

use aws_wire::{Binding, Member};

use super::Call;
use crate::common::{FUNCTION_LABEL, FUNCTION_NAME_MEMBER, function_name, json};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::{ALIAS, DESCRIPTION, VERSION};

pub(crate) static INPUT: [Member; 4] = [
    FUNCTION_NAME_MEMBER,
    Member::required("Name", &ALIAS),
    Member::required("FunctionVersion", &VERSION),
    Member::optional("Description", &DESCRIPTION),
];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let input = &call.input;
    let name = function_name(input)?;
    let alias = call.engine.create_alias(
        name,
        input.str("Name").unwrap_or_default(),
        input.str("FunctionVersion").unwrap_or_default(),
        input.str("Description").unwrap_or_default().to_owned(),
    )?;
    Ok(json(201, &documents::alias(call.engine, name, &alias)))
}
