//! UntagLogGroup (deprecated by AWS for UntagResource, still served): removes tags.

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{LOG_GROUP_NAME, TAG_KEY, ingested, writable};

static TAG_LIST: Shape = Shape::List {
    member: &TAG_KEY,
    min_len: Some(1),
    max_len: None,
    member_str: None,
};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("logGroupName", &LOG_GROUP_NAME),
    Member::required("tags", &TAG_LIST),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let name = input.str("logGroupName").unwrap_or_default();
    writable(logs, source, name)?;
    logs.untag_group(name, &input.str_list("tags").unwrap_or_default())?;
    Ok(())
}
