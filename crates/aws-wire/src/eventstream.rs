//! The `application/vnd.amazon.eventstream` framing that AWS streaming operations
//! (Kinesis SubscribeToShard) send their events in.
//!
//! A message is a 12-byte prelude (total length, headers length, both big-endian u32, then a
//! CRC-32 of those 8 bytes), the headers, the payload and a CRC-32 of everything before it.
//! A header is its name's length (u8), the name, a type byte and the value; only string
//! values (type 7: u16 length, UTF-8 bytes) are written here, the only type the Kinesis
//! events carry. The CRC is the ISO-HDLC CRC-32 (`crc32fast`), not CRC-32C.

/// The content type of an event-stream body.
pub const CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

const PRELUDE_LEN: usize = 12;
const STRING_TYPE: u8 = 7;

/// Encodes one message with string `headers` and `payload`.
pub fn encode_message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let headers_len: usize = headers
        .iter()
        .map(|(name, value)| 1 + name.len() + 1 + 2 + value.len())
        .sum();
    let total = PRELUDE_LEN + headers_len + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(headers_len as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    for (name, value) in headers {
        // Header names and the values written here are short protocol constants.
        out.push(name.len().min(255) as u8);
        out.extend_from_slice(&name.as_bytes()[..name.len().min(255)]);
        out.push(STRING_TYPE);
        let value = &value.as_bytes()[..value.len().min(u16::MAX as usize)];
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        out.extend_from_slice(value);
    }
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// A message read back by [`decode_message`]: its string headers and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The headers whose values are strings, in order.
    pub headers: Vec<(String, String)>,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Message {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads the message at the start of `buf`: `Ok(None)` while it is incomplete, else the
/// message and the bytes it took. Checks both CRCs; skips headers of other types.
pub fn decode_message(buf: &[u8]) -> Result<Option<(Message, usize)>, String> {
    if buf.len() < PRELUDE_LEN {
        return Ok(None);
    }
    let u32_at = |at: usize| u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
    let total = u32_at(0) as usize;
    let headers_len = u32_at(4) as usize;
    if crc32fast::hash(&buf[..8]) != u32_at(8) {
        return Err("prelude CRC mismatch".into());
    }
    if total < PRELUDE_LEN + headers_len + 4 {
        return Err("message shorter than its headers".into());
    }
    if buf.len() < total {
        return Ok(None);
    }
    if crc32fast::hash(&buf[..total - 4]) != u32_at(total - 4) {
        return Err("message CRC mismatch".into());
    }
    let mut headers = Vec::new();
    let mut at = PRELUDE_LEN;
    let end = PRELUDE_LEN + headers_len;
    while at < end {
        let name_len = usize::from(buf[at]);
        let name = buf.get(at + 1..at + 1 + name_len).ok_or("header name")?;
        at += 1 + name_len;
        let kind = *buf.get(at).ok_or("header type")?;
        at += 1;
        let fixed = match kind {
            0 | 1 => 0,
            2 => 1,
            3 => 2,
            4 => 4,
            5 | 8 => 8,
            9 => 16,
            6 | 7 => {
                let len = buf.get(at..at + 2).ok_or("header length")?;
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                let value = buf.get(at + 2..at + 2 + len).ok_or("header value")?;
                if kind == STRING_TYPE {
                    headers.push((
                        String::from_utf8_lossy(name).into_owned(),
                        String::from_utf8_lossy(value).into_owned(),
                    ));
                }
                at += 2 + len;
                continue;
            }
            _ => return Err(format!("unknown header type {kind}")),
        };
        at += fixed;
    }
    if at != end {
        return Err("headers overrun their length".into());
    }
    let payload = buf[end..total - 4].to_vec();
    Ok(Some((Message { headers, payload }, total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_incomplete() {
        let msg = encode_message(&[(":message-type", "event"), (":event-type", "x")], b"{}");
        assert_eq!(decode_message(&msg[..msg.len() - 1]), Ok(None));
        let (m, used) = decode_message(&msg).unwrap().unwrap();
        assert_eq!(used, msg.len());
        assert_eq!(m.header(":event-type"), Some("x"));
        assert_eq!(m.payload, b"{}");
        let mut bad = msg.clone();
        bad[msg.len() - 5] ^= 1;
        assert!(decode_message(&bad).is_err());
    }
}
