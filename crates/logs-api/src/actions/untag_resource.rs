//! UntagResource: removes tags of a log group named by its ARN.

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{RESOURCE_ARN, TAG_KEY, group_in_arn, ingested, writable};

static TAG_KEY_LIST: Shape = Shape::List {
    member: &TAG_KEY,
    min_len: Some(0),
    max_len: Some(50),
    member_str: None,
};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("resourceArn", &RESOURCE_ARN),
    Member::required("tagKeys", &TAG_KEY_LIST),
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
    logs.untag_group(name, &input.str_list("tagKeys").unwrap_or_default())?;
    Ok(())
}
