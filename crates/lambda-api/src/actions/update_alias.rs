//! UpdateAlias: points an alias at another version and/or changes its description.

use aws_wire::{Member, Shape};

use super::Call;
use crate::common::{FUNCTION_NAME_MEMBER, function_name, json};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::{ALIAS, DESCRIPTION, VERSION};

pub(crate) static INPUT: [Member; 5] = [
    FUNCTION_NAME_MEMBER,
    Member::required("Name", &ALIAS),
    Member::optional("FunctionVersion", &VERSION),
    Member::optional("Description", &DESCRIPTION),
    Member::optional("RevisionId", &Shape::STRING),
];
pub(crate) use super::get_alias::BINDINGS;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let input = &call.input;
    let name = function_name(input)?;
    let text = |key: &str| input.str(key).map(str::to_owned);
    let alias = call.engine.update_alias(
        name,
        input.str("Name").unwrap_or_default(),
        text("FunctionVersion"),
        text("Description"),
    )?;
    Ok(json(200, &documents::alias(call.engine, name, &alias)))
}
