//! Shard iterators: opaque tokens that name a position in a shard and expire after five minutes.
//!
//! Layout before base64: version byte (1), stream creation time (epoch ms, u64), shard index
//! (u32), record position (u64), issue time (epoch ms, u64), stream name bytes, then a CRC-32C
//! of everything before it. The checksum makes a mangled or made-up token an
//! `InvalidArgumentException` rather than a read of somewhere unexpected.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time_source::civil_from_days;

/// How long an iterator stays valid after it is issued, as AWS documents.
pub const ITERATOR_TTL_MS: u64 = 300_000;

const VERSION: u8 = 1;
const FIXED_LEN: usize = 1 + 8 + 4 + 8 + 8;

/// The decoded content of a shard iterator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IteratorToken {
    /// The stream's name.
    pub stream_name: String,
    /// The stream's creation time in epoch milliseconds; tells apart a stream re-created under
    /// the same name.
    pub stream_created_ms: u64,
    /// The shard index.
    pub shard_index: u32,
    /// The position of the next record to read (record index within the shard).
    pub position: u64,
    /// When the iterator was issued, epoch milliseconds.
    pub issued_ms: u64,
}

impl IteratorToken {
    /// Encodes the token as the opaque string handed to clients.
    pub fn encode(&self) -> String {
        let mut raw = Vec::with_capacity(FIXED_LEN + self.stream_name.len() + 4);
        raw.push(VERSION);
        raw.extend_from_slice(&self.stream_created_ms.to_be_bytes());
        raw.extend_from_slice(&self.shard_index.to_be_bytes());
        raw.extend_from_slice(&self.position.to_be_bytes());
        raw.extend_from_slice(&self.issued_ms.to_be_bytes());
        raw.extend_from_slice(self.stream_name.as_bytes());
        let crc = crc32c::crc32c(&raw);
        raw.extend_from_slice(&crc.to_be_bytes());
        STANDARD.encode(raw)
    }

    /// Decodes a token produced by [`IteratorToken::encode`]; `None` for anything else.
    pub fn decode(text: &str) -> Option<IteratorToken> {
        let raw = STANDARD.decode(text).ok()?;
        if raw.len() < FIXED_LEN + 1 + 4 || raw[0] != VERSION {
            return None;
        }
        let (body, crc) = raw.split_at(raw.len() - 4);
        if crc32c::crc32c(body).to_be_bytes() != crc {
            return None;
        }
        let u64_at = |at: usize| -> Option<u64> {
            Some(u64::from_be_bytes(body.get(at..at + 8)?.try_into().ok()?))
        };
        let shard_index = u32::from_be_bytes(body.get(9..13)?.try_into().ok()?);
        let stream_name = std::str::from_utf8(body.get(FIXED_LEN..)?).ok()?.to_owned();
        Some(IteratorToken {
            stream_name,
            stream_created_ms: u64_at(1)?,
            shard_index,
            position: u64_at(13)?,
            issued_ms: u64_at(21)?,
        })
    }
}

/// Formats epoch milliseconds the way AWS prints times in iterator errors:
/// `Thu Jan 22 01:22:02 UTC 2015`.
pub fn aws_utc_string(epoch_ms: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = epoch_ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = IteratorToken {
            stream_name: "my.stream-1".into(),
            stream_created_ms: 1_700_000_000_123,
            shard_index: 7,
            position: 42,
            issued_ms: 1_700_000_100_000,
        };
        let s = t.encode();
        assert!(s.len() <= 512);
        assert_eq!(IteratorToken::decode(&s), Some(t));
    }

    #[test]
    fn tampering_is_detected() {
        let t = IteratorToken {
            stream_name: "s".into(),
            stream_created_ms: 1,
            shard_index: 0,
            position: 0,
            issued_ms: 2,
        };
        let s = t.encode();
        let mut bytes = STANDARD.decode(&s).unwrap();
        bytes[14] ^= 1;
        assert_eq!(IteratorToken::decode(&STANDARD.encode(bytes)), None);
        assert_eq!(IteratorToken::decode("AAAA"), None);
        assert_eq!(IteratorToken::decode("not base64!"), None);
    }

    #[test]
    fn aws_time_format() {
        // 2015-01-22T01:22:02Z
        assert_eq!(
            aws_utc_string(1_421_889_722_000),
            "Thu Jan 22 01:22:02 UTC 2015"
        );
        assert_eq!(aws_utc_string(0), "Thu Jan 01 00:00:00 UTC 1970");
    }
}
