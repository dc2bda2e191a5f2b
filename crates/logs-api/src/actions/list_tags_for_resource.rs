//! ListTagsForResource: the tags of a log group named by its ARN.

use aws_wire::{Input, Member, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{RESOURCE_ARN, group_in_arn, group_named, ingested, write_tags};

pub(crate) static INPUT: [Member; 1] = [Member::required("resourceArn", &RESOURCE_ARN)];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    w: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let arn = input.str("resourceArn").unwrap_or_default();
    let name = group_in_arn(arn).ok_or(LogsError::LogGroupNotFound)?;
    let group = group_named(source, name).ok_or(LogsError::LogGroupNotFound)?;
    let tags = if group.ingested {
        logs.tags(name)?
    } else {
        Vec::new()
    };
    write_tags(w, &tags);
    Ok(())
}
