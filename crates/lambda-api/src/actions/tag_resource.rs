//! TagResource: adds or replaces a function's tags.

use aws_wire::Member;

use super::Call;
use super::list_tags::tagged_function;
use crate::common::{bare, string_map};
use crate::error::ApiResult;
use crate::shapes::{TAGGABLE_RESOURCE, TAGS};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("Resource", &TAGGABLE_RESOURCE),
    Member::required("Tags", &TAGS),
];
pub(crate) use super::list_tags::BINDINGS;

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = tagged_function(&call.input)?;
    call.engine
        .tag(name, string_map(call.input.map_str("Tags")))?;
    Ok(bare(204))
}
