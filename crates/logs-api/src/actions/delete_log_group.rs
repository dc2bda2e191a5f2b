//! DeleteLogGroup: a group users created, with its streams and events. A function's own
//! log lines stay with the function.

use aws_wire::{Input, Member, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{LOG_GROUP_NAME, group_named, ingested};

pub(crate) static INPUT: [Member; 1] = [Member::required("logGroupName", &LOG_GROUP_NAME)];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let name = input.str("logGroupName").unwrap_or_default();
    let group = group_named(source, name).ok_or(LogsError::LogGroupNotFound)?;
    if group.ingested {
        logs.delete_group(name)?;
    }
    Ok(())
}
