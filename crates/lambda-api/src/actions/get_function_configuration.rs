//! GetFunctionConfiguration: the configuration of `$LATEST`, a version or an alias.

use super::Call;
use crate::common::{json, qualified};
use crate::documents;
use crate::error::ApiResult;

pub(crate) use super::get_function::{BINDINGS, INPUT};

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let (name, qualifier) = qualified(&call.input);
    let config = call.engine.get_function_qualified(name, qualifier)?;
    Ok(json(200, &documents::configuration(call.engine, &config)))
}
