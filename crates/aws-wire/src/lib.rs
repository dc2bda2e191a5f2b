//! AWS wire encodings for the services streamwatch serves: AWS JSON 1.0/1.1, AWS CBOR 1.1,
//! Smithy RPC v2 CBOR and the query protocol (form requests, XML answers); request validation
//! with AWS's own error texts; and error documents. No I/O.
//!
//! A request travels through three steps, each its own module:
//!
//! - [`decode`] turns a body into a [`Value`] tree, borrowing strings from the body where it
//!   can. Anything unreadable is a [`WireError::Serialization`]. Query bodies become the same
//!   tree, every scalar a string; [`decode_query`] also splits off `Action` and `Version`.
//! - [`validate`] checks a [`Value`] against a static schema of [`Member`]s and [`Shape`]s and
//!   yields an [`Input`] with typed getters: blobs decoded, timestamps in epoch milliseconds,
//!   numbers clamped, query text converted by the schema. Type mismatches are
//!   [`WireError::Serialization`]s and constraint failures one [`WireError::Validation`], with
//!   the texts AWS's Coral front end uses ([`INVALID_QUERY_VALUE`] for query text that does
//!   not convert). [`parse`] does both steps.
//! - A response goes out through a [`Writer`], token by token, with no tree in between, in any
//!   of the encodings (XML for the query protocol, wrapped by [`query_response`]).
//!   [`error_body`] builds the `{"__type", "message"}` error document,
//!   [`query_compatible_error`] the same plus the `x-amzn-query-error` header value, and
//!   [`query_error`] the query protocol's `<ErrorResponse>`.
//! - For JSON RPC services (`X-Amz-Target`), [`target_operation`] reads the operation's name,
//!   [`first_missing`] finds a required member left out (for services such as SQS that answer
//!   it with their own error) and [`error_reply`] makes an error [`Reply`].
//!
//! Each [`Encoding`] has its own rules for timestamps (epoch seconds in JSON and RPC v2 CBOR,
//! epoch milliseconds in AWS CBOR 1.1, ISO 8601 in the query protocol) and non-finite doubles
//! (strings in JSON, floats in CBOR); the [`Encoding`] and [`Writer`] documentation list them.
//!
//! **Invariants.** Nothing here panics on any input bytes, and nesting is bounded at
//! [`MAX_DEPTH`] in every encoding. The crate knows nothing of HTTP beyond the status code of
//! its own errors and the name of one header, and nothing of any particular service: schemas,
//! namespaces and error codes belong to the API crates.
//!
//! ```
//! use aws_wire::{Encoding, Member, Pattern, Shape, Writer, parse};
//!
//! static NAME: Pattern = Pattern {
//!     text: "[a-zA-Z0-9_.-]+",
//!     matches: |s| {
//!         !s.is_empty()
//!             && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
//!     },
//! };
//! static STREAM_NAME: Shape = Shape::String {
//!     min_len: Some(1),
//!     max_len: Some(128),
//!     pattern: Some(&NAME),
//!     enum_values: &[],
//! };
//! static LIMIT: Shape = Shape::Integer { min: Some(1), max: Some(10_000) };
//! static DESCRIBE_STREAM: [Member; 2] = [
//!     Member::optional("Limit", &LIMIT),
//!     Member::required("StreamName", &STREAM_NAME),
//! ];
//!
//! let input = parse(Encoding::Json, br#"{"StreamName":"orders","Limit":10.7}"#, &DESCRIBE_STREAM)?;
//! assert_eq!(input.str("StreamName"), Some("orders"));
//! assert_eq!(input.int("Limit"), Some(10));
//!
//! let err = parse(Encoding::Json, br#"{"StreamName":"a b"}"#, &DESCRIBE_STREAM).unwrap_err();
//! assert_eq!(err.code(), "ValidationException");
//! assert_eq!(
//!     err.message(),
//!     Some("1 validation error detected: Value 'a b' at 'streamName' failed to satisfy \
//!           constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
//! );
//!
//! let mut w = Writer::new(Encoding::Json);
//! w.begin_map(Some(1));
//! w.key("StreamName");
//! w.str(input.str("StreamName").unwrap_or_default());
//! w.end_map();
//! assert_eq!(w.finish(), br#"{"StreamName":"orders"}"#);
//! # Ok::<(), aws_wire::WireError>(())
//! ```

#![deny(missing_docs)]

mod encoding;
mod error;
pub mod eventstream;
mod exchange;
mod query;
mod rest;
mod rpc;
mod schema;
mod time;
mod validate;
mod value;
mod writer;
mod xml;

pub use encoding::{Encoding, is_form_content_type};
pub use error::{WireError, violation_text};
pub use exchange::{Reply, Request};
pub use query::{INVALID_QUERY_VALUE, QueryRequest, decode_query};
pub use rest::{
    Binding, ERROR_TYPE_HEADER, Location, RestParts, decode_path_segment, decode_query_string,
    parse_rest, rest_json_error,
};
pub use rpc::{error_reply, first_missing, target_operation};
pub use schema::{Member, Pattern, Shape};
pub use validate::{Input, Item, parse, validate};
pub use value::{MAX_DEPTH, Value, decode};
pub use writer::{QUERY_ERROR_HEADER, Writer, error_body, query_compatible_error};
pub use xml::{
    close_tag as xml_close_tag, escape as xml_escape, open_tag as xml_open_tag, query_error,
    query_response,
};

/// Declares an API crate's `Operation` enum from `Variant => module;` pairs: the variants,
/// `ALL`, `name` (the variant's name, as the wire spells the operation), `from_name` and
/// `schema` (each module's `INPUT`). The crate adds what differs (how an operation runs) in
/// its own `impl Operation` or functions, matching on the same list.
///
/// ```ignore
/// aws_wire::operation_table! {
///     "SQS";
///     SendMessage => send_message;
///     ReceiveMessage => receive_message;
/// }
/// ```
#[macro_export]
macro_rules! operation_table {
    ($service:literal; $($variant:ident => $module:ident;)*) => {
        #[doc = concat!("A ", $service, " operation this server implements.")]
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

            /// The operation's name as the wire spells it.
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
            pub fn schema(self) -> &'static [$crate::Member] {
                match self {
                    $(Operation::$variant => &$module::INPUT,)*
                }
            }
        }
    };
}
