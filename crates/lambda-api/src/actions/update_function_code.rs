//! UpdateFunctionCode: new code from an inline zip; the next invocation runs it.

use aws_wire::{Binding, Member, Shape};

use super::Call;
use super::create_function::zip_of;
use crate::common::{FUNCTION_LABEL, FUNCTION_NAME_MEMBER, function_name, json};
use crate::documents;
use crate::error::ApiResult;

pub(crate) static INPUT: [Member; 6] = [
    FUNCTION_NAME_MEMBER,
    Member::optional("ZipFile", &Shape::BLOB),
    Member::optional("S3Bucket", &Shape::STRING),
    Member::optional("S3Key", &Shape::STRING),
    Member::optional("S3ObjectVersion", &Shape::STRING),
    Member::optional("ImageUri", &Shape::STRING),
];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = function_name(&call.input)?;
    // The code members sit at the top level here, as CreateFunction's `Code` holds them.
    let zip = zip_of(&call.input)?;
    let config = call.engine.update_code(name, zip)?;
    Ok(json(200, &documents::configuration(call.engine, &config)))
}
