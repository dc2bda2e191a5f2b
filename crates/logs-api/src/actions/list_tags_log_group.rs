//! ListTagsLogGroup (deprecated by AWS for ListTagsForResource, still served).

use aws_wire::{Input, Member, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{LOG_GROUP_NAME, group_named, ingested, write_tags};

pub(crate) static INPUT: [Member; 1] = [Member::required("logGroupName", &LOG_GROUP_NAME)];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    w: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let name = input.str("logGroupName").unwrap_or_default();
    let group = group_named(source, name).ok_or(LogsError::LogGroupNotFound)?;
    let tags = if group.ingested {
        logs.tags(name)?
    } else {
        Vec::new()
    };
    write_tags(w, &tags);
    Ok(())
}
