//! The query protocol's XML answers, written through the same token calls as JSON and CBOR.
//!
//! A [`Writer`](crate::Writer) for [`Encoding::Query`](crate::Encoding::Query) renders:
//!
//! - a structure member (`key` then a value) as an element named by the key;
//! - a list element as `<member>`;
//! - an entry of a string-keyed map ([`Writer::begin_dict`](crate::Writer::begin_dict)) as
//!   `<entry><key>k</key><value>v</value></entry>`;
//! - an empty list, map or structure as `<Name/>` (AWS sends `<Messages/>`);
//! - a null as nothing at all (an absent member; a null map value drops its entry);
//! - timestamps as ISO 8601 in UTC (`2025-09-19T22:46:00Z`, `.sss` only when there are
//!   milliseconds), doubles as Java's `Double.toString` prints them (`41.0`, `1.0E-5`), blobs
//!   as base64.
//!
//! The outermost structure has no element of its own: [`query_response`] wraps the result in
//! `<{Op}Response><{Op}Result>`. Documents are written without an XML declaration and without
//! indentation. Text is escaped (`&<>"'`, and a carriage return as `&#xD;` so that parsers do
//! not fold it into a newline); characters XML 1.0 cannot carry at all (C0 controls other
//! than tab, newline and carriage return, U+FFFE, U+FFFF) become U+FFFD, so that the document
//! always parses. Element names are written as given: they come from schemas, not from
//! requests.

use std::borrow::Cow;

/// What kind of container an open element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Struct,
    List,
    Dict,
}

#[derive(Debug, Clone)]
struct Open {
    kind: Kind,
    /// The element to close, if the container has one (the outermost has none).
    name: Option<Cow<'static, str>>,
    /// Where the element's content starts: nothing written since means `<Name/>`.
    content_at: usize,
    /// Whether the container is a map entry's value, so closing it closes the entry.
    in_entry: bool,
}

/// Where the XML writer is.
#[derive(Debug, Clone, Default)]
pub(crate) struct XmlState {
    stack: Vec<Open>,
    /// The key the next value belongs to.
    pending: Option<String>,
}

impl XmlState {
    pub(crate) fn key(&mut self, key: &str) {
        let pending = self.pending.get_or_insert_with(String::new);
        pending.clear();
        pending.push_str(key);
    }

    /// Opens the element the next value goes in and returns its name (`None` at the top
    /// level, or after a misuse such as a value without a key) and whether it is a map
    /// entry's value.
    fn start(&mut self, buf: &mut Vec<u8>) -> (Option<Cow<'static, str>>, bool) {
        let key = self.pending.take();
        let (name, in_entry) = match (self.stack.last().map(|o| o.kind), key) {
            (None, _) | (Some(Kind::Struct | Kind::Dict), None) => (None, false),
            (Some(Kind::List), _) => (Some(Cow::Borrowed("member")), false),
            (Some(Kind::Struct), Some(key)) => (Some(Cow::Owned(key)), false),
            (Some(Kind::Dict), Some(key)) => {
                buf.extend_from_slice(b"<entry><key>");
                escape(buf, &key);
                buf.extend_from_slice(b"</key>");
                (Some(Cow::Borrowed("value")), true)
            }
        };
        if let Some(n) = &name {
            open_tag(buf, n);
        }
        (name, in_entry)
    }

    /// Writes one scalar already rendered as text.
    pub(crate) fn scalar(&mut self, buf: &mut Vec<u8>, text: &str) {
        let (name, in_entry) = self.start(buf);
        escape(buf, text);
        if let Some(n) = name {
            close_tag(buf, &n);
        }
        if in_entry {
            buf.extend_from_slice(b"</entry>");
        }
    }

    /// An absent value: nothing is written, and its key is forgotten.
    pub(crate) fn null(&mut self) {
        self.pending = None;
    }

    pub(crate) fn open(&mut self, buf: &mut Vec<u8>, kind: Kind) {
        let (name, in_entry) = self.start(buf);
        self.stack.push(Open {
            kind,
            name,
            content_at: buf.len(),
            in_entry,
        });
    }

    pub(crate) fn close(&mut self, buf: &mut Vec<u8>) {
        self.pending = None;
        let Some(open) = self.stack.pop() else {
            return;
        };
        if let Some(n) = open.name {
            if buf.len() == open.content_at && buf.last() == Some(&b'>') {
                buf.pop();
                buf.extend_from_slice(b"/>");
            } else {
                close_tag(buf, &n);
            }
        }
        if open.in_entry {
            buf.extend_from_slice(b"</entry>");
        }
    }
}

/// Appends `<name>`; names come from schemas, so they are written as given.
pub fn open_tag(buf: &mut Vec<u8>, name: &str) {
    buf.push(b'<');
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'>');
}

/// Appends `</name>`.
pub fn close_tag(buf: &mut Vec<u8>, name: &str) {
    buf.extend_from_slice(b"</");
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'>');
}

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// Appends `text` escaped for element content or an attribute value (see the module
/// documentation).
pub fn escape(buf: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    buf.reserve(bytes.len());
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let (replacement, len): (&[u8], usize) = match b {
            b'&' => (b"&amp;", 1),
            b'<' => (b"&lt;", 1),
            b'>' => (b"&gt;", 1),
            b'"' => (b"&quot;", 1),
            b'\'' => (b"&apos;", 1),
            b'\r' => (b"&#xD;", 1),
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            0..0x20 => (REPLACEMENT, 1),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xef if matches!(bytes.get(i + 1..i + 3), Some([0xbf, 0xbe | 0xbf])) => {
                (REPLACEMENT, 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        buf.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        buf.extend_from_slice(replacement);
        i += len;
        start = i;
    }
    buf.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// A double as Java's `Double.toString` prints it: `NaN`, `Infinity`, `-Infinity`; plain
/// decimal with at least one fraction digit for magnitudes in [10^-3, 10^7) and zero (`41.0`,
/// `0.001`, `-0.0`); else `d.dddE±n` (`1.0E-5`, `1.5E10`). The digits are the shortest that
/// read back to the same double, as Java (since JDK 19) prints them too; only subnormals
/// whose shortest form has one digit can differ (Java prints `4.9E-324` where this prints
/// `5.0E-324`).
pub(crate) fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let abs = v.abs();
    if abs == 0.0 || (1e-3..1e7).contains(&abs) {
        let text = format!("{v}");
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        let text = format!("{v:E}");
        match text.split_once('E') {
            Some((mantissa, exp)) if !mantissa.contains('.') => format!("{mantissa}.0E{exp}"),
            _ => text,
        }
    }
}

/// A query success document:
/// `<{op}Response xmlns="{namespace}"><{op}Result>{result}</{op}Result><ResponseMetadata>
/// <RequestId>{request_id}</RequestId></ResponseMetadata></{op}Response>` (without the line
/// break). `result` is what a [`Writer`](crate::Writer) for
/// [`Encoding::Query`](crate::Encoding::Query) wrote; `None` (an operation without output,
/// such as PutMetricData) leaves the Result element out, and an empty result is
/// `<{op}Result/>`.
///
/// ```
/// let doc = aws_wire::query_response("PutMetricData", "http://monitoring.amazonaws.com/doc/2010-08-01/", None, "r-1");
/// assert_eq!(
///     String::from_utf8(doc).unwrap(),
///     "<PutMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">\
///      <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PutMetricDataResponse>"
/// );
/// ```
pub fn query_response(
    op: &str,
    namespace: &str,
    result: Option<&[u8]>,
    request_id: &str,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(result.map_or(0, <[u8]>::len) + 3 * op.len() + 160);
    buf.push(b'<');
    buf.extend_from_slice(op.as_bytes());
    buf.extend_from_slice(b"Response xmlns=\"");
    escape(&mut buf, namespace);
    buf.extend_from_slice(b"\">");
    match result {
        Some([]) => {
            buf.push(b'<');
            buf.extend_from_slice(op.as_bytes());
            buf.extend_from_slice(b"Result/>");
        }
        Some(result) => {
            buf.push(b'<');
            buf.extend_from_slice(op.as_bytes());
            buf.extend_from_slice(b"Result>");
            buf.extend_from_slice(result);
            buf.extend_from_slice(b"</");
            buf.extend_from_slice(op.as_bytes());
            buf.extend_from_slice(b"Result>");
        }
        None => {}
    }
    buf.extend_from_slice(b"<ResponseMetadata><RequestId>");
    escape(&mut buf, request_id);
    buf.extend_from_slice(b"</RequestId></ResponseMetadata></");
    buf.extend_from_slice(op.as_bytes());
    buf.extend_from_slice(b"Response>");
    buf
}

/// A query error document: `<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type>
/// <Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId>
/// </ErrorResponse>` (without the line breaks). `sender` picks `Sender` (the caller's fault)
/// or `Receiver`; without a message there is no Message element, as AWS sends for
/// `ResourceNotFound`.
///
/// ```
/// let doc = aws_wire::query_error("ns", true, "InvalidParameterValue", Some("a < b"), "r-2");
/// assert_eq!(
///     String::from_utf8(doc).unwrap(),
///     "<ErrorResponse xmlns=\"ns\"><Error><Type>Sender</Type><Code>InvalidParameterValue</Code>\
///      <Message>a &lt; b</Message></Error><RequestId>r-2</RequestId></ErrorResponse>"
/// );
/// ```
pub fn query_error(
    namespace: &str,
    sender: bool,
    code: &str,
    message: Option<&str>,
    request_id: &str,
) -> Vec<u8> {
    error_document(Some(namespace), sender, code, message, Some(request_id))
}

/// [`query_error`], with the namespace and the RequestId element optional (the
/// encoding-generic [`error_body`](crate::error_body) knows neither).
pub(crate) fn error_document(
    namespace: Option<&str>,
    sender: bool,
    code: &str,
    message: Option<&str>,
    request_id: Option<&str>,
) -> Vec<u8> {
    let extra = message.map_or(0, str::len) + request_id.map_or(0, str::len);
    let mut buf = Vec::with_capacity(160 + code.len() + extra);
    buf.extend_from_slice(b"<ErrorResponse");
    if let Some(ns) = namespace {
        buf.extend_from_slice(b" xmlns=\"");
        escape(&mut buf, ns);
        buf.push(b'"');
    }
    buf.extend_from_slice(b"><Error><Type>");
    buf.extend_from_slice(if sender { b"Sender" } else { b"Receiver" });
    buf.extend_from_slice(b"</Type><Code>");
    escape(&mut buf, code);
    buf.extend_from_slice(b"</Code>");
    if let Some(m) = message {
        buf.extend_from_slice(b"<Message>");
        escape(&mut buf, m);
        buf.extend_from_slice(b"</Message>");
    }
    buf.extend_from_slice(b"</Error>");
    if let Some(id) = request_id {
        buf.extend_from_slice(b"<RequestId>");
        escape(&mut buf, id);
        buf.extend_from_slice(b"</RequestId>");
    }
    buf.extend_from_slice(b"</ErrorResponse>");
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut buf = Vec::new();
        escape(&mut buf, s);
        String::from_utf8(buf).expect("escaping keeps UTF-8")
    }

    #[test]
    fn java_doubles() {
        for (v, text) in [
            (41.0, "41.0"),
            (0.5, "0.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (-2.0, "-2.0"),
            (0.001, "0.001"),
            (0.000_999, "9.99E-4"),
            (1e-5, "1.0E-5"),
            (1.25e-5, "1.25E-5"),
            (9_999_999.0, "9999999.0"),
            (9_999_999.5, "9999999.5"),
            (1e7, "1.0E7"),
            (-1e7, "-1.0E7"),
            (1.5e10, "1.5E10"),
            (123_456_789.0, "1.23456789E8"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(java_double(v), text, "{v:e}");
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(esc(r#"a&b<c>d"e'f"#), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
        assert_eq!(esc("tab\tnl\ncr\r"), "tab\tnl\ncr&#xD;");
        assert_eq!(esc("\u{0}\u{1}x\u{1f}"), "\u{FFFD}\u{FFFD}x\u{FFFD}");
        assert_eq!(
            esc("\u{FFFE}\u{FFFF}\u{FFFD}\u{FFEF}"),
            "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFEF}"
        );
        assert_eq!(esc("é😀\u{7f}"), "é😀\u{7f}");
        assert_eq!(esc(""), "");
    }

    #[test]
    fn documents() {
        let ok = query_response("PutMetricData", "ns", None, "r1");
        assert_eq!(
            String::from_utf8(ok).unwrap(),
            "<PutMetricDataResponse xmlns=\"ns\"><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></PutMetricDataResponse>"
        );
        let empty = query_response("ListMetrics", "ns", Some(b""), "r1");
        assert_eq!(
            String::from_utf8(empty).unwrap(),
            "<ListMetricsResponse xmlns=\"ns\"><ListMetricsResult/><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></ListMetricsResponse>"
        );
        let err = query_error("ns", true, "InvalidParameterValue", Some("a < b"), "r2");
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "<ErrorResponse xmlns=\"ns\"><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>a &lt; b</Message></Error><RequestId>r2</RequestId></ErrorResponse>"
        );
        let err = query_error("ns", false, "InternalServiceError", None, "r3");
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "<ErrorResponse xmlns=\"ns\"><Error><Type>Receiver</Type><Code>InternalServiceError</Code></Error><RequestId>r3</RequestId></ErrorResponse>"
        );
        let bare = error_document(None, true, "MalformedInput", None, None);
        assert_eq!(
            String::from_utf8(bare).unwrap(),
            "<ErrorResponse><Error><Type>Sender</Type><Code>MalformedInput</Code></Error></ErrorResponse>"
        );
    }
}
