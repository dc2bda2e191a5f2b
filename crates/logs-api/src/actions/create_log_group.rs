//! CreateLogGroup: a new, empty log group with its tags.

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{GROUP_PREFIX, NEW_LOG_GROUP_NAME, TAGS, ingested, tags_of};

static KMS_KEY_ID: Shape = Shape::String {
    min_len: None,
    max_len: Some(256),
    pattern: None,
    enum_values: &[],
};

static LOG_GROUP_CLASS: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["STANDARD", "INFREQUENT_ACCESS", "DELIVERY", "ESSENTIALS"],
};

pub(crate) static INPUT: [Member; 5] = [
    Member::required("logGroupName", &NEW_LOG_GROUP_NAME),
    Member::optional("kmsKeyId", &KMS_KEY_ID),
    Member::optional("tags", &TAGS),
    Member::optional("logGroupClass", &LOG_GROUP_CLASS),
    Member::optional("deletionProtectionEnabled", &Shape::Boolean),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let name = input.str("logGroupName").unwrap_or_default();
    // A function's group exists on AWS once the function has logged.
    if let Some(function) = name.strip_prefix(GROUP_PREFIX)
        && source
            .events(function, 0)
            .is_some_and(|events| !events.is_empty())
    {
        return Err(logs_engine::LogsError::GroupAlreadyExists.into());
    }
    logs.create_group_with(
        name,
        &tags_of(input, "tags"),
        logs_engine::GroupOptions {
            class: input.str("logGroupClass").map(str::to_string),
            kms_key_id: input.str("kmsKeyId").map(str::to_string),
            deletion_protection: input.bool("deletionProtectionEnabled") == Some(true),
        },
    )?;
    Ok(())
}
