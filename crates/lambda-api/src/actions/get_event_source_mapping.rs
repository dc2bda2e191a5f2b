//! GetEventSourceMapping: one mapping by UUID.

use aws_wire::{Binding, Member, Shape};

use super::Call;
use crate::common::json;
use crate::documents;
use crate::error::ApiResult;

pub(crate) static INPUT: [Member; 1] = [Member::required("UUID", &Shape::STRING)];
pub(crate) static BINDINGS: [Binding; 1] = [Binding::label("UUID")];

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let m = call
        .engine
        .get_mapping(call.input.str("UUID").unwrap_or_default())?;
    Ok(json(200, &documents::mapping(call.engine, &m)))
}
