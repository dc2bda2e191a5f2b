//! DeleteRetentionPolicy: a group keeps its events forever again.

use aws_wire::{Input, Member, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{LOG_GROUP_NAME, ingested, writable};

pub(crate) static INPUT: [Member; 1] = [Member::required("logGroupName", &LOG_GROUP_NAME)];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let name = input.str("logGroupName").unwrap_or_default();
    writable(logs, source, name)?;
    logs.delete_retention(name)?;
    Ok(())
}
