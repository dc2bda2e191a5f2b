//! Sequence numbers: 56-digit decimal strings laid out like the ones AWS issues.
//!
//! The number is a 188-bit integer whose hexadecimal digits are, from the most significant:
//!
//! | hex digits | field |
//! |---|---|
//! | 1 | version, always 2 |
//! | 9 | shard creation time, epoch seconds |
//! | 1 | low nibble of the shard index |
//! | 16 | record index within the shard |
//! | 2 | reserved, 0 |
//! | 9 | record arrival time, epoch seconds |
//! | 8 | shard index |
//! | 1 | version again, 2 |
//!
//! Within a shard the record index dominates everything below it, so numbers strictly increase.
//! A child shard is always given a creation time later than its parents', so every child
//! number is greater than every parent number: numbers stay comparable across resharding.
//! All numbers have 56 digits, so comparing them as strings agrees with comparing them as integers.

/// The decoded fields of a sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SequenceNumber {
    /// Epoch seconds at which the shard was created.
    pub shard_created_secs: u64,
    /// The shard's index (the number in its `shardId-000000000000` id).
    pub shard_index: u32,
    /// The record's position in its shard, counting from 0.
    pub record_index: u64,
    /// Epoch seconds at which the record arrived.
    pub arrival_secs: u64,
}

const SECS_MASK: u64 = (1 << 36) - 1;

impl SequenceNumber {
    /// The 192-bit value as three 64-bit limbs, most significant first.
    fn limbs(&self) -> [u64; 3] {
        let created = self.shard_created_secs & SECS_MASK;
        let arrival = self.arrival_secs & SECS_MASK;
        let nibble = u64::from(self.shard_index & 0xf);
        let idx = self.record_index;
        // Bit layout from bit 0: 4 version | 32 shard | 36 arrival | 8 reserved | 64 index |
        // 4 nibble | 36 created | 4 version.
        let lo = 2 | (u64::from(self.shard_index) << 4) | ((arrival & 0xfff_ffff) << 36);
        let mid = (arrival >> 28) | (idx << 16);
        let hi = (idx >> 48) | (nibble << 16) | (created << 20) | (2u64 << 56);
        [hi, mid, lo]
    }

    fn from_limbs([hi, mid, lo]: [u64; 3]) -> Option<SequenceNumber> {
        if lo & 0xf != 2 || hi >> 56 != 2 {
            return None;
        }
        let shard_index = ((lo >> 4) & 0xffff_ffff) as u32;
        let arrival_secs = (lo >> 36) | ((mid & 0xff) << 28);
        if (mid >> 8) & 0xff != 0 {
            return None;
        }
        let record_index = (mid >> 16) | ((hi & 0xffff) << 48);
        let nibble = ((hi >> 16) & 0xf) as u32;
        let shard_created_secs = (hi >> 20) & SECS_MASK;
        // Kinesis refuses an index whose top hex digit is 8 or more, and creation times from
        // year 2477 on.
        if nibble != shard_index & 0xf
            || record_index >> 63 != 0
            || shard_created_secs >= MAX_CREATED_SECS
        {
            return None;
        }
        Some(SequenceNumber {
            shard_created_secs,
            shard_index,
            record_index,
            arrival_secs,
        })
    }

    /// Parses a decimal sequence number issued by this engine. `None` for anything else,
    /// including numbers that merely match AWS's `0|([1-9]\d{0,128})` pattern.
    pub fn parse(text: &str) -> Option<SequenceNumber> {
        SequenceNumber::from_limbs(decimal_limbs(text)?)
    }

    /// Formats the number as its decimal string.
    pub fn format(&self) -> String {
        self.to_decimal().as_str().to_owned()
    }

    /// Formats the number into a stack buffer, without allocating (the read path formats one
    /// per record).
    pub fn to_decimal(&self) -> Decimal {
        let [hi, mid, lo] = self.limbs();
        let mut limbs = [
            lo as u32,
            (lo >> 32) as u32,
            mid as u32,
            (mid >> 32) as u32,
            hi as u32,
            (hi >> 32) as u32,
        ];
        let mut out = Decimal {
            digits: [b'0'; DECIMAL_CAP],
            start: DECIMAL_CAP,
        };
        // Repeated division by 10^9 yields base-10^9 chunks, least significant first; each is
        // written as nine digits, then leading zeros are skipped.
        let mut top = limbs.len();
        while top > 0 {
            let mut rem = 0u64;
            for limb in limbs[..top].iter_mut().rev() {
                let v = (rem << 32) | u64::from(*limb);
                *limb = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            while top > 0 && limbs[top - 1] == 0 {
                top -= 1;
            }
            let mut chunk = rem as u32;
            for _ in 0..9 {
                out.start -= 1;
                out.digits[out.start] = b'0' + (chunk % 10) as u8;
                chunk /= 10;
            }
        }
        while out.start < DECIMAL_CAP - 1 && out.digits[out.start] == b'0' {
            out.start += 1;
        }
        out
    }
}

const DECIMAL_CAP: usize = 63;

/// A sequence number's decimal digits in a fixed buffer.
#[derive(Clone, Copy)]
pub struct Decimal {
    digits: [u8; DECIMAL_CAP],
    start: usize,
}

impl Decimal {
    /// The digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever written.
        std::str::from_utf8(&self.digits[self.start..]).unwrap_or("0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seq(created: u64, shard: u32, idx: u64, arrival: u64) -> SequenceNumber {
        SequenceNumber {
            shard_created_secs: created,
            shard_index: shard,
            record_index: idx,
            arrival_secs: arrival,
        }
    }

    #[test]
    fn looks_like_an_aws_sequence_number() {
        let s = seq(1_700_000_000, 0, 0, 1_700_000_000).format();
        assert_eq!(s.len(), 56);
        assert!(s.starts_with("49"), "{s}");
    }

    #[test]
    fn rejects_foreign_numbers() {
        assert_eq!(SequenceNumber::parse("0"), None);
        assert_eq!(SequenceNumber::parse("12345"), None);
        assert_eq!(SequenceNumber::parse(&"9".repeat(129)), None);
        assert_eq!(SequenceNumber::parse("49a"), None);
        // Kinesis's own bounds: an index from 2^63 on, a creation time from year 2477 on.
        assert_eq!(SequenceNumber::parse(&seq(1, 0, 1 << 63, 1).format()), None);
        assert_eq!(
            SequenceNumber::parse(&seq(MAX_CREATED_SECS, 0, 0, 1).format()),
            None
        );
    }

    #[test]
    fn reads_the_shard_out_of_older_layouts() {
        let v0 = LegacySequence::parse("5").unwrap();
        assert_eq!((v0.version, v0.shard_index), (0, 5));
        let v1 = LegacySequence::parse("49579260680896466359389030799875796101292502510748041265")
            .unwrap();
        assert_eq!((v1.version, v1.shard_index), (1, 3));
        // The current layout, and numbers in no layout, are not legacy ones.
        assert_eq!(
            LegacySequence::parse(&seq(1_700_000_000, 0, 0, 1_700_000_000).format()),
            None
        );
        assert_eq!(
            LegacySequence::parse("10000000000000000000000000000000000000000"),
            None
        );
    }

    proptest! {
        #[test]
        fn round_trips(created in 0u64..MAX_CREATED_SECS, shard in any::<u32>(), idx in 0u64..(1 << 63), arrival in 0u64..(1 << 36)) {
            let s = seq(created, shard, idx, arrival);
            prop_assert_eq!(SequenceNumber::parse(&s.format()), Some(s));
        }

        #[test]
        fn ordered_by_index_within_a_shard(created in 1_000_000_000u64..2_000_000_000, shard in 0u32..10_000,
                                           a in any::<u64>(), b in any::<u64>(), ta in 1_000_000_000u64..2_000_000_000, tb in 1_000_000_000u64..2_000_000_000) {
            prop_assume!(a < b);
            let x = seq(created, shard, a, ta).format();
            let y = seq(created, shard, b, tb).format();
            prop_assert_eq!(x.len(), 56);
            prop_assert!(x < y);
        }

        #[test]
        fn children_sort_after_parents(created in 1_000_000_000u64..2_000_000_000, a in any::<u64>(), b in any::<u64>(),
                                       ps in 0u32..100_000, cs in 0u32..100_000) {
            let parent = seq(created, ps, a, created + 100).format();
            let child = seq(created + 1, cs, b, created).format();
            prop_assert!(parent < child);
        }
    }
}

/// Creation times from this many epoch seconds on (year 2477) are refused in a sequence number.
const MAX_CREATED_SECS: u64 = 16_025_175_000;

/// A decimal number of at most 192 bits as three 64-bit limbs, most significant first.
fn decimal_limbs(text: &str) -> Option<[u64; 3]> {
    if text.is_empty() || text.len() > 60 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Multiply-accumulate into 32-bit limbs (least significant first).
    let mut limbs = [0u32; 6];
    for b in text.bytes() {
        let mut carry = u64::from(b - b'0');
        for limb in limbs.iter_mut() {
            let v = u64::from(*limb) * 10 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            return None;
        }
    }
    let join = |hi: u32, lo: u32| (u64::from(hi) << 32) | u64::from(lo);
    Some([
        join(limbs[5], limbs[4]),
        join(limbs[3], limbs[2]),
        join(limbs[1], limbs[0]),
    ])
}

/// A sequence number in one of the layouts Kinesis used before the current one: version 0
/// (numbers below 2^129, small numbers such as `5` included) and version 1 (a 47-hex-digit
/// number ending in 1). Kinesis still reads the shard index out of them, so a legacy number
/// is refused with the text naming the shard it encodes, or, on its own shard, as not from
/// this stream (version 1) or with an InternalFailure (version 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacySequence {
    /// 0 or 1.
    pub version: u8,
    /// The shard index it encodes (signed, as Kinesis prints it).
    pub shard_index: i64,
}

impl LegacySequence {
    /// Reads a version-0 or version-1 sequence number; `None` for anything else.
    pub fn parse(text: &str) -> Option<LegacySequence> {
        let [hi, mut mid, lo] = decimal_limbs(text)?;
        // Numbers below 2^124 are read as if 2^124 were added.
        if hi == 0 && mid >> 60 == 0 {
            mid |= 1 << 60;
        }
        let hex = format!("{hi:x}{mid:016x}{lo:016x}");
        let hex = hex.trim_start_matches('0');
        let field = |from: usize, to: usize| u64::from_str_radix(hex.get(from..to)?, 16).ok();
        if hi < 2 {
            // Below 2^129: version 0.
            if field(1, 10)? >= MAX_CREATED_SECS {
                return None;
            }
            return Some(LegacySequence {
                version: 0,
                shard_index: field(28, 32)? as i64,
            });
        }
        // Between 2^185 and 1.5 x 2^185, the last hex digit is the version.
        let above = hi > 1 << 57 || (hi == 1 << 57 && (mid | lo) != 0);
        if above && hi < 3 << 56 && hex.ends_with('1') {
            return Some(LegacySequence {
                version: 1,
                shard_index: field(38, 46)? as i64,
            });
        }
        None
    }
}
