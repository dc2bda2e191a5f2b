//! DeleteLogStream: a stream users created, with its events.

use aws_wire::{Input, Member, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{LOG_GROUP_NAME, LOG_STREAM_NAME, group_named, ingested};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("logGroupName", &LOG_GROUP_NAME),
    Member::required("logStreamName", &LOG_STREAM_NAME),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let name = input.str("logGroupName").unwrap_or_default();
    let stream = input.str("logStreamName").unwrap_or_default();
    let group = group_named(source, name).ok_or(LogsError::LogGroupNotFound)?;
    if !group.ingested {
        return Err(LogsError::LogStreamNotFound);
    }
    logs.delete_stream(name, stream)?;
    Ok(())
}
