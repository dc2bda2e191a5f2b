//! One module per CloudWatch Logs operation: its input schema and the function that runs it.

use aws_wire::{Encoding, Value, Writer};

use crate::LogSource;
use crate::errors::ApiError;

mod describe_log_groups;
mod describe_log_streams;
mod filter_log_events;
mod get_log_events;

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
    DescribeLogGroups => describe_log_groups;
    DescribeLogStreams => describe_log_streams;
    FilterLogEvents => filter_log_events;
    GetLogEvents => get_log_events;
}
