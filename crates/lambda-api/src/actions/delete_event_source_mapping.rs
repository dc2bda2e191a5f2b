//! DeleteEventSourceMapping: stops a mapping's pollers and forgets it.

use super::Call;
use crate::common::json;
use crate::documents;
use crate::error::ApiResult;

pub(crate) use super::get_event_source_mapping::{BINDINGS, INPUT};

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let m = call
        .engine
        .delete_mapping(call.input.str("UUID").unwrap_or_default())?;
    Ok(json(202, &documents::mapping(call.engine, &m)))
}
