//! TagResource: adds or replaces tags of a log group named by its ARN.

use aws_wire::{Input, Member, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{RESOURCE_ARN, TAGS, group_in_arn, ingested, tags_of, writable};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("resourceArn", &RESOURCE_ARN),
    Member::required("tags", &TAGS),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let arn = input.str("resourceArn").unwrap_or_default();
    let name = group_in_arn(arn).ok_or(LogsError::LogGroupNotFound)?;
    writable(logs, source, name)?;
    logs.tag_group(name, &tags_of(input, "tags"))?;
    Ok(())
}
