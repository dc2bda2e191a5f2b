//! Streaming response encoder: responses are written straight into one buffer, with no tree in
//! between, because a GetRecords answer can hold 10,000 records and ~13 MiB of base64.
//!
//! One token API for every encoding, so that an operation writes its output once: JSON, AWS
//! CBOR 1.1, RPC v2 CBOR, and the query protocol's XML (see the `xml` module for how tokens
//! become elements).

use std::io::Write as _;

use crate::Encoding;
use crate::xml::{self, Kind, XmlState};

/// Writes one JSON, CBOR or XML document, token by token.
///
/// Calls must nest properly (`key` only directly inside a map, one value after each key);
/// the writer does not check, and a misuse yields a malformed document, never a panic.
///
/// What differs by encoding:
///
/// | | JSON | AWS CBOR 1.1 | RPC v2 CBOR | Query (XML) |
/// |---|---|---|---|---|
/// | timestamp | epoch seconds, ≤ 3 decimals | tag 1 + integer ms | tag 1 + f64 seconds | ISO 8601 UTC |
/// | NaN, ±∞ | `"NaN"`, `"Infinity"`, `"-Infinity"` | f64 | f64 | `NaN`, `Infinity`, `-Infinity` |
/// | blob | base64 string | byte string | byte string | base64 text |
/// | null | `null` | null | null | element left out |
///
/// ```
/// use aws_wire::{Encoding, Writer};
///
/// let mut w = Writer::new(Encoding::Json);
/// w.begin_map(Some(2));
/// w.key("ShardId");
/// w.str("shardId-000000000000");
/// w.key("Data");
/// w.bytes(b"hi");
/// w.end_map();
/// assert_eq!(w.finish(), br#"{"ShardId":"shardId-000000000000","Data":"aGk="}"#);
/// ```
#[derive(Debug, Clone)]
pub struct Writer {
    enc: Encoding,
    buf: Vec<u8>,
    stack: Vec<Frame>,
    /// Element names and container kinds for the query protocol's XML.
    xml: XmlState,
}

/// One open map or array (XML keeps its own stack of elements besides).
#[derive(Debug, Clone, Copy)]
struct Frame {
    in_map: bool,
    /// JSON: something was written, so the next element needs a comma.
    started: bool,
    /// CBOR: opened without a length, so closing needs a break byte.
    indefinite: bool,
}

/// JSON escapes by byte: 0 means copy as is, `u` means `\u00XX`, anything else `\` + it.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

// CBOR major types.
const UNSIGNED: u8 = 0;
const NEGATIVE: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const TAG: u8 = 6;
/// Tag 1: epoch-based date/time. AWS CBOR puts milliseconds under it, not RFC 8949's seconds.
const TAG_EPOCH: u64 = 1;

impl Writer {
    /// An empty writer.
    pub fn new(enc: Encoding) -> Writer {
        Writer::with_capacity(enc, 256)
    }

    /// An empty writer with room for `capacity` bytes, to avoid regrowing a large response.
    pub fn with_capacity(enc: Encoding, capacity: usize) -> Writer {
        Writer {
            enc,
            buf: Vec::with_capacity(capacity),
            stack: Vec::with_capacity(8),
            xml: XmlState::default(),
        }
    }

    /// The encoding being written (`Query` is XML).
    pub fn encoding(&self) -> Encoding {
        self.enc
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Makes room for `additional` more bytes.
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// The finished document.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// JSON separates array elements with commas; map entries get theirs from `key`.
    fn before_value(&mut self) {
        if self.enc != Encoding::Json {
            return;
        }
        match self.stack.last_mut() {
            Some(top) if !top.in_map => {
                if top.started {
                    self.buf.push(b',');
                }
                top.started = true;
            }
            _ => {}
        }
    }

    fn open(&mut self, in_map: bool, len: Option<usize>) {
        self.before_value();
        match self.enc {
            Encoding::Json => self.buf.push(if in_map { b'{' } else { b'[' }),
            Encoding::Cbor | Encoding::RpcV2Cbor => {
                let major = if in_map { MAP } else { ARRAY };
                match len {
                    Some(n) => cbor_head(&mut self.buf, major, n as u64),
                    None => self.buf.push((major << 5) | 31),
                }
            }
            Encoding::Query => {
                let kind = if in_map { Kind::Struct } else { Kind::List };
                self.xml.open(&mut self.buf, kind);
            }
        }
        self.stack.push(Frame {
            in_map,
            started: false,
            indefinite: len.is_none(),
        });
    }

    fn close(&mut self, in_map: bool) {
        let frame = self.stack.pop();
        match self.enc {
            Encoding::Json => self.buf.push(if in_map { b'}' } else { b']' }),
            Encoding::Cbor | Encoding::RpcV2Cbor => {
                if frame.is_some_and(|f| f.indefinite) {
                    self.buf.push(0xff);
                }
            }
            Encoding::Query => self.xml.close(&mut self.buf),
        }
    }

    /// Opens a map of `len` entries; `None` writes an indefinite-length CBOR map (the count is
    /// ignored in JSON).
    pub fn begin_map(&mut self, len: Option<usize>) {
        self.open(true, len);
    }

    /// Closes the innermost map.
    pub fn end_map(&mut self) {
        self.close(true);
    }

    /// Opens a map with string keys chosen by data, not by a schema (a Smithy `map`, e.g. a
    /// Datapoint's ExtendedStatistics), where [`Writer::begin_map`] is for structures. The same
    /// as `begin_map` in JSON and CBOR; in XML its entries are
    /// `<entry><key>..</key><value>..</value></entry>`.
    pub fn begin_dict(&mut self, len: Option<usize>) {
        if self.enc == Encoding::Query {
            self.stack.push(Frame {
                in_map: true,
                started: false,
                indefinite: false,
            });
            self.xml.open(&mut self.buf, Kind::Dict);
        } else {
            self.open(true, len);
        }
    }

    /// Closes the innermost map opened by [`Writer::begin_dict`].
    pub fn end_dict(&mut self) {
        self.close(true);
    }

    /// Opens an array of `len` elements; `None` writes an indefinite-length CBOR array (the
    /// count is ignored in JSON).
    pub fn begin_array(&mut self, len: Option<usize>) {
        self.open(false, len);
    }

    /// Closes the innermost array.
    pub fn end_array(&mut self) {
        self.close(false);
    }

    /// Writes a map key; the entry's value must follow.
    pub fn key(&mut self, key: &str) {
        match self.enc {
            Encoding::Json => {
                if let Some(top) = self.stack.last_mut() {
                    if top.started {
                        self.buf.push(b',');
                    }
                    top.started = true;
                }
                json_str(&mut self.buf, key);
                self.buf.push(b':');
            }
            Encoding::Cbor | Encoding::RpcV2Cbor => cbor_text(&mut self.buf, key),
            Encoding::Query => self.xml.key(key),
        }
    }

    /// Writes a string.
    pub fn str(&mut self, value: &str) {
        self.before_value();
        match self.enc {
            Encoding::Json => json_str(&mut self.buf, value),
            Encoding::Cbor | Encoding::RpcV2Cbor => cbor_text(&mut self.buf, value),
            Encoding::Query => self.xml.scalar(&mut self.buf, value),
        }
    }

    /// Writes a blob: padded standard base64 in JSON, a byte string in CBOR.
    pub fn bytes(&mut self, value: &[u8]) {
        self.before_value();
        match self.enc {
            Encoding::Json => json_base64(&mut self.buf, value),
            Encoding::Cbor | Encoding::RpcV2Cbor => {
                cbor_head(&mut self.buf, BYTES, value.len() as u64);
                self.buf.extend_from_slice(value);
            }
            Encoding::Query => {
                let text = base64_simd::STANDARD.encode_to_string(value);
                self.xml.scalar(&mut self.buf, &text);
            }
        }
    }

    /// Writes a signed integer.
    pub fn int(&mut self, value: i64) {
        self.before_value();
        match self.enc {
            Encoding::Json => {
                if value < 0 {
                    self.buf.push(b'-');
                }
                decimal(&mut self.buf, value.unsigned_abs());
            }
            // CBOR stores a negative n as -1 - n, which is !n in two's complement.
            Encoding::Cbor | Encoding::RpcV2Cbor if value < 0 => {
                cbor_head(&mut self.buf, NEGATIVE, !value as u64)
            }
            Encoding::Cbor | Encoding::RpcV2Cbor => {
                cbor_head(&mut self.buf, UNSIGNED, value as u64)
            }
            Encoding::Query => self.xml.scalar(&mut self.buf, &value.to_string()),
        }
    }

    /// Writes an unsigned integer.
    pub fn uint(&mut self, value: u64) {
        self.before_value();
        match self.enc {
            Encoding::Json => decimal(&mut self.buf, value),
            Encoding::Cbor | Encoding::RpcV2Cbor => cbor_head(&mut self.buf, UNSIGNED, value),
            Encoding::Query => self.xml.scalar(&mut self.buf, &value.to_string()),
        }
    }

    /// Writes a float. JSON has no NaN or infinities, so those are written as the strings
    /// `"NaN"`, `"Infinity"` and `"-Infinity"`, as the AWS JSON protocols specify.
    pub fn float(&mut self, value: f64) {
        self.before_value();
        match self.enc {
            Encoding::Json if value.is_finite() => {
                // Both forms are the shortest digits that read back exactly. Like JavaScript,
                // switch to an exponent outside [1e-7, 1e21) so that 1e-300 is not 300 zeros.
                let magnitude = value.abs();
                if magnitude == 0.0 || (1e-7..1e21).contains(&magnitude) {
                    let _ = write!(self.buf, "{value}");
                } else {
                    let _ = write!(self.buf, "{value:e}");
                }
            }
            Encoding::Json => {
                let text = if value.is_nan() {
                    "NaN"
                } else if value > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                };
                json_str(&mut self.buf, text);
            }
            Encoding::Cbor | Encoding::RpcV2Cbor => {
                self.buf.push(0xfb);
                self.buf.extend_from_slice(&value.to_be_bytes());
            }
            Encoding::Query => self.xml.scalar(&mut self.buf, &xml::java_double(value)),
        }
    }

    /// Writes a boolean.
    pub fn bool(&mut self, value: bool) {
        self.before_value();
        match self.enc {
            Encoding::Json => self
                .buf
                .extend_from_slice(if value { b"true" } else { b"false" }),
            Encoding::Cbor | Encoding::RpcV2Cbor => self.buf.push(if value { 0xf5 } else { 0xf4 }),
            Encoding::Query => self
                .xml
                .scalar(&mut self.buf, if value { "true" } else { "false" }),
        }
    }

    /// Writes a null.
    pub fn null(&mut self) {
        self.before_value();
        match self.enc {
            Encoding::Json => self.buf.extend_from_slice(b"null"),
            Encoding::Cbor | Encoding::RpcV2Cbor => self.buf.push(0xf6),
            // XML leaves an absent value out.
            Encoding::Query => self.xml.null(),
        }
    }

    /// Writes a timestamp given in epoch milliseconds.
    ///
    /// JSON: epoch seconds as a plain decimal with at most three fraction digits and no
    /// exponent (`1700000000.123`, `1700000000`), which botocore, aws-smithy-json and the Java
    /// SDK all read. AWS CBOR 1.1: tag 1 over the integer milliseconds, which is what the Java
    /// SDK v2 reads. RPC v2 CBOR: tag 1 over f64 epoch seconds, the smallest double not below
    /// the exact value, so that readers that truncate to the millisecond (smithy-rs) read the
    /// same millisecond back. Query: ISO 8601 in UTC, `.sss` only when the milliseconds are not
    /// zero.
    pub fn timestamp_ms(&mut self, epoch_ms: i64) {
        match self.enc {
            Encoding::Json => {
                self.before_value();
                if epoch_ms < 0 {
                    self.buf.push(b'-');
                }
                let abs = epoch_ms.unsigned_abs();
                decimal(&mut self.buf, abs / 1000);
                let mut millis = abs % 1000;
                if millis != 0 {
                    self.buf.push(b'.');
                    let mut digits = 3;
                    while millis.is_multiple_of(10) {
                        millis /= 10;
                        digits -= 1;
                    }
                    // Leading zeros of the fraction: .05 is 50 ms.
                    for _ in 0..digits - decimal_len(millis) {
                        self.buf.push(b'0');
                    }
                    decimal(&mut self.buf, millis);
                }
            }
            Encoding::Cbor => {
                cbor_head(&mut self.buf, TAG, TAG_EPOCH);
                self.int(epoch_ms);
            }
            Encoding::Query => {
                let mut text = String::with_capacity(24);
                crate::time::format_iso8601(&mut text, epoch_ms);
                self.xml.scalar(&mut self.buf, &text);
            }
            Encoding::RpcV2Cbor => {
                cbor_head(&mut self.buf, TAG, TAG_EPOCH);
                self.buf.push(0xfb);
                self.buf
                    .extend_from_slice(&epoch_seconds(epoch_ms).to_be_bytes());
            }
        }
    }
}

/// `{"__type": code, "message": message}` in the given encoding (`Message` for a
/// SerializationException, as AWS writes it); without a message, the code alone (as AWS
/// sends for an unreadable body).
///
/// For [`Encoding::Query`] this is `<ErrorResponse><Error><Type>Sender</Type><Code>..`
/// without a namespace or request id, which this function does not know: the query protocol's
/// answers should come from [`query_error`](crate::query_error).
pub fn error_body(enc: Encoding, code: &str, message: Option<&str>) -> Vec<u8> {
    if enc == Encoding::Query {
        return crate::xml::error_document(None, true, code, message, None);
    }
    let extra = message.map_or(0, str::len);
    let mut w = Writer::with_capacity(enc, 32 + code.len() + extra + extra / 8);
    w.begin_map(Some(if message.is_some() { 2 } else { 1 }));
    w.key("__type");
    w.str(code);
    if let Some(message) = message {
        // AWS's JSON services write a SerializationException's text as `Message`, their
        // service errors' as `message`.
        w.key(if code == "SerializationException" {
            "Message"
        } else {
            "message"
        });
        w.str(message);
    }
    w.end_map();
    w.finish()
}

/// The name of the header that carries a query-compatible service's query error code in its
/// JSON and CBOR answers.
pub const QUERY_ERROR_HEADER: &str = "x-amzn-query-error";

/// An error answer of a query-compatible service (such as CloudWatch) in AWS JSON 1.0 or RPC
/// v2 CBOR: the body `{"__type": "{namespace}#{shape}", "message": message}` and the value of
/// the [`QUERY_ERROR_HEADER`], `{query_code};Sender` or `{query_code};Receiver`, which SDKs
/// use as the error code. An empty `namespace` leaves `__type` as the bare shape name.
///
/// For [`Encoding::Query`] the body is a bare `<ErrorResponse>` carrying `query_code` (see
/// [`error_body`]); query answers should come from [`query_error`](crate::query_error) and
/// need no header.
///
/// ```
/// use aws_wire::{Encoding, query_compatible_error};
///
/// let (body, header) = query_compatible_error(
///     Encoding::Json,
///     "com.amazonaws.cloudwatch.v2010_08_01",
///     "InvalidParameterValueException",
///     "InvalidParameterValue",
///     true,
///     Some("The parameter StartTime must be less than the parameter EndTime."),
/// );
/// assert_eq!(header, "InvalidParameterValue;Sender");
/// assert_eq!(
///     body,
///     br#"{"__type":"com.amazonaws.cloudwatch.v2010_08_01#InvalidParameterValueException","message":"The parameter StartTime must be less than the parameter EndTime."}"#
/// );
/// ```
pub fn query_compatible_error(
    enc: Encoding,
    namespace: &str,
    shape: &str,
    query_code: &str,
    sender: bool,
    message: Option<&str>,
) -> (Vec<u8>, String) {
    let fault = if sender { "Sender" } else { "Receiver" };
    let header = format!("{query_code};{fault}");
    let body = match enc {
        Encoding::Query => crate::xml::error_document(None, sender, query_code, message, None),
        _ if namespace.is_empty() => error_body(enc, shape, message),
        _ => error_body(enc, &format!("{namespace}#{shape}"), message),
    };
    (body, header)
}

fn json_str(buf: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(b)];
        if escape == 0 {
            continue;
        }
        // Runs that need no escaping are copied in one go; multi-byte UTF-8 never needs it.
        buf.extend_from_slice(&bytes[start..i]);
        if escape == b'u' {
            buf.extend_from_slice(b"\\u00");
            buf.push(HEX[usize::from(b >> 4)]);
            buf.push(HEX[usize::from(b & 0xf)]);
        } else {
            buf.push(b'\\');
            buf.push(escape);
        }
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

fn json_base64(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.reserve(base64_simd::STANDARD.encoded_length(bytes.len()) + 2);
    buf.push(b'"');
    // SIMD encoding straight into the buffer's spare capacity: record data is most of a
    // GetRecords answer.
    base64_simd::STANDARD.encode_append(bytes, buf);
    buf.push(b'"');
}

/// Epoch milliseconds as f64 seconds for RPC v2 CBOR: the smallest double not below the exact
/// value. The nearest double is below it for about half of all milliseconds (1.007 is
/// 1.00699999...), and smithy-rs (aws-sdk-rust) reads a float timestamp by truncating to the
/// millisecond, so it would read those one millisecond early; readers that round are not
/// affected by the difference of one unit in the last place.
fn epoch_seconds(epoch_ms: i64) -> f64 {
    let ms = epoch_ms as f64;
    let secs = ms / 1000.0;
    // `mul_add` rounds once, so the sign of secs * 1000 - ms is exact (ms is exact below
    // 2^53, some 285,000 years).
    if secs.mul_add(1000.0, -ms) < 0.0 {
        secs.next_up()
    } else {
        secs
    }
}

fn decimal(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20]; // u64::MAX has 20 digits
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

fn cbor_head(buf: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    if n < 24 {
        buf.push(major | n as u8);
    } else if let Ok(n) = u8::try_from(n) {
        buf.push(major | 24);
        buf.push(n);
    } else if let Ok(n) = u16::try_from(n) {
        buf.push(major | 25);
        buf.extend_from_slice(&n.to_be_bytes());
    } else if let Ok(n) = u32::try_from(n) {
        buf.push(major | 26);
        buf.extend_from_slice(&n.to_be_bytes());
    } else {
        buf.push(major | 27);
        buf.extend_from_slice(&n.to_be_bytes());
    }
}

fn cbor_text(buf: &mut Vec<u8>, text: &str) {
    cbor_head(buf, TEXT, text.len() as u64);
    buf.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(f: impl FnOnce(&mut Writer)) -> String {
        let mut w = Writer::new(Encoding::Json);
        f(&mut w);
        String::from_utf8(w.finish()).expect("JSON output is UTF-8")
    }

    fn cbor(f: impl FnOnce(&mut Writer)) -> Vec<u8> {
        let mut w = Writer::new(Encoding::Cbor);
        f(&mut w);
        w.finish()
    }

    #[test]
    fn json_structure_and_commas() {
        let out = json(|w| {
            w.begin_map(None);
            w.key("a");
            w.begin_array(Some(3));
            w.int(-1);
            w.uint(u64::MAX);
            w.begin_map(Some(0));
            w.end_map();
            w.end_array();
            w.key("b");
            w.null();
            w.key("c");
            w.bool(true);
            w.key("d");
            w.begin_array(None);
            w.end_array();
            w.end_map();
        });
        assert_eq!(
            out,
            r#"{"a":[-1,18446744073709551615,{}],"b":null,"c":true,"d":[]}"#
        );
    }

    #[test]
    fn json_escapes() {
        let out = json(|w| w.str("q\"b\\n\nt\tc\u{1}\u{1f}d\u{7f}é😀"));
        assert_eq!(out, "\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001fd\u{7f}é😀\"");
        let all_controls: String = (0u8..0x20).map(char::from).collect();
        let out = json(|w| w.str(&all_controls));
        let back: String = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(back, all_controls);
    }

    #[test]
    fn json_numbers() {
        assert_eq!(json(|w| w.int(i64::MIN)), "-9223372036854775808");
        assert_eq!(json(|w| w.int(0)), "0");
        assert_eq!(json(|w| w.float(1.5)), "1.5");
        assert_eq!(json(|w| w.float(1e20)), "100000000000000000000");
        assert_eq!(json(|w| w.float(1e21)), "1e21");
        assert_eq!(json(|w| w.float(-2.5e-8)), "-2.5e-8");
        assert_eq!(json(|w| w.float(0.0)), "0");
        assert_eq!(json(|w| w.float(f64::NAN)), "\"NaN\"");
        assert_eq!(json(|w| w.float(f64::NEG_INFINITY)), "\"-Infinity\"");
        assert_eq!(json(|w| w.float(f64::INFINITY)), "\"Infinity\"");
    }

    #[test]
    fn json_timestamps() {
        let ts = |ms| json(|w| w.timestamp_ms(ms));
        assert_eq!(ts(1_700_000_000_123), "1700000000.123");
        assert_eq!(ts(1_700_000_000_000), "1700000000");
        assert_eq!(ts(1_700_000_000_100), "1700000000.1");
        assert_eq!(ts(1_700_000_000_050), "1700000000.05");
        assert_eq!(ts(1_700_000_000_007), "1700000000.007");
        assert_eq!(ts(0), "0");
        assert_eq!(ts(-1500), "-1.5");
        assert_eq!(ts(-1), "-0.001");
        assert_eq!(ts(i64::MIN), "-9223372036854775.808");
    }

    #[test]
    fn json_base64_blobs() {
        assert_eq!(json(|w| w.bytes(b"")), "\"\"");
        assert_eq!(json(|w| w.bytes(b"f")), "\"Zg==\"");
        assert_eq!(json(|w| w.bytes(b"fo")), "\"Zm8=\"");
        assert_eq!(json(|w| w.bytes(b"foo")), "\"Zm9v\"");
        assert_eq!(json(|w| w.bytes(&[0xfb, 0xff])), "\"+/8=\"");
    }

    #[test]
    fn cbor_heads() {
        assert_eq!(cbor(|w| w.uint(23)), [0x17]);
        assert_eq!(cbor(|w| w.uint(24)), [0x18, 24]);
        assert_eq!(cbor(|w| w.uint(256)), [0x19, 1, 0]);
        assert_eq!(cbor(|w| w.uint(65536)), [0x1a, 0, 1, 0, 0]);
        assert_eq!(cbor(|w| w.uint(1 << 32)), [0x1b, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(cbor(|w| w.int(-1)), [0x20]);
        assert_eq!(cbor(|w| w.int(-25)), [0x38, 24]);
        assert_eq!(
            cbor(|w| w.int(i64::MIN)),
            [0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(cbor(|w| w.str("a")), [0x61, b'a']);
        assert_eq!(cbor(|w| w.bytes(&[1, 2])), [0x42, 1, 2]);
        assert_eq!(cbor(|w| w.bool(false)), [0xf4]);
        assert_eq!(cbor(|w| w.null()), [0xf6]);
        assert_eq!(cbor(|w| w.float(1.5)), [0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn cbor_containers() {
        let definite = cbor(|w| {
            w.begin_map(Some(1));
            w.key("a");
            w.begin_array(Some(1));
            w.int(1);
            w.end_array();
            w.end_map();
        });
        assert_eq!(definite, [0xa1, 0x61, b'a', 0x81, 0x01]);
        let indefinite = cbor(|w| {
            w.begin_map(None);
            w.key("a");
            w.begin_array(None);
            w.int(1);
            w.end_array();
            w.end_map();
        });
        assert_eq!(indefinite, [0xbf, 0x61, b'a', 0x9f, 0x01, 0xff, 0xff]);
    }

    #[test]
    fn cbor_timestamp_is_tagged_millis() {
        let out = cbor(|w| w.timestamp_ms(1_700_000_000_123));
        let value: ciborium::Value = ciborium::de::from_reader(out.as_slice()).expect("valid");
        assert_eq!(
            value,
            ciborium::Value::Tag(
                1,
                Box::new(ciborium::Value::Integer(1_700_000_000_123i64.into()))
            )
        );
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_body(Encoding::Json, "ValidationException", Some("bad \"x\"")),
            br#"{"__type":"ValidationException","message":"bad \"x\""}"#
        );
        assert_eq!(
            error_body(Encoding::Json, "SerializationException", None),
            br#"{"__type":"SerializationException"}"#
        );
        let body = error_body(Encoding::Cbor, "ResourceNotFoundException", Some("gone"));
        let value: ciborium::Value = ciborium::de::from_reader(body.as_slice()).expect("valid");
        assert_eq!(
            value,
            ciborium::Value::Map(vec![
                (
                    ciborium::Value::Text("__type".into()),
                    ciborium::Value::Text("ResourceNotFoundException".into())
                ),
                (
                    ciborium::Value::Text("message".into()),
                    ciborium::Value::Text("gone".into())
                ),
            ])
        );
    }

    #[test]
    fn misuse_does_not_panic() {
        let mut w = Writer::new(Encoding::Cbor);
        w.end_map();
        w.end_array();
        let mut j = Writer::new(Encoding::Json);
        j.end_map();
        j.key("x");
        assert_eq!(j.finish(), b"}\"x\":");
    }
}
