//! The 128-bit hash key space: partition keys are routed by MD5, shards own contiguous ranges.

use md5::{Digest, Md5};

/// The hash key of a partition key: its MD5 digest read as an unsigned big-endian integer.
pub fn partition_key_hash(partition_key: &str) -> u128 {
    let digest = Md5::digest(partition_key.as_bytes());
    u128::from_be_bytes(digest.into())
}

/// Parses a decimal hash key. `None` when it is not a decimal number or exceeds 2^128 - 1.
pub fn parse_hash_key(text: &str) -> Option<u128> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u128>().ok()
}

/// A contiguous, inclusive range of hash keys owned by one shard.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct HashRange {
    /// The lowest hash key of the range.
    #[serde(with = "u128_string")]
    pub start: u128,
    /// The highest hash key of the range, inclusive.
    #[serde(with = "u128_string")]
    pub end: u128,
}

impl HashRange {
    /// Whether `key` falls in this range.
    pub fn contains(&self, key: u128) -> bool {
        self.start <= key && key <= self.end
    }

    /// Splits the whole key space into `n` ranges the way AWS does for a new stream:
    /// each range is floor(2^128 / n) wide and the last one ends at 2^128 - 1.
    pub fn split_evenly(n: u32) -> Vec<HashRange> {
        let n = n.max(1);
        if n == 1 {
            return vec![HashRange {
                start: 0,
                end: u128::MAX,
            }];
        }
        // floor(2^128 / n) computed without overflowing: (2^128 - 1) / n, plus one when n
        // divides 2^128 exactly (n a power of two).
        let step = u128::MAX / n as u128 + u128::from(n.is_power_of_two());
        (0..n)
            .map(|i| {
                let start = step * i as u128;
                let end = if i + 1 == n {
                    u128::MAX
                } else {
                    step * (i as u128 + 1) - 1
                };
                HashRange { start, end }
            })
            .collect()
    }
}

mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_shards_match_aws_boundaries() {
        let r = HashRange::split_evenly(3);
        assert_eq!(r[0].end, 113427455640312821154458202477256070484);
        assert_eq!(r[1].start, 113427455640312821154458202477256070485);
        assert_eq!(r[2].end, u128::MAX);
    }

    #[test]
    fn power_of_two_splits_are_exact() {
        let r = HashRange::split_evenly(4);
        assert_eq!(r[1].start, 1u128 << 126);
        assert_eq!(r[0].end, (1u128 << 126) - 1);
        assert_eq!(r[3].end, u128::MAX);
    }

    #[test]
    fn ranges_cover_the_space_without_gaps() {
        for n in 1..50 {
            let r = HashRange::split_evenly(n);
            assert_eq!(r.len(), n as usize);
            assert_eq!(r[0].start, 0);
            assert_eq!(r.last().map(|x| x.end), Some(u128::MAX));
            for w in r.windows(2) {
                assert_eq!(w[0].end + 1, w[1].start);
            }
        }
    }

    #[test]
    fn md5_routing() {
        // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
        assert_eq!(partition_key_hash("a"), 0x0cc175b9c0f1b6a831c399e269772661);
    }

    #[test]
    fn hash_key_parsing() {
        assert_eq!(parse_hash_key("0"), Some(0));
        assert_eq!(parse_hash_key(&u128::MAX.to_string()), Some(u128::MAX));
        assert_eq!(
            parse_hash_key("340282366920938463463374607431768211456"),
            None
        );
        assert_eq!(parse_hash_key("-1"), None);
        assert_eq!(parse_hash_key(""), None);
    }
}
