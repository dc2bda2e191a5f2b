//! TagLogGroup (deprecated by AWS for TagResource, still served): adds or replaces tags.

use aws_wire::{Input, Member, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{LOG_GROUP_NAME, TAGS, ingested, tags_of, writable};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("logGroupName", &LOG_GROUP_NAME),
    Member::required("tags", &TAGS),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let name = input.str("logGroupName").unwrap_or_default();
    writable(logs, source, name)?;
    logs.tag_group(name, &tags_of(input, "tags"))?;
    Ok(())
}
