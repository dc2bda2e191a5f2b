//! PutRetentionPolicy: how many days a group keeps its events (one of AWS's values).

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{LOG_GROUP_NAME, ingested, writable};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("logGroupName", &LOG_GROUP_NAME),
    Member::required("retentionInDays", &Shape::INTEGER),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    _: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let name = input.str("logGroupName").unwrap_or_default();
    let days = input.int("retentionInDays").unwrap_or_default();
    if !u32::try_from(days).is_ok_and(|d| logs_engine::RETENTION_DAYS.contains(&d)) {
        return Err(logs_engine::LogsError::InvalidRetention.into());
    }
    writable(logs, source, name)?;
    logs.put_retention(name, days)?;
    Ok(())
}
