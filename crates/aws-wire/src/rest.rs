//! REST protocols (Lambda's REST JSON): members that travel outside the body, and the error
//! reply.
//!
//! A REST operation spreads its input over the URI path (`/functions/{FunctionName}`), the
//! query string (`?Qualifier=live`), headers (`X-Amz-Invocation-Type`) and a JSON body. The
//! operation's schema lists every member once; its [`Binding`]s say which of them are not in
//! the body. [`parse_rest`] reads each bound member's text, types it by its shape, puts it
//! beside the body's members and validates the whole structure in one pass, so a member from
//! the path gets the same "1 validation error detected" text as one from the body.
//!
//! Bound text that does not read as its shape's type (`MaxItems=ten`) is handed to validation
//! as a string, which then rejects it with the usual type-mismatch text.
//!
//! [`rest_json_error`] builds the error reply: the code in the `x-amzn-ErrorType` header and a
//! `{"Type": ..., "message": ...}` body, which is what Lambda sends (`Type` is `User` for a
//! client error and `Service` for a server error; clients read the header and the message).

use std::borrow::Cow;

use crate::{Encoding, Input, Member, Reply, Shape, Value, WireError, Writer, decode, validate};

/// The header that names a REST error's code.
pub const ERROR_TYPE_HEADER: &str = "x-amzn-ErrorType";

/// Where a member travels when it is not in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The `{Member}` label of the URI path template (named like the member).
    Label,
    /// The query-string parameter of this name. A list member takes every value given.
    Query(&'static str),
    /// The header of this name (any case).
    Header(&'static str),
}

/// One member bound outside the body.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The member's name as the schema spells it.
    pub member: &'static str,
    /// Where it travels.
    pub location: Location,
}

impl Binding {
    /// A member from the path label of the same name.
    pub const fn label(member: &'static str) -> Binding {
        Binding {
            member,
            location: Location::Label,
        }
    }

    /// A member from the query parameter `name`.
    pub const fn query(member: &'static str, name: &'static str) -> Binding {
        Binding {
            member,
            location: Location::Query(name),
        }
    }

    /// A member from the header `name`.
    pub const fn header(member: &'static str, name: &'static str) -> Binding {
        Binding {
            member,
            location: Location::Header(name),
        }
    }
}

/// What a REST request carried outside its body, already percent-decoded.
#[derive(Debug, Clone, Copy)]
pub struct RestParts<'r> {
    /// The path's labels, by label name (see [`decode_path_segment`]).
    pub labels: &'r [(&'static str, String)],
    /// The query parameters in order (see [`decode_query_string`]).
    pub query: &'r [(String, String)],
    /// The headers, as [`crate::Request::headers`] holds them.
    pub headers: &'r [(&'r str, &'r str)],
}

/// Decodes one path segment's `%XX` escapes. `+` stays a plus sign (it means a space only in
/// a query string). A segment with a malformed escape or that is not UTF-8 once decoded is
/// returned as it came, so that the member's pattern rejects it with AWS's text.
pub fn decode_path_segment(segment: &str) -> Cow<'_, str> {
    if !segment.contains('%') {
        return Cow::Borrowed(segment);
    }
    let escaped = segment.replace('+', "%2B");
    match crate::query::percent_decode(&escaped) {
        Ok(text) => Cow::Owned(text),
        Err(_) => Cow::Borrowed(segment),
    }
}

/// Splits a query string into decoded `(name, value)` pairs, in order (`+` is a space, a name
/// without `=` has an empty value). A part that does not decode is kept as it came.
pub fn decode_query_string(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| crate::query::percent_decode(s).unwrap_or_else(|_| s.to_owned());
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// Reads a REST request's input: the members of the JSON `body` (`None` when the body is not
/// a member document, such as Invoke's payload; an empty body is `{}`) and the bound members
/// from `parts`, validated together against `members`.
///
/// A body member that shares a bound member's name is ignored, as the protocol reads that
/// member only from where it is bound.
pub fn parse_rest<'a>(
    body: Option<&'a [u8]>,
    members: &'static [Member],
    bindings: &[Binding],
    parts: &RestParts<'_>,
) -> Result<Input<'a>, WireError> {
    let mut entries = match body {
        Some(bytes) if !bytes.iter().all(u8::is_ascii_whitespace) => {
            match decode(Encoding::Json, bytes)? {
                Value::Map(entries) => entries,
                // Not a structure: let validation say so in its words.
                other => return validate(other, members, Encoding::Json),
            }
        }
        _ => Vec::new(),
    };
    for binding in bindings {
        entries.retain(|(key, _)| key != binding.member);
        let Some(member) = members.iter().find(|m| m.name == binding.member) else {
            continue;
        };
        if let Some(value) = bound_value(binding, member.shape, parts) {
            entries.push((Cow::Borrowed(binding.member), value));
        }
    }
    validate(Value::Map(entries), members, Encoding::Json)
}

/// The value of one bound member, typed by its shape, or `None` when the request lacks it.
fn bound_value<'a>(binding: &Binding, shape: &Shape, parts: &RestParts<'_>) -> Option<Value<'a>> {
    match binding.location {
        Location::Label => parts
            .labels
            .iter()
            .find(|(name, _)| *name == binding.member)
            .map(|(_, text)| typed(text, shape)),
        Location::Query(name) => {
            let mut values = parts
                .query
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v);
            match shape {
                Shape::List { member, .. } => {
                    let items: Vec<Value<'a>> = values.map(|v| typed(v, member)).collect();
                    (!items.is_empty()).then_some(Value::Array(items))
                }
                // The last of a repeated parameter wins, as in a form.
                _ => values.next_back().map(|v| typed(v, shape)),
            }
        }
        Location::Header(name) => parts
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| typed(v, shape)),
    }
}

/// Text typed by the shape it must have; text that does not read as that type stays a string
/// for validation to refuse.
fn typed<'a>(text: &str, shape: &Shape) -> Value<'a> {
    let as_str = || Value::Str(Cow::Owned(text.to_owned()));
    match shape {
        Shape::Integer { .. } | Shape::Long { .. } => text
            .parse::<i64>()
            .map_or_else(|_| as_str(), |n| Value::Int(n.into())),
        Shape::Boolean => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => as_str(),
        },
        _ => as_str(),
    }
}

/// A REST JSON error reply: `status`, the code in `x-amzn-ErrorType`, and the body
/// `{"Type": "User", "message": ...}` (`"Service"` for a 5xx status) followed by `extra`
/// members (Lambda's `Reason` of a throttle, for example).
pub fn rest_json_error(
    status: u16,
    code: &'static str,
    message: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let mut w = Writer::new(Encoding::Json);
    w.begin_map(Some(2 + extra.len()));
    w.key("Type");
    w.str(if status >= 500 { "Service" } else { "User" });
    w.key("message");
    w.str(message);
    for (key, value) in extra {
        w.key(key);
        w.str(value);
    }
    w.end_map();
    Reply::new(status, "application/json", w.finish())
        .with_header(ERROR_TYPE_HEADER, code)
        .with_error_code(code)
}

impl WireError {
    /// This error as a REST JSON reply (see [`rest_json_error`]).
    pub fn to_rest_reply(&self) -> Reply {
        rest_json_error(
            self.http_status(),
            self.code(),
            self.message().unwrap_or_default(),
            &[],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Pattern;

    static NAME: Pattern = Pattern {
        text: "[a-z]+",
        matches: |s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase()),
    };
    static NAME_SHAPE: Shape = Shape::String {
        min_len: Some(1),
        max_len: Some(8),
        pattern: Some(&NAME),
        enum_values: &[],
    };
    static LIMIT: Shape = Shape::Integer {
        min: Some(1),
        max: Some(50),
    };
    static KEYS: Shape = Shape::List {
        member: &Shape::STRING,
        min_len: None,
        max_len: None,
        member_str: None,
    };
    static MODE: Shape = Shape::String {
        min_len: None,
        max_len: None,
        pattern: None,
        enum_values: &["A", "B"],
    };
    static MEMBERS: [Member; 5] = [
        Member::required("Name", &NAME_SHAPE),
        Member::optional("Limit", &LIMIT),
        Member::optional("Keys", &KEYS),
        Member::optional("Mode", &MODE),
        Member::optional("Note", &Shape::STRING),
    ];
    static BINDINGS: [Binding; 4] = [
        Binding::label("Name"),
        Binding::query("Limit", "MaxItems"),
        Binding::query("Keys", "key"),
        Binding::header("Mode", "X-Mode"),
    ];

    fn parse<'a>(
        body: Option<&'a [u8]>,
        labels: &[(&'static str, String)],
        query: &str,
        headers: &[(&str, &str)],
    ) -> Result<Input<'a>, WireError> {
        let query = decode_query_string(query);
        let parts = RestParts {
            labels,
            query: &query,
            headers,
        };
        parse_rest(body, &MEMBERS, &BINDINGS, &parts)
    }

    #[test]
    fn bound_members_join_the_body() {
        let labels = [("Name", "abc".to_string())];
        let input = parse(
            Some(br#"{"Note":"n","Name":"ignored"}"#),
            &labels,
            "MaxItems=7&key=a%20b&key=c",
            &[("x-mode", "B")],
        )
        .unwrap();
        assert_eq!(input.str("Name"), Some("abc"));
        assert_eq!(input.int("Limit"), Some(7));
        assert_eq!(input.str_list("Keys"), Some(vec!["a b", "c"]));
        assert_eq!(input.str("Mode"), Some("B"));
        assert_eq!(input.str("Note"), Some("n"));
    }

    #[test]
    fn bound_members_are_validated_with_the_body() {
        let labels = [("Name", "ABC".to_string())];
        let err = parse(None, &labels, "MaxItems=0", &[("X-Mode", "C")]).unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert_eq!(
            err.message(),
            Some(
                "3 validation errors detected: Value 'ABC' at 'name' failed to satisfy \
                 constraint: Member must satisfy regular expression pattern: [a-z]+; Value '0' \
                 at 'limit' failed to satisfy constraint: Member must have value greater than \
                 or equal to 1; Value 'C' at 'mode' failed to satisfy constraint: Member must \
                 satisfy enum value set: [A, B]"
            )
        );
        let missing = parse(Some(b""), &[], "", &[]).unwrap_err();
        assert_eq!(
            missing.message(),
            Some(
                "1 validation error detected: Value null at 'name' failed to satisfy \
                 constraint: Member must not be null"
            )
        );
    }

    #[test]
    fn text_that_is_not_its_type_is_a_type_error() {
        let labels = [("Name", "abc".to_string())];
        let err = parse(None, &labels, "MaxItems=ten", &[]).unwrap_err();
        assert_eq!(err.code(), "SerializationException");
        assert_eq!(
            err.message(),
            Some("class java.lang.String can not be converted to an Integer")
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        assert!(parse(Some(b"[1]"), &[], "", &[]).is_err());
        assert!(parse(Some(b"{"), &[], "", &[]).is_err());
        assert!(parse(Some(b" \n"), &[("Name", "a".into())], "", &[]).is_ok());
    }

    #[test]
    fn path_segments_decode_without_turning_plus_into_space() {
        assert_eq!(decode_path_segment("arn%3Aaws%3Alambda"), "arn:aws:lambda");
        assert_eq!(decode_path_segment("a+b%21"), "a+b!");
        assert_eq!(decode_path_segment("bad%zz"), "bad%zz");
        assert_eq!(decode_path_segment("plain"), "plain");
        assert_eq!(
            decode_query_string("a=1&&b&c=x+y%2B"),
            vec![
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), String::new()),
                ("c".to_string(), "x y+".to_string())
            ]
        );
        assert_eq!(
            decode_query_string("k=bad%zz"),
            vec![("k".to_string(), "bad%zz".to_string())]
        );
    }

    #[test]
    fn errors_carry_the_code_in_a_header() {
        let r = rest_json_error(
            429,
            "TooManyRequestsException",
            "Rate Exceeded.",
            &[("Reason", "ConcurrentInvocationLimitExceeded")],
        );
        assert_eq!(r.status, 429);
        assert_eq!(r.content_type, Some("application/json"));
        assert_eq!(
            r.headers,
            vec![(ERROR_TYPE_HEADER, "TooManyRequestsException".to_string())]
        );
        assert_eq!(r.error_code, Some("TooManyRequestsException"));
        assert_eq!(
            r.body,
            br#"{"Type":"User","message":"Rate Exceeded.","Reason":"ConcurrentInvocationLimitExceeded"}"#
        );
        let server = rest_json_error(500, "ServiceException", "boom", &[]);
        assert_eq!(server.body, br#"{"Type":"Service","message":"boom"}"#);
        let wire = WireError::Validation("1 validation error detected: x".into()).to_rest_reply();
        assert_eq!(wire.status, 400);
        assert_eq!(wire.error_code, Some("ValidationException"));
    }
}
