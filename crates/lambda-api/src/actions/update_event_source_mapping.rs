//! UpdateEventSourceMapping: changes a mapping's settings or function.

use aws_wire::{Binding, Member, Shape};

use super::Call;
use super::create_event_source_mapping::{SETTINGS, apply};
use crate::common::{function_name, json};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::NAMESPACED_FUNCTION_NAME;

pub(crate) static INPUT: [Member; 12] = {
    let s = SETTINGS;
    [
        Member::required("UUID", &Shape::STRING),
        Member::optional("FunctionName", &NAMESPACED_FUNCTION_NAME),
        s[0],
        s[1],
        s[2],
        s[3],
        s[4],
        s[5],
        s[6],
        s[7],
        s[8],
        s[9],
    ]
};
pub(crate) static BINDINGS: [Binding; 1] = [Binding::label("UUID")];

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let input = &call.input;
    let engine = call.engine;
    let uuid = input.str("UUID").unwrap_or_default();
    let mut next = engine.get_mapping(uuid)?.config;
    apply(input, &mut next);
    if input.has("FunctionName") {
        next.function_name = function_name(input)?.to_owned();
        engine.get_function(&next.function_name)?;
    }
    let updated = engine.update_mapping(uuid, |c| *c = next)?;
    Ok(json(202, &documents::mapping(engine, &updated)))
}
