//! The Kinesis Producer Library's aggregated record format.
//!
//! An aggregated record packs many *user records* into the data of one Kinesis record:
//!
//! ```text
//! +----------------+---------------------------+------------------------------+
//! | F3 89 9A C2    | protobuf AggregatedRecord | MD5 of the protobuf bytes    |
//! | (4 bytes)      | (proto2, see below)       | (16 bytes)                   |
//! +----------------+---------------------------+------------------------------+
//!
//! message AggregatedRecord {
//!   repeated string partition_key_table     = 1;
//!   repeated string explicit_hash_key_table = 2;
//!   repeated Record records                 = 3;
//! }
//! message Record {
//!   required uint64 partition_key_index     = 1;
//!   optional uint64 explicit_hash_key_index = 2;
//!   required bytes  data                    = 3;
//!   repeated Tag    tags                    = 4;
//! }
//! message Tag { required string key = 1; optional string value = 2; }
//! ```
//!
//! Partition keys and explicit hash keys are stored once each in the two tables and referred to
//! by index. The KCL and aws-kinesis-agg read this format; the KCL drops the user records of an
//! aggregate whose hash keys fall outside the shard it was read from, so an [`Aggregator`] must
//! only ever hold records bound for one shard.
//!
//! The protobuf encoding is written by hand: the writer emits fields in field-number order (as
//! the reference implementations do), and the reader accepts any order, skips unknown fields
//! of every wire type, and rejects truncated or oversized input without panicking, since it
//! parses bytes from the network.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::collections::HashMap;

use bytes::Bytes;
use md5::{Digest, Md5};

/// The four bytes an aggregated record starts with.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];

/// The largest Kinesis record: its data plus its partition key (UTF-8 bytes) may not exceed
/// 1 MiB.
pub const MAX_AGGREGATE_BYTES: usize = 1024 * 1024;

/// Length of the MD5 trailer.
const DIGEST_LEN: usize = 16;

/// Bytes an aggregate carries besides its protobuf body: the magic and the MD5.
const OVERHEAD: usize = MAGIC.len() + DIGEST_LEN;

/// Deepest nesting of unknown protobuf groups the reader skips before giving up.
const MAX_GROUP_DEPTH: usize = 64;

// Protobuf wire types.
const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_START_GROUP: u8 = 3;
const WIRE_END_GROUP: u8 = 4;
const WIRE_FIXED32: u8 = 5;

// Field numbers of AggregatedRecord.
const AGG_PARTITION_KEY_TABLE: u64 = 1;
const AGG_EXPLICIT_HASH_KEY_TABLE: u64 = 2;
const AGG_RECORDS: u64 = 3;

// Field numbers of Record.
const REC_PARTITION_KEY_INDEX: u64 = 1;
const REC_EXPLICIT_HASH_KEY_INDEX: u64 = 2;
const REC_DATA: u64 = 3;

/// Why bytes could not be de-aggregated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KplError {
    /// The bytes are not an aggregated record (no magic, too short, or the MD5 trailer does not
    /// match); treat them as one plain record.
    #[error("not a KPL aggregated record")]
    NotAggregated,
    /// The bytes claim to be an aggregated record (magic and MD5 match) but the protobuf body
    /// is invalid: truncated, a bad varint, a table index out of range, a key that is not
    /// UTF-8, or a required field missing.
    #[error("malformed KPL aggregated record: {0}")]
    Malformed(String),
}

/// One record as the application produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Its partition key.
    pub partition_key: String,
    /// Its explicit hash key (a decimal 128-bit integer), if it overrides the partition key's
    /// hash.
    pub explicit_hash_key: Option<String>,
    /// Its data.
    pub data: Bytes,
}

/// An aggregate ready to be put as one Kinesis record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregatedRecord {
    /// Partition key of the Kinesis record: that of the first user record.
    pub partition_key: String,
    /// Explicit hash key of the Kinesis record: the hash key of the first user record in
    /// decimal (its explicit hash key if it had one, else the MD5 of its partition key), so
    /// the aggregate lands on the shard its user records were grouped for. Always `Some` for
    /// an aggregate built by [`Aggregator::finish`].
    pub explicit_hash_key: Option<String>,
    /// The aggregated bytes: magic, protobuf body, MD5.
    pub data: Bytes,
    /// Number of user records inside.
    pub records: usize,
    /// Sum of the user records' data lengths.
    pub user_bytes: usize,
}

/// One user record read out of an aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeaggregatedRecord {
    /// Its partition key.
    pub partition_key: String,
    /// Its explicit hash key, if it was given one.
    pub explicit_hash_key: Option<String>,
    /// Its data: a slice of the aggregate's bytes, not a copy.
    pub data: Bytes,
    /// Its position in the aggregate, from 0: together with the Kinesis record's sequence
    /// number, it identifies the user record.
    pub sub_sequence_number: u64,
}

/// A user record as the aggregator holds it until [`Aggregator::finish`] encodes it.
#[derive(Debug, Clone)]
struct Pending {
    partition_key_index: u64,
    explicit_hash_key_index: Option<u64>,
    data: Bytes,
}

/// Accumulates user records bound for one shard into one aggregated record.
///
/// The aggregator keeps the exact size the encoded aggregate would have, updated in O(1) per
/// [`push`](Aggregator::push), so a caller can fill it up to the Kinesis record limit without
/// encoding anything twice:
///
/// ```
/// # use kinesis_kpl::{Aggregator, UserRecord};
/// # let records: Vec<UserRecord> = Vec::new();
/// let mut agg = Aggregator::new();
/// let mut out = Vec::new();
/// for rec in records {
///     if !agg.is_empty() && !agg.fits(&rec) {
///         out.extend(agg.finish());
///     }
///     // A record that does not fit even alone must be sent plain or rejected.
///     agg.push(rec);
/// }
/// out.extend(agg.finish());
/// ```
///
/// It does not route: every record pushed must map to the same shard, because the aggregate is
/// put with the first record's hash key and consumers drop user records whose own hash key
/// falls outside the shard the aggregate was read from.
#[derive(Debug, Clone, Default)]
pub struct Aggregator {
    partition_keys: Vec<String>,
    partition_key_index: HashMap<String, u64>,
    explicit_hash_keys: Vec<String>,
    explicit_hash_key_index: HashMap<String, u64>,
    records: Vec<Pending>,
    /// Exact length of the protobuf body encoding everything above.
    body_len: usize,
    user_bytes: usize,
}

impl Aggregator {
    /// An empty aggregator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of user records held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no user record is held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Exact length of the data [`finish`](Aggregator::finish) would return now, magic and MD5
    /// included (20 bytes when empty, though `finish` then returns nothing).
    pub fn encoded_size(&self) -> usize {
        OVERHEAD + self.body_len
    }

    /// Exact length of the aggregate's data if `rec` were pushed now.
    ///
    /// This is the data only. Kinesis counts the Kinesis record's partition key against the
    /// same 1 MiB limit, and an aggregate is put with its first user record's partition key, so
    /// a caller must check `size_with(rec) + outer_key.len() <= MAX_AGGREGATE_BYTES`, where
    /// `outer_key` is the first record's partition key in UTF-8 bytes (`rec`'s own when the
    /// aggregator is empty). [`fits`](Aggregator::fits) does exactly that.
    pub fn size_with(&self, rec: &UserRecord) -> usize {
        self.encoded_size() + self.added_len(rec)
    }

    /// Whether `rec` can be pushed with the aggregate staying within [`MAX_AGGREGATE_BYTES`],
    /// counting the outer partition key as Kinesis does.
    pub fn fits(&self, rec: &UserRecord) -> bool {
        let outer_key = self.partition_keys.first().unwrap_or(&rec.partition_key);
        self.size_with(rec).saturating_add(outer_key.len()) <= MAX_AGGREGATE_BYTES
    }

    /// Adds a user record. Partition keys and explicit hash keys already in the tables are
    /// referred to, not repeated.
    ///
    /// This does not check the size limit: see [`fits`](Aggregator::fits).
    pub fn push(&mut self, rec: UserRecord) {
        self.body_len += self.added_len(&rec);
        self.user_bytes += rec.data.len();
        let partition_key_index = intern(
            &mut self.partition_keys,
            &mut self.partition_key_index,
            rec.partition_key,
        );
        let explicit_hash_key_index = rec.explicit_hash_key.map(|ehk| {
            intern(
                &mut self.explicit_hash_keys,
                &mut self.explicit_hash_key_index,
                ehk,
            )
        });
        self.records.push(Pending {
            partition_key_index,
            explicit_hash_key_index,
            data: rec.data,
        });
    }

    /// Encodes the records held into one aggregate and empties the aggregator; `None` if it
    /// held nothing. A single record is aggregated too: whether to send it plain instead is the
    /// caller's choice.
    pub fn finish(&mut self) -> Option<AggregatedRecord> {
        if self.records.is_empty() {
            return None;
        }
        let agg = std::mem::take(self);

        let mut out = Vec::with_capacity(OVERHEAD + agg.body_len);
        out.extend_from_slice(&MAGIC);
        for key in &agg.partition_keys {
            put_len_field(&mut out, AGG_PARTITION_KEY_TABLE, key.as_bytes());
        }
        for key in &agg.explicit_hash_keys {
            put_len_field(&mut out, AGG_EXPLICIT_HASH_KEY_TABLE, key.as_bytes());
        }
        for rec in &agg.records {
            let inner = record_len(
                rec.partition_key_index,
                rec.explicit_hash_key_index,
                rec.data.len(),
            );
            put_key(&mut out, AGG_RECORDS, WIRE_LEN);
            put_varint(&mut out, inner as u64);
            put_key(&mut out, REC_PARTITION_KEY_INDEX, WIRE_VARINT);
            put_varint(&mut out, rec.partition_key_index);
            if let Some(index) = rec.explicit_hash_key_index {
                put_key(&mut out, REC_EXPLICIT_HASH_KEY_INDEX, WIRE_VARINT);
                put_varint(&mut out, index);
            }
            put_len_field(&mut out, REC_DATA, &rec.data);
        }
        let digest = Md5::digest(&out[MAGIC.len()..]);
        out.extend_from_slice(&digest);
        debug_assert_eq!(out.len(), OVERHEAD + agg.body_len);

        let first = &agg.records[0];
        let partition_key = agg.partition_keys[first.partition_key_index as usize].clone();
        let explicit_hash_key = match first.explicit_hash_key_index {
            Some(index) => agg.explicit_hash_keys[index as usize].clone(),
            None => hash_key_decimal(&partition_key),
        };
        Some(AggregatedRecord {
            partition_key,
            explicit_hash_key: Some(explicit_hash_key),
            data: Bytes::from(out),
            records: agg.records.len(),
            user_bytes: agg.user_bytes,
        })
    }

    /// How many bytes pushing `rec` would add to the protobuf body.
    fn added_len(&self, rec: &UserRecord) -> usize {
        let mut added = 0;
        let partition_key_index = match self.partition_key_index.get(&rec.partition_key) {
            Some(&index) => index,
            None => {
                added += len_field_len(rec.partition_key.len());
                self.partition_keys.len() as u64
            }
        };
        let explicit_hash_key_index =
            rec.explicit_hash_key
                .as_ref()
                .map(|ehk| match self.explicit_hash_key_index.get(ehk) {
                    Some(&index) => index,
                    None => {
                        added += len_field_len(ehk.len());
                        self.explicit_hash_keys.len() as u64
                    }
                });
        added
            + len_field_len(record_len(
                partition_key_index,
                explicit_hash_key_index,
                rec.data.len(),
            ))
    }
}

/// The index of `key` in `table`, adding it if new.
fn intern(table: &mut Vec<String>, index: &mut HashMap<String, u64>, key: String) -> u64 {
    if let Some(&i) = index.get(&key) {
        return i;
    }
    let i = table.len() as u64;
    index.insert(key.clone(), i);
    table.push(key);
    i
}

/// The hash key of a partition key in decimal: its MD5 read as a big-endian 128-bit integer.
fn hash_key_decimal(partition_key: &str) -> String {
    u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into()).to_string()
}

/// Bytes of the varint encoding of `v`.
fn varint_len(v: u64) -> usize {
    // One byte per started group of 7 significant bits; zero takes one byte.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Bytes of a length-delimited field with a one-byte key and a payload of `len` bytes.
fn len_field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// Bytes of an encoded `Record` message (its payload, without the enclosing key and length).
fn record_len(
    partition_key_index: u64,
    explicit_hash_key_index: Option<u64>,
    data_len: usize,
) -> usize {
    1 + varint_len(partition_key_index)
        + explicit_hash_key_index.map_or(0, |i| 1 + varint_len(i))
        + len_field_len(data_len)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes a field key. Every field this module writes is numbered below 16, so a key is one
/// byte, as the size accounting assumes.
fn put_key(out: &mut Vec<u8>, field: u64, wire_type: u8) {
    debug_assert!(field < 16);
    put_varint(out, (field << 3) | u64::from(wire_type));
}

fn put_len_field(out: &mut Vec<u8>, field: u64, payload: &[u8]) {
    put_key(out, field, WIRE_LEN);
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// Whether `data` is an aggregated record: it starts with [`MAGIC`], is longer than the magic
/// and MD5 alone (20 bytes), and ends with the MD5 of the bytes between them.
pub fn is_aggregated(data: &[u8]) -> bool {
    data.len() > OVERHEAD
        && data.starts_with(&MAGIC)
        && Md5::digest(&data[MAGIC.len()..data.len() - DIGEST_LEN])[..]
            == data[data.len() - DIGEST_LEN..]
}

/// Splits an aggregated record into its user records, in order.
///
/// Returns [`KplError::NotAggregated`] when `data` is not an aggregate (callers then treat it
/// as one plain record) and [`KplError::Malformed`] when it is one but its body is invalid.
/// Each user record's data is a slice of `data`, not a copy. Tags are skipped.
pub fn deaggregate(data: &Bytes) -> Result<Vec<DeaggregatedRecord>, KplError> {
    if !is_aggregated(data) {
        return Err(KplError::NotAggregated);
    }
    let body_end = data.len() - DIGEST_LEN;
    let body = parse_body(&data[..body_end], MAGIC.len())?;
    let mut out = Vec::with_capacity(body.records.len());
    for (n, rec) in body.records.into_iter().enumerate() {
        let partition_key = usize::try_from(rec.partition_key_index)
            .ok()
            .and_then(|i| body.partition_keys.get(i))
            .ok_or_else(|| {
                malformed(format!(
                    "record {n}: partition key index {} out of a table of {}",
                    rec.partition_key_index,
                    body.partition_keys.len()
                ))
            })?;
        let explicit_hash_key = match rec.explicit_hash_key_index {
            None => None,
            Some(index) => Some(
                usize::try_from(index)
                    .ok()
                    .and_then(|i| body.explicit_hash_keys.get(i))
                    .ok_or_else(|| {
                        malformed(format!(
                            "record {n}: explicit hash key index {index} out of a table of {}",
                            body.explicit_hash_keys.len()
                        ))
                    })?
                    .clone(),
            ),
        };
        out.push(DeaggregatedRecord {
            partition_key: partition_key.clone(),
            explicit_hash_key,
            data: data.slice(rec.data),
            sub_sequence_number: n as u64,
        });
    }
    Ok(out)
}

fn malformed(msg: impl Into<String>) -> KplError {
    KplError::Malformed(msg.into())
}

/// A parsed `AggregatedRecord` whose record data are ranges of the input.
#[derive(Debug, Default)]
struct Body {
    partition_keys: Vec<String>,
    explicit_hash_keys: Vec<String>,
    records: Vec<RawRecord>,
}

/// A parsed `Record`, indices not yet checked against the tables.
#[derive(Debug)]
struct RawRecord {
    partition_key_index: u64,
    explicit_hash_key_index: Option<u64>,
    data: std::ops::Range<usize>,
}

/// Parses the protobuf body `buf[start..]`; ranges in the result index `buf`.
fn parse_body(buf: &[u8], start: usize) -> Result<Body, KplError> {
    let mut body = Body::default();
    let mut r = Reader {
        buf,
        pos: start,
        end: buf.len(),
    };
    while let Some((field, wire_type)) = r.key()? {
        match (field, wire_type) {
            (AGG_PARTITION_KEY_TABLE, WIRE_LEN) => {
                let range = r.len_delimited()?;
                body.partition_keys
                    .push(utf8(&buf[range], "partition key")?);
            }
            (AGG_EXPLICIT_HASH_KEY_TABLE, WIRE_LEN) => {
                let range = r.len_delimited()?;
                body.explicit_hash_keys
                    .push(utf8(&buf[range], "explicit hash key")?);
            }
            (AGG_RECORDS, WIRE_LEN) => {
                let range = r.len_delimited()?;
                body.records.push(parse_record(buf, range)?);
            }
            _ => r.skip(field, wire_type)?,
        }
    }
    Ok(body)
}

/// Parses one `Record` message at `buf[range]`.
fn parse_record(buf: &[u8], range: std::ops::Range<usize>) -> Result<RawRecord, KplError> {
    let mut r = Reader {
        buf,
        pos: range.start,
        end: range.end,
    };
    let mut partition_key_index = None;
    let mut explicit_hash_key_index = None;
    let mut data = None;
    // As protobuf does, a field seen twice keeps its last value.
    while let Some((field, wire_type)) = r.key()? {
        match (field, wire_type) {
            (REC_PARTITION_KEY_INDEX, WIRE_VARINT) => partition_key_index = Some(r.varint()?),
            (REC_EXPLICIT_HASH_KEY_INDEX, WIRE_VARINT) => {
                explicit_hash_key_index = Some(r.varint()?)
            }
            (REC_DATA, WIRE_LEN) => data = Some(r.len_delimited()?),
            _ => r.skip(field, wire_type)?,
        }
    }
    Ok(RawRecord {
        partition_key_index: partition_key_index
            .ok_or_else(|| malformed("record without a partition key index"))?,
        explicit_hash_key_index,
        data: data.ok_or_else(|| malformed("record without data"))?,
    })
}

fn utf8(bytes: &[u8], what: &str) -> Result<String, KplError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| malformed(format!("{what} is not UTF-8")))
}

/// A cursor over `buf[pos..end]` that never reads past `end`.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, KplError> {
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&byte) = self.buf[..self.end].get(self.pos) else {
                return Err(malformed("truncated varint"));
            };
            self.pos += 1;
            // The tenth byte holds bit 63 only.
            if i == 9 && byte > 1 {
                return Err(malformed("varint overflows 64 bits"));
            }
            value |= u64::from(byte & 0x7F) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed("varint longer than 10 bytes"))
    }

    /// The next field's number and wire type, or `None` at the end.
    fn key(&mut self) -> Result<Option<(u64, u8)>, KplError> {
        if self.pos >= self.end {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        if field == 0 || field > u64::from(u32::MAX >> 3) {
            return Err(malformed(format!("invalid field number {field}")));
        }
        Ok(Some((field, (key & 7) as u8)))
    }

    /// Advances past `n` bytes.
    fn advance(&mut self, n: u64) -> Result<std::ops::Range<usize>, KplError> {
        let start = self.pos;
        match usize::try_from(n).ok().filter(|&n| n <= self.end - start) {
            Some(n) => {
                self.pos += n;
                Ok(start..self.pos)
            }
            None => Err(malformed(format!(
                "field of {n} bytes runs past the {} left",
                self.end - start
            ))),
        }
    }

    /// The payload range of a length-delimited field.
    fn len_delimited(&mut self) -> Result<std::ops::Range<usize>, KplError> {
        let len = self.varint()?;
        self.advance(len)
    }

    /// Skips the value of a field this module does not read, of any wire type, groups included.
    fn skip(&mut self, field: u64, wire_type: u8) -> Result<(), KplError> {
        // Fields of the groups being skipped, innermost last.
        let mut groups: Vec<u64> = Vec::new();
        let (mut field, mut wire_type) = (field, wire_type);
        loop {
            match wire_type {
                WIRE_VARINT => {
                    self.varint()?;
                }
                WIRE_FIXED64 => {
                    self.advance(8)?;
                }
                WIRE_LEN => {
                    self.len_delimited()?;
                }
                WIRE_FIXED32 => {
                    self.advance(4)?;
                }
                WIRE_START_GROUP => {
                    if groups.len() >= MAX_GROUP_DEPTH {
                        return Err(malformed("groups nested too deep"));
                    }
                    groups.push(field);
                }
                WIRE_END_GROUP => match groups.pop() {
                    Some(open) if open == field => {}
                    _ => return Err(malformed(format!("unmatched end of group {field}"))),
                },
                other => return Err(malformed(format!("invalid wire type {other}"))),
            }
            if groups.is_empty() {
                return Ok(());
            }
            match self.key()? {
                Some(next) => (field, wire_type) = next,
                None => return Err(malformed("truncated group")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rec(pk: &str, ehk: Option<&str>, data: &[u8]) -> UserRecord {
        UserRecord {
            partition_key: pk.to_owned(),
            explicit_hash_key: ehk.map(str::to_owned),
            data: Bytes::copy_from_slice(data),
        }
    }

    /// Wraps a protobuf body in magic and MD5.
    fn wrap(body: &[u8]) -> Bytes {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(body);
        out.extend_from_slice(&Md5::digest(body));
        Bytes::from(out)
    }

    fn aggregate(records: &[UserRecord]) -> AggregatedRecord {
        let mut agg = Aggregator::new();
        for r in records {
            agg.push(r.clone());
        }
        agg.finish().expect("non-empty")
    }

    fn as_user(d: &DeaggregatedRecord) -> UserRecord {
        UserRecord {
            partition_key: d.partition_key.clone(),
            explicit_hash_key: d.explicit_hash_key.clone(),
            data: d.data.clone(),
        }
    }

    #[test]
    fn known_bytes_single_record() {
        let agg = aggregate(&[rec("a", None, b"b")]);
        // pk table "a" | record { pk index 0, data "b" } | MD5 of those 10 bytes.
        let body = [0x0A, 0x01, b'a', 0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, b'b'];
        let md5 = [
            0x75, 0xB9, 0x72, 0x42, 0x61, 0x67, 0x94, 0x83, 0xB6, 0x12, 0x5C, 0x2A, 0x4C, 0x07,
            0x1F, 0x65,
        ];
        let mut expected = vec![0xF3, 0x89, 0x9A, 0xC2];
        expected.extend_from_slice(&body);
        expected.extend_from_slice(&md5);
        assert_eq!(&agg.data[..], &expected[..]);
        assert_eq!(agg.partition_key, "a");
        // MD5("a") = 0cc175b9c0f1b6a831c399e269772661, as a decimal 128-bit integer.
        let hash = u128::from_str_radix("0cc175b9c0f1b6a831c399e269772661", 16).unwrap();
        assert_eq!(
            agg.explicit_hash_key.as_deref(),
            Some(hash.to_string().as_str())
        );
        assert_eq!(agg.records, 1);
        assert_eq!(agg.user_bytes, 1);
    }

    #[test]
    fn known_bytes_with_explicit_hash_key_and_empty_data() {
        let agg = aggregate(&[rec("a", Some("1"), b""), rec("a", None, b"xy")]);
        let body = [
            0x0A, 0x01, b'a', // partition key table: "a"
            0x12, 0x01, b'1', // explicit hash key table: "1"
            0x1A, 0x06, 0x08, 0x00, 0x10, 0x00, 0x1A, 0x00, // record 0: pk 0, ehk 0, data ""
            0x1A, 0x06, 0x08, 0x00, 0x1A, 0x02, b'x', b'y', // record 1: pk 0, data "xy"
        ];
        assert_eq!(agg.data, wrap(&body));
        // The outer hash key is the first record's explicit one, verbatim.
        assert_eq!(agg.explicit_hash_key.as_deref(), Some("1"));
        assert_eq!((agg.records, agg.user_bytes), (2, 2));
    }

    #[test]
    fn outer_hash_key_matches_shard_routing() {
        // int(hashlib.md5(pk.encode()).hexdigest(), 16), computed with Python.
        let cases = [
            ("a", "16955237001963240173058271559858726497"),
            ("ключ", "259726384039714788407059515981389908711"),
            ("order-42", "105348682137155569515616584889439573452"),
            ("", "281949768489412648962353822266799178366"),
        ];
        for (pk, hash) in cases {
            let agg = aggregate(&[rec(pk, None, b"x"), rec("other", Some("5"), b"y")]);
            assert_eq!(agg.explicit_hash_key.as_deref(), Some(hash));
            assert_eq!(agg.partition_key, pk);
            // The same hash key the producer routes the partition key with.
            assert_eq!(
                hash.parse::<u128>().unwrap(),
                u128::from_be_bytes(Md5::digest(pk.as_bytes()).into())
            );
        }
    }

    #[test]
    fn round_trip_keeps_order_keys_and_slices_input() {
        let input = vec![
            rec("user-1", None, b"first"),
            rec(
                "user-2",
                Some("170141183460469231731687303715884105728"),
                b"",
            ),
            rec("ключ🔑", None, &[0u8, 255, 1, 2]),
            rec("user-1", Some("0"), &[7u8; 300]),
            rec("user-2", None, b"last"),
        ];
        let agg = aggregate(&input);
        assert!(is_aggregated(&agg.data));
        let out = deaggregate(&agg.data).unwrap();
        assert_eq!(out.iter().map(as_user).collect::<Vec<_>>(), input);
        assert_eq!(
            out.iter()
                .map(|d| d.sub_sequence_number)
                .collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4]
        );
        let range = agg.data.as_ptr_range();
        for d in out.iter().filter(|d| !d.data.is_empty()) {
            assert!(
                range.contains(&d.data.as_ptr()),
                "data is a slice of the aggregate"
            );
        }
    }

    #[test]
    fn keys_are_deduplicated() {
        let input = vec![
            rec("x", Some("10"), b"1"),
            rec("y", None, b"2"),
            rec("x", Some("10"), b"3"),
            rec("y", Some("20"), b"4"),
            rec("x", None, b"5"),
        ];
        let agg = aggregate(&input);
        let body = parse_body(&agg.data[..agg.data.len() - DIGEST_LEN], MAGIC.len()).unwrap();
        assert_eq!(body.partition_keys, vec!["x", "y"]);
        assert_eq!(body.explicit_hash_keys, vec!["10", "20"]);
        let indices: Vec<_> = body
            .records
            .iter()
            .map(|r| (r.partition_key_index, r.explicit_hash_key_index))
            .collect();
        assert_eq!(
            indices,
            vec![
                (0, Some(0)),
                (1, None),
                (0, Some(0)),
                (1, Some(1)),
                (0, None)
            ]
        );
        assert_eq!(
            deaggregate(&agg.data)
                .unwrap()
                .iter()
                .map(as_user)
                .collect::<Vec<_>>(),
            input
        );
    }

    #[test]
    fn repeated_key_costs_less_than_a_new_one() {
        let mut agg = Aggregator::new();
        agg.push(rec("a-long-partition-key", None, b"1"));
        let repeat = agg.size_with(&rec("a-long-partition-key", None, b"1"));
        let fresh = agg.size_with(&rec("b-long-partition-key", None, b"1"));
        assert_eq!(fresh - repeat, 1 + 1 + "b-long-partition-key".len());
    }

    #[test]
    fn finish_resets_and_empty_finishes_to_none() {
        let mut agg = Aggregator::new();
        assert!(agg.finish().is_none());
        assert_eq!(agg.encoded_size(), 20);
        agg.push(rec("a", Some("1"), b"one"));
        agg.push(rec("b", None, b"two"));
        assert_eq!(agg.len(), 2);
        let first = agg.finish().unwrap();
        assert_eq!((first.records, first.user_bytes), (2, 6));
        assert!(agg.is_empty());
        assert_eq!(agg.encoded_size(), 20);
        assert!(agg.finish().is_none());
        // Tables start over: "b" gets index 0 and no explicit hash key table is written.
        agg.push(rec("b", None, b"x"));
        let second = agg.finish().unwrap();
        assert_eq!(
            second.data,
            wrap(&[0x0A, 0x01, b'b', 0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, b'x'])
        );
        assert_eq!(second.partition_key, "b");
    }

    #[test]
    fn fits_counts_the_outer_partition_key() {
        let pk = "k".repeat(10);
        let empty = |pk: &str| rec(pk, None, b"");
        let sized = |pk: &str, len: usize| rec(pk, None, &vec![0u8; len]);
        // Going from empty data to ~1 MiB of data grows two varints from 1 to 3 bytes: the
        // data length and the record length.
        const GROWTH: usize = 4;

        // An empty aggregator: the record's own key is the outer key.
        let mut agg = Aggregator::new();
        let fixed = agg.size_with(&empty(&pk)) + pk.len();
        assert_eq!(fixed, 20 + (1 + 1 + 10) + (1 + 1 + 4) + 10);
        let room = MAX_AGGREGATE_BYTES - fixed - GROWTH;
        assert_eq!(
            agg.size_with(&sized(&pk, room)) + pk.len(),
            MAX_AGGREGATE_BYTES
        );
        assert!(agg.fits(&sized(&pk, room)));
        assert!(!agg.fits(&sized(&pk, room + 1)));

        // Once a record is in, the first record's key is the outer one, whatever the key of the
        // record being added.
        agg.push(empty(&pk));
        let base = agg.size_with(&empty("z"));
        let room = MAX_AGGREGATE_BYTES - pk.len() - base - GROWTH;
        assert!(agg.fits(&sized("z", room)));
        assert!(!agg.fits(&sized("z", room + 1)));
        agg.push(sized("z", room));
        let out = agg.finish().unwrap();
        assert_eq!(out.partition_key, pk);
        assert_eq!(
            out.data.len() + out.partition_key.len(),
            MAX_AGGREGATE_BYTES
        );
    }

    #[test]
    fn varint_lengths() {
        for (v, len) in [
            (0u64, 1),
            (1, 1),
            (127, 1),
            (128, 2),
            (16_383, 2),
            (16_384, 3),
            (u64::MAX, 10),
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), len, "{v}");
            assert_eq!(varint_len(v), len, "{v}");
            let mut r = Reader {
                buf: &out,
                pos: 0,
                end: out.len(),
            };
            assert_eq!(r.varint().unwrap(), v);
        }
    }

    #[test]
    fn not_aggregated() {
        assert!(!is_aggregated(b""));
        assert!(!is_aggregated(b"plain data that is long enough"));
        // Magic and MD5 of an empty body: 20 bytes, not longer than the overhead.
        assert_eq!(wrap(&[]).len(), 20);
        assert!(!is_aggregated(&wrap(&[])));
        assert_eq!(deaggregate(&wrap(&[])), Err(KplError::NotAggregated));
        assert_eq!(
            deaggregate(&Bytes::from_static(b"{\"json\":1}")),
            Err(KplError::NotAggregated)
        );

        let agg = aggregate(&[rec("a", None, b"hello"), rec("b", None, b"world")]);
        // Every truncation breaks the MD5 (or the magic).
        for n in 0..agg.data.len() {
            assert_eq!(
                deaggregate(&agg.data.slice(..n)),
                Err(KplError::NotAggregated),
                "len {n}"
            );
        }
        // Every single flipped bit does too.
        for i in 0..agg.data.len() {
            let mut bad = agg.data.to_vec();
            bad[i] ^= 0x01;
            assert_eq!(
                deaggregate(&Bytes::from(bad)),
                Err(KplError::NotAggregated),
                "byte {i}"
            );
        }
    }

    #[test]
    fn malformed_bodies_with_valid_md5() {
        let good = [0x0A, 0x01, b'a', 0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, b'b'];
        assert!(deaggregate(&wrap(&good)).is_ok());
        let cases: &[(&str, &[u8])] = &[
            ("truncated body", &good[..8]),
            (
                "record length past the end",
                &[0x0A, 0x01, b'a', 0x1A, 0x09, 0x08, 0x00, 0x1A, 0x01, b'b'],
            ),
            (
                "data length past the record",
                &[0x0A, 0x01, b'a', 0x1A, 0x05, 0x08, 0x00, 0x1A, 0x03, b'b'],
            ),
            (
                "partition key index out of range",
                &[0x0A, 0x01, b'a', 0x1A, 0x05, 0x08, 0x01, 0x1A, 0x01, b'b'],
            ),
            (
                "no partition key table",
                &[0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, b'b'],
            ),
            (
                "explicit hash key index with no table",
                &[
                    0x0A, 0x01, b'a', 0x1A, 0x07, 0x08, 0x00, 0x10, 0x00, 0x1A, 0x01, b'b',
                ],
            ),
            (
                "huge index",
                &[
                    0x0A, 0x01, b'a', 0x1A, 0x0E, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                    0xFF, 0xFF, 0x01, 0x1A, 0x01, b'b',
                ],
            ),
            ("missing data", &[0x0A, 0x01, b'a', 0x1A, 0x02, 0x08, 0x00]),
            (
                "missing partition key index",
                &[0x0A, 0x01, b'a', 0x1A, 0x03, 0x1A, 0x01, b'b'],
            ),
            (
                "partition key not UTF-8",
                &[0x0A, 0x01, 0xFF, 0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, b'b'],
            ),
            (
                "varint over 64 bits",
                &[
                    0x28, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02,
                ],
            ),
            (
                "varint over 10 bytes",
                &[
                    0x28, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
                ],
            ),
            ("truncated varint", &[0x28, 0xFF]),
            (
                "huge length",
                &[0x2A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
            ),
            ("field number 0", &[0x02, 0x00]),
            ("wire type 6", &[0x2E]),
            ("wire type 7", &[0x2F]),
            ("truncated fixed64", &[0x29, 1, 2, 3]),
            ("truncated fixed32", &[0x2D, 1, 2]),
            ("group never closed", &[0x2B, 0x08, 0x01]),
            ("end group without start", &[0x2C]),
            ("group closed by another field", &[0x2B, 0x34]),
        ];
        for (what, body) in cases {
            match deaggregate(&wrap(body)) {
                Err(KplError::Malformed(_)) => {}
                other => panic!("{what}: {other:?}"),
            }
        }
        // Groups nested past the limit.
        let mut deep = vec![0x2B; MAX_GROUP_DEPTH + 1];
        deep.extend(std::iter::repeat_n(0x2C, MAX_GROUP_DEPTH + 1));
        assert!(matches!(
            deaggregate(&wrap(&deep)),
            Err(KplError::Malformed(_))
        ));
    }

    #[test]
    fn unknown_fields_of_every_wire_type_are_skipped() {
        let body = [
            0x28, 0x96, 0x01, // field 5, varint 150
            0x31, 1, 2, 3, 4, 5, 6, 7, 8, // field 6, fixed64
            0x3A, 0x02, b'?', b'?', // field 7, length-delimited
            0x43, 0x08, 0x01, 0x4B, 0x4C, 0x44, // field 8: a group holding a group
            0x4D, 1, 2, 3, 4, // field 9, fixed32
            // Records before the tables they index: protobuf allows any order.
            0x1A, 0x15, // record of 21 bytes:
            0x20, 0x00, // field 4 as a varint (wrong wire type): skipped
            0x22, 0x07, 0x0A, 0x01, b'k', 0x12, 0x01, b'v', 0x00, // tags, skipped whole
            0x78, 0x01, // field 15, varint
            0x08, 0x00, 0x10, 0x00, // pk 0, ehk 0
            0x1A, 0x02, b'h', b'i', // data
            0x45, 9, 9, 9, 9, // field 8, fixed32
            0x0A, 0x01, b'p', 0x12, 0x02, b'4', b'2', // tables
            0x80, 0x01, 0x07, // field 16 (a two-byte key), varint
        ];
        // The tag's payload above ends with a stray 0x00 byte, which protobuf would reject as
        // field 0; the reader never parses it because tags are skipped as a whole.
        let out = deaggregate(&wrap(&body)).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(as_user(&out[0]), rec("p", Some("42"), b"hi"));
    }

    #[test]
    fn last_value_of_a_repeated_scalar_wins() {
        let body = [
            0x0A, 0x01, b'a', 0x0A, 0x01, b'b', // two keys
            0x1A, 0x09, 0x08, 0x00, 0x08, 0x01, 0x1A, 0x01, b'x', 0x1A, 0x00, // pk 1, data ""
        ];
        let out = deaggregate(&wrap(&body)).unwrap();
        assert_eq!(as_user(&out[0]), rec("b", None, b""));
    }

    #[test]
    fn many_records_with_multi_byte_varints() {
        // Enough keys for two-byte indices, and data long enough for three-byte lengths.
        let input: Vec<_> = (0..1000)
            .map(|i| {
                let data = vec![(i % 251) as u8; if i % 100 == 0 { 20_000 } else { i % 7 }];
                rec(
                    &format!("pk-{}", i % 300),
                    (i % 3 == 0).then(|| format!("{}", i % 200)).as_deref(),
                    &data,
                )
            })
            .collect();
        let mut agg = Aggregator::new();
        for r in &input {
            let predicted = agg.size_with(r);
            agg.push(r.clone());
            assert_eq!(agg.encoded_size(), predicted);
        }
        let size = agg.encoded_size();
        let out = agg.finish().unwrap();
        assert_eq!(out.data.len(), size);
        assert_eq!(
            deaggregate(&out.data)
                .unwrap()
                .iter()
                .map(as_user)
                .collect::<Vec<_>>(),
            input
        );
    }

    fn arb_record() -> impl Strategy<Value = UserRecord> {
        (
            prop::sample::select(vec!["a", "b", "ключ", "鍵🔑", "", "long-key-0123456789"]),
            prop::option::of(prop::sample::select(vec![
                "0",
                "1",
                "340282366920938463463374607431768211455",
            ])),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..40),
                prop::collection::vec(any::<u8>(), 100..200),
                prop::collection::vec(any::<u8>(), 16_000..17_000),
            ],
        )
            .prop_map(|(pk, ehk, data)| rec(pk, ehk, &data))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn size_accounting_is_exact_and_round_trips(input in prop::collection::vec(arb_record(), 1..60)) {
            let mut agg = Aggregator::new();
            for r in &input {
                let predicted = agg.size_with(r);
                agg.push(r.clone());
                prop_assert_eq!(agg.encoded_size(), predicted);
            }
            let size = agg.encoded_size();
            let out = agg.finish().unwrap();
            prop_assert_eq!(out.data.len(), size);
            prop_assert_eq!(out.records, input.len());
            prop_assert_eq!(out.user_bytes, input.iter().map(|r| r.data.len()).sum::<usize>());
            let back: Vec<_> = deaggregate(&out.data).unwrap().iter().map(as_user).collect();
            prop_assert_eq!(back, input);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = deaggregate(&Bytes::from(bytes.clone()));
            // With a valid frame, the protobuf parser itself sees the arbitrary bytes.
            match deaggregate(&wrap(&bytes)) {
                Ok(_) | Err(KplError::Malformed(_)) => {}
                Err(KplError::NotAggregated) => prop_assert!(bytes.is_empty()),
            }
        }

        #[test]
        fn mutated_aggregates_never_panic(
            input in prop::collection::vec(arb_record(), 1..5),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let agg = aggregate(&input);
            let mut body = agg.data[MAGIC.len()..agg.data.len() - DIGEST_LEN].to_vec();
            for (at, byte) in edits {
                let i = at.index(body.len());
                body[i] = byte;
            }
            body.truncate(cut.index(body.len() + 1));
            let _ = deaggregate(&wrap(&body));
        }
    }
}
