//! CreateLogStream: a new, empty stream in a log group.

use aws_wire::{Input, Member, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{NEW_LOG_GROUP_NAME, NEW_LOG_STREAM_NAME, ingested, writable};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("logGroupName", &NEW_LOG_GROUP_NAME),
    Member::required("logStreamName", &NEW_LOG_STREAM_NAME),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let group = input.str("logGroupName").unwrap_or_default();
    let stream = input.str("logStreamName").unwrap_or_default();
    if group.len() > 512 || stream.len() > 512 {
        return Err(logs_engine::LogsError::NameTooLong.into());
    }
    writable(logs, source, group)?;
    logs.create_stream(group, stream)?;
    Ok(())
}
