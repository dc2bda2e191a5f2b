//! UpdateFunctionConfiguration: changes the settings a request gives; the rest stay.

use aws_wire::{Binding, Member, Shape};

use super::Call;
use super::create_function::{dead_letter_target, environment};
use crate::common::{FUNCTION_LABEL, FUNCTION_NAME_MEMBER, function_name, int_u32, json};
use crate::documents;
use crate::error::ApiResult;
use crate::shapes::{
    DEAD_LETTER_CONFIG, DESCRIPTION, ENVIRONMENT, HANDLER, MEMORY_SIZE, ROLE, TIMEOUT,
};

pub(crate) static INPUT: [Member; 9] = [
    FUNCTION_NAME_MEMBER,
    Member::optional("Role", &ROLE),
    Member::optional("Handler", &HANDLER),
    Member::optional("Description", &DESCRIPTION),
    Member::optional("Timeout", &TIMEOUT),
    Member::optional("MemorySize", &MEMORY_SIZE),
    Member::optional("Environment", &ENVIRONMENT),
    Member::optional("Runtime", &Shape::STRING),
    Member::optional("DeadLetterConfig", &DEAD_LETTER_CONFIG),
];
pub(crate) static BINDINGS: [Binding; 1] = FUNCTION_LABEL;

/// Replaces `slot` with the value the request gave, if it gave one.
fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let input = &call.input;
    let name = function_name(input)?;
    let text = |key: &str| input.str(key).map(str::to_owned);
    let (timeout, memory) = (int_u32(input, "Timeout"), int_u32(input, "MemorySize"));
    let (handler, runtime, role, description) = (
        text("Handler"),
        text("Runtime"),
        text("Role"),
        text("Description"),
    );
    let env = environment(input);
    let dead_letter = dead_letter_target(input);
    let config = call.engine.update_config(name, |c| {
        set(&mut c.timeout_secs, timeout);
        set(&mut c.memory_mb, memory);
        set(&mut c.handler, handler);
        set(&mut c.runtime, runtime);
        set(&mut c.role, role);
        set(&mut c.description, description);
        set(&mut c.environment, env);
        set(&mut c.dead_letter_target, dead_letter);
    })?;
    Ok(json(200, &documents::configuration(call.engine, &config)))
}
