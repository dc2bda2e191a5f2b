//! One module per CloudWatch Logs operation: its input schema and the function that runs it.

use aws_wire::{Encoding, Member, Value, Writer};

use crate::LogSource;
use crate::errors::ApiError;

mod describe_log_groups;
mod describe_log_streams;
mod filter_log_events;
mod get_log_events;

macro_rules! operations {
    ($($variant:ident => $module:ident;)*) => {
        /// A CloudWatch Logs operation this server implements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $(
                #[doc = concat!("`", stringify!($variant), "`")]
                $variant,
            )*
        }

        impl Operation {
            /// Every operation.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant),*];

            /// The operation's name as it appears after `Logs_20140328.`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => stringify!($variant),)*
                }
            }

            /// Looks an operation up by name.
            pub fn from_name(name: &str) -> Option<Operation> {
                match name {
                    $(stringify!($variant) => Some(Operation::$variant),)*
                    _ => None,
                }
            }

            /// The operation's input members.
            pub fn schema(self) -> &'static [Member] {
                match self {
                    $(Operation::$variant => &$module::INPUT,)*
                }
            }
        }

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
