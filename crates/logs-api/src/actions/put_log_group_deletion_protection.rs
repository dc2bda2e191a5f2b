//! PutLogGroupDeletionProtection: turns a group's deletion protection on or off; while it is
//! on, DeleteLogGroup answers ValidationException.

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{LOG_GROUP_IDENTIFIER, group_of, ingested, writable};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("logGroupIdentifier", &LOG_GROUP_IDENTIFIER),
    Member::required("deletionProtectionEnabled", &Shape::Boolean),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let group = group_of(source, input)?;
    writable(logs, source, &group.name)?;
    let enabled = input.bool("deletionProtectionEnabled") == Some(true);
    logs.set_deletion_protection(&group.name, enabled)?;
    Ok(())
}
