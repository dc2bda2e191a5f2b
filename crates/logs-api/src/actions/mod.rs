//! One module per CloudWatch Logs operation: its input schema and the function that runs it.

use aws_wire::{Encoding, Value, Writer};

use crate::LogSource;
use crate::errors::ApiError;

mod create_log_group;
mod create_log_stream;
mod delete_log_group;
mod delete_log_stream;
mod delete_retention_policy;
mod describe_log_groups;
mod describe_log_streams;
mod filter_log_events;
mod get_log_events;
mod list_tags_for_resource;
mod list_tags_log_group;
mod put_log_events;
mod put_log_group_deletion_protection;
mod put_retention_policy;
mod tag_log_group;
mod tag_resource;
mod untag_log_group;
mod untag_resource;

macro_rules! operations {
    ($($variant:ident => $module:ident;)*) => {
        aws_wire::operation_table! { "CloudWatch Logs"; $($variant => $module;)* }

        /// Decodes and validates `body` against the operation's schema and runs it, writing
        /// its output into `w`.
        pub(crate) fn run<S: LogSource + ?Sized>(
            op: Operation,
            source: &S,
            body: &[u8],
            w: &mut Writer,
        ) -> Result<(), ApiError> {
            // An empty body has always been read as a request without members here.
            let value = if body.is_empty() {
                Value::Map(Vec::new())
            } else {
                aws_wire::decode(Encoding::Json, body)?
            };
            let input = aws_wire::validate(value, op.schema(), Encoding::Json)?;
            match op {
                $(Operation::$variant => $module::run(source, &input, w)?,)*
            }
            Ok(())
        }
    };
}

operations! {
    CreateLogGroup => create_log_group;
    CreateLogStream => create_log_stream;
    DeleteLogGroup => delete_log_group;
    DeleteLogStream => delete_log_stream;
    DeleteRetentionPolicy => delete_retention_policy;
    DescribeLogGroups => describe_log_groups;
    DescribeLogStreams => describe_log_streams;
    FilterLogEvents => filter_log_events;
    GetLogEvents => get_log_events;
    ListTagsForResource => list_tags_for_resource;
    ListTagsLogGroup => list_tags_log_group;
    PutLogEvents => put_log_events;
    PutLogGroupDeletionProtection => put_log_group_deletion_protection;
    PutRetentionPolicy => put_retention_policy;
    TagLogGroup => tag_log_group;
    TagResource => tag_resource;
    UntagLogGroup => untag_log_group;
    UntagResource => untag_resource;
}

impl Operation {
    /// Whether the operation writes, and so needs the log groups users create.
    pub fn writes(self) -> bool {
        !matches!(
            self,
            Operation::DescribeLogGroups
                | Operation::DescribeLogStreams
                | Operation::FilterLogEvents
                | Operation::GetLogEvents
        )
    }
}
