//! UntagResource: removes the named tags (`?tagKeys=a&tagKeys=b`) from a function.

use aws_wire::{Binding, Member};

use super::Call;
use super::list_tags::tagged_function;
use crate::common::bare;
use crate::error::ApiResult;
use crate::shapes::{TAG_KEYS, TAGGABLE_RESOURCE};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("Resource", &TAGGABLE_RESOURCE),
    Member::required("TagKeys", &TAG_KEYS),
];
pub(crate) static BINDINGS: [Binding; 2] = [
    Binding::label("Resource"),
    Binding::query("TagKeys", "tagKeys"),
];

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let name = tagged_function(&call.input)?;
    let keys: Vec<String> = call
        .input
        .str_list("TagKeys")
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect();
    call.engine.untag(name, &keys)?;
    Ok(bare(204))
}
