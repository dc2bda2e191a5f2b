//! PublishVersion: `$LATEST` as the next numbered version.

use aws_wire::{Binding, Member, Shape};

use super::Call;
use crate::common::{FUNCTION_LABEL, FUNCTION_NAME_MEMBER, function_name, json};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::DESCRIPTION;

pub(crate) static INPUT: [Member; 4] = [
    FUNCTION_NAME_MEMBER,
    Member::optional("CodeSha256", &Shape::STRING),
    Member::optional("Description", &DESCRIPTION),
    Member::optional("RevisionId", &Shape::STRING),
];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    let description = call.input.str("Description").map(str::to_owned);
    let config = call.engine.publish_version(name, description)?;
    Ok(json(201, &documents::configuration(call.engine, &config)))
}
