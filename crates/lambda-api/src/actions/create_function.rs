//! CreateFunction: a function from an inline zip (`Code.ZipFile`).

use std::collections::BTreeMap;

use aws_wire::{Binding, Input, Member, Shape, violation_text};
use lambda_engine::FunctionConfig;

use super::Call;
use crate::common::{int_u32, json, string_map};
use crate::documents;
use crate::error::{ApiResult, LambdaApiError};
use crate::shapes::{
    ARCHITECTURES, DEAD_LETTER_CONFIG, DESCRIPTION, ENVIRONMENT, FUNCTION_NAME, HANDLER,
    MEMORY_SIZE, PACKAGE_TYPE, ROLE, TAGS, TIMEOUT, split_function_name,
};

static CODE_MEMBERS: [Member; 5] = [
    Member::optional("ZipFile", &Shape::BLOB),
    Member::optional("S3Bucket", &Shape::STRING),
    Member::optional("S3Key", &Shape::STRING),
    Member::optional("S3ObjectVersion", &Shape::STRING),
    Member::optional("ImageUri", &Shape::STRING),
];
/// `FunctionCode`.
pub(crate) static CODE: Shape = Shape::Structure(&CODE_MEMBERS);

pub(crate) static INPUT: [Member; 13] = [
    Member::required("FunctionName", &FUNCTION_NAME),
    // Lambda checks the runtime itself (an unknown one is InvalidParameterValueException).
    Member::optional("Runtime", &Shape::STRING),
    Member::required("Role", &ROLE),
    Member::optional("Handler", &HANDLER),
    Member::required("Code", &CODE),
    Member::optional("Description", &DESCRIPTION),
    Member::optional("Timeout", &TIMEOUT),
    Member::optional("MemorySize", &MEMORY_SIZE),
    Member::optional("PackageType", &PACKAGE_TYPE),
    Member::optional("DeadLetterConfig", &DEAD_LETTER_CONFIG),
    Member::optional("Environment", &ENVIRONMENT),
    Member::optional("Tags", &TAGS),
    Member::optional("Architectures", &ARCHITECTURES),
];
pub(crate) static BINDINGS: [Binding; 0] = [];

/// The longest function name (the schema allows 140 characters for ARNs).
const MAX_NAME_CHARS: usize = 64;

/// The zip of a `FunctionCode` (CreateFunction's `Code`, or UpdateFunctionCode's input).
pub(crate) fn zip_of<'i>(code: &'i Input<'_>) -> ApiResult<&'i [u8]> {
    if code.has("S3Bucket") || code.has("ImageUri") {
        return Err(LambdaApiError::invalid(
            "Code from S3 or a container image is not served by this engine: upload Code.ZipFile",
        ));
    }
    code.blob("ZipFile")
        .ok_or_else(|| LambdaApiError::invalid("Please provide a source for function code."))
}

/// `DeadLetterConfig.TargetArn`: `Some(None)` when it is given empty (removed).
pub(crate) fn dead_letter_target(input: &Input<'_>) -> Option<Option<String>> {
    let config = input.structure("DeadLetterConfig")?;
    Some(
        config
            .str("TargetArn")
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
    )
}

/// `Environment.Variables`, when `Environment` is given.
pub(crate) fn environment(input: &Input<'_>) -> Option<BTreeMap<String, String>> {
    let env = input.structure("Environment")?;
    Some(string_map(env.map_str("Variables")))
}

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let input = &call.input;
    let raw = input.str("FunctionName").unwrap_or_default();
    let name = match split_function_name(raw) {
        (name, None | Some("$LATEST")) => name,
        (_, Some(q)) => {
            return Err(LambdaApiError::invalid(format!(
                "Unsupported qualifier {q} for this operation: use the unqualified function name"
            )));
        }
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(LambdaApiError::invalid(violation_text(
            "functionName",
            Some(name),
            &format!("Member must have length less than or equal to {MAX_NAME_CHARS}"),
        )));
    }
    if input.str("PackageType") == Some("Image") {
        return Err(LambdaApiError::invalid(
            "Container images are not served by this engine: use PackageType Zip",
        ));
    }
    let runtime = input.str("Runtime").ok_or_else(|| {
        LambdaApiError::invalid("The Runtime parameter must be set for a .zip file package type.")
    })?;
    let code = input
        .structure("Code")
        .ok_or_else(|| LambdaApiError::invalid("Please provide a source for function code."))?;
    let zip = zip_of(code)?;
    let architectures = input
        .str_list("Architectures")
        .map(|a| a.into_iter().map(str::to_owned).collect())
        .unwrap_or_else(|| vec!["x86_64".to_owned()]);
    let config = FunctionConfig {
        name: name.to_owned(),
        runtime: runtime.to_owned(),
        handler: input.str("Handler").unwrap_or("bootstrap").to_owned(),
        role: input.str("Role").unwrap_or_default().to_owned(),
        timeout_secs: int_u32(input, "Timeout").unwrap_or(3),
        memory_mb: int_u32(input, "MemorySize").unwrap_or(128),
        environment: environment(input).unwrap_or_default(),
        description: input.str("Description").unwrap_or_default().to_owned(),
        architectures,
        code_sha256: String::new(),
        code_size: 0,
        last_modified: String::new(),
        revision_id: String::new(),
        dead_letter_target: dead_letter_target(input).flatten(),
        version: lambda_engine::function::LATEST.into(),
    };
    let tags = string_map(input.map_str("Tags"));
    let created = call.engine.create_function(config, zip, tags)?;
    Ok(json(201, &documents::configuration(call.engine, &created)))
}
