//! The query protocol's XML answers, written through the same token calls as JSON and CBOR.
//!
//! Structures become elements named by their keys; list elements are `<member>` elements;
//! string-keyed maps ([`crate::Writer::begin_dict`]) are `<entry><key>k</key><value>v</value>
//! </entry>`. The outermost structure has no element of its own: the caller wraps the result
//! in `<{Op}Response><{Op}Result>` ([`query_response`]). Timestamps are ISO 8601 in UTC and
//! doubles are written as Java prints them (`41.0`, `1.0E-5`), as AWS's query services do.

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
    /// The element to close, if the container has one.
    name: Option<String>,
}

/// Where the XML writer is.
#[derive(Debug, Clone, Default)]
pub(crate) struct XmlState {
    stack: Vec<Open>,
    /// The element name the next value takes (set by a key).
    pending: Option<String>,
}

impl XmlState {
    /// The name of the element the next value goes in, and whether it closes a map entry.
    fn next_name(&mut self) -> (Option<String>, bool) {
        match self.stack.last().map(|o| o.kind) {
            Some(Kind::List) => (Some("member".to_owned()), false),
            Some(Kind::Dict) => (self.pending.take(), true),
            _ => (self.pending.take(), false),
        }
    }

    pub(crate) fn key(&mut self, buf: &mut Vec<u8>, key: &str) {
        if self.stack.last().map(|o| o.kind) == Some(Kind::Dict) {
            buf.extend_from_slice(b"<entry><key>");
            escape(buf, key);
            buf.extend_from_slice(b"</key>");
            self.pending = Some("value".to_owned());
        } else {
            self.pending = Some(key.to_owned());
        }
    }

    /// Writes one scalar already rendered as text.
    pub(crate) fn scalar(&mut self, buf: &mut Vec<u8>, text: &str) {
        let (name, closes_entry) = self.next_name();
        match name {
            Some(n) => {
                open_tag(buf, &n);
                escape(buf, text);
                close_tag(buf, &n);
            }
            None => escape(buf, text),
        }
        if closes_entry {
            buf.extend_from_slice(b"</entry>");
        }
    }

    pub(crate) fn open(&mut self, buf: &mut Vec<u8>, kind: Kind) {
        let (name, _) = self.next_name();
        if let Some(n) = &name {
            open_tag(buf, n);
        }
        self.stack.push(Open { kind, name });
    }

    pub(crate) fn close(&mut self, buf: &mut Vec<u8>) {
        if let Some(open) = self.stack.pop()
            && let Some(n) = open.name
        {
            close_tag(buf, &n);
        }
        if self.stack.last().map(|o| o.kind) == Some(Kind::Dict) {
            buf.extend_from_slice(b"</entry>");
        }
    }
}

fn open_tag(buf: &mut Vec<u8>, name: &str) {
    buf.push(b'<');
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'>');
}

fn close_tag(buf: &mut Vec<u8>, name: &str) {
    buf.extend_from_slice(b"</");
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'>');
}

/// Appends `text` with XML's five special characters escaped.
pub(crate) fn escape(buf: &mut Vec<u8>, text: &str) {
    for b in text.bytes() {
        match b {
            b'&' => buf.extend_from_slice(b"&amp;"),
            b'<' => buf.extend_from_slice(b"&lt;"),
            b'>' => buf.extend_from_slice(b"&gt;"),
            b'"' => buf.extend_from_slice(b"&quot;"),
            b'\'' => buf.extend_from_slice(b"&apos;"),
            _ => buf.push(b),
        }
    }
}

/// A double as Java's `Double.toString` prints it: plain decimal with at least one fraction
/// digit between 10^-3 and 10^7, else `d.dddE±n`.
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

/// Epoch milliseconds as ISO 8601 in UTC: `2025-09-19T22:46:00Z`, with `.sss` only when there
/// are milliseconds.
pub(crate) fn iso8601(epoch_ms: i64) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let ms = epoch_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::time::civil_from_days(days);
    let base = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if ms == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{ms:03}Z")
    }
}

/// A query success document: `<{op}Response xmlns=..><{op}Result>{result}</{op}Result>
/// <ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></{op}Response>`; without
/// `result` (an operation with no output) there is no Result element.
pub fn query_response(
    op: &str,
    namespace: &str,
    result: Option<&[u8]>,
    request_id: &str,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(result.map_or(0, <[u8]>::len) + 256);
    buf.extend_from_slice(format!("<{op}Response xmlns=\"").as_bytes());
    escape(&mut buf, namespace);
    buf.extend_from_slice(b"\">");
    if let Some(result) = result {
        buf.extend_from_slice(format!("<{op}Result>").as_bytes());
        buf.extend_from_slice(result);
        buf.extend_from_slice(format!("</{op}Result>").as_bytes());
    }
    buf.extend_from_slice(b"<ResponseMetadata><RequestId>");
    escape(&mut buf, request_id);
    buf.extend_from_slice(b"</RequestId></ResponseMetadata>");
    buf.extend_from_slice(format!("</{op}Response>").as_bytes());
    buf
}

/// A query error document: `<ErrorResponse xmlns=..><Error><Type>Sender|Receiver</Type>
/// <Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>`;
/// no Message element when there is no message.
pub fn query_error(
    namespace: &str,
    sender: bool,
    code: &str,
    message: Option<&str>,
    request_id: &str,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(b"<ErrorResponse xmlns=\"");
    escape(&mut buf, namespace);
    buf.extend_from_slice(b"\"><Error><Type>");
    buf.extend_from_slice(if sender { b"Sender" } else { b"Receiver" });
    buf.extend_from_slice(b"</Type><Code>");
    escape(&mut buf, code);
    buf.extend_from_slice(b"</Code>");
    if let Some(m) = message {
        buf.extend_from_slice(b"<Message>");
        escape(&mut buf, m);
        buf.extend_from_slice(b"</Message>");
    }
    buf.extend_from_slice(b"</Error><RequestId>");
    escape(&mut buf, request_id);
    buf.extend_from_slice(b"</RequestId></ErrorResponse>");
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_doubles() {
        assert_eq!(java_double(41.0), "41.0");
        assert_eq!(java_double(0.5), "0.5");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(1e-5), "1.0E-5");
        assert_eq!(java_double(1.5e10), "1.5E10");
        assert_eq!(java_double(-2.0), "-2.0");
    }

    #[test]
    fn timestamps() {
        assert_eq!(iso8601(1_758_321_960_000), "2025-09-19T22:46:00Z");
        assert_eq!(iso8601(1_758_321_960_007), "2025-09-19T22:46:00.007Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn documents() {
        let ok = query_response("PutMetricData", "ns", None, "r1");
        assert_eq!(
            String::from_utf8(ok).unwrap(),
            "<PutMetricDataResponse xmlns=\"ns\"><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></PutMetricDataResponse>"
        );
        let err = query_error("ns", true, "InvalidParameterValue", Some("a < b"), "r2");
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "<ErrorResponse xmlns=\"ns\"><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>a &lt; b</Message></Error><RequestId>r2</RequestId></ErrorResponse>"
        );
    }
}
