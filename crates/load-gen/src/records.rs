//! The records a load test sends: sizes, partition keys and payloads that carry a marker (the
//! load-test id, a sequence number and the send time) a consumer can read back.

use serde_json::{Map, Value};

/// Field of the payload holding the load-test id.
pub const ID_FIELD: &str = "_lt";
/// Field holding the record's sequence number within the load test.
pub const SEQ_FIELD: &str = "_seq";
/// Field holding the send time, epoch milliseconds.
pub const SENT_FIELD: &str = "_sent_ms";
/// Field that pads the payload to its size.
pub const PAD_FIELD: &str = "_pad";

/// Why a distribution or template is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordsError {
    /// The text does not describe a distribution or template.
    #[error("{0}")]
    Invalid(String),
}

/// Sizes of records' data, in bytes. A payload is never smaller than its marker and template
/// fields: the size is a target the padding fills up to.
#[derive(Debug, Clone, PartialEq)]
pub enum SizeDistribution {
    /// Always this many bytes.
    Fixed(usize),
    /// Uniformly between `min` and `max`, inclusive.
    Uniform {
        /// Smallest size.
        min: usize,
        /// Largest size.
        max: usize,
    },
}

impl SizeDistribution {
    /// Parses `1024` (fixed) or `512-4096` (uniform).
    pub fn parse(text: &str) -> Result<SizeDistribution, RecordsError> {
        let bad = || {
            RecordsError::Invalid(format!(
                "not a record size: {text:?} (use BYTES or MIN-MAX, e.g. 1024 or 512-4096)"
            ))
        };
        match text.split_once('-') {
            Some((a, b)) => {
                let (min, max) = (
                    a.trim().parse().map_err(|_| bad())?,
                    b.trim().parse().map_err(|_| bad())?,
                );
                if min > max {
                    return Err(bad());
                }
                Ok(SizeDistribution::Uniform { min, max })
            }
            None => Ok(SizeDistribution::Fixed(
                text.trim().parse().map_err(|_| bad())?,
            )),
        }
    }

    fn sample(&self, rng: &mut fastrand::Rng) -> usize {
        match *self {
            SizeDistribution::Fixed(n) => n,
            SizeDistribution::Uniform { min, max } => rng.usize(min..=max),
        }
    }
}

/// How partition keys are chosen among `keys` distinct keys (`k-0`, `k-1`, ...).
#[derive(Debug, Clone, PartialEq)]
pub enum KeyDistribution {
    /// Every key equally likely.
    Uniform {
        /// Distinct keys.
        keys: usize,
    },
    /// Key `k-0` takes `share` of the records (0 to 1); the others share the rest evenly.
    Hot {
        /// Distinct keys.
        keys: usize,
        /// The hot key's share.
        share: f64,
    },
    /// Key `k-i` with probability proportional to `1 / (i + 1)^exponent`.
    Zipf {
        /// Distinct keys.
        keys: usize,
        /// The exponent `s` (1 is the classic Zipf law).
        exponent: f64,
    },
}

impl KeyDistribution {
    /// Parses `uniform:1000`, `hot:1000:0.3` or `zipf:1000:1.1`.
    pub fn parse(text: &str) -> Result<KeyDistribution, RecordsError> {
        let bad = || {
            RecordsError::Invalid(format!(
                "not a key distribution: {text:?} (use uniform:KEYS, hot:KEYS:SHARE or zipf:KEYS:EXPONENT)"
            ))
        };
        let parts: Vec<&str> = text.split(':').collect();
        let keys = |s: &str| s.parse::<usize>().ok().filter(|&k| k > 0).ok_or_else(bad);
        let num = |s: &str| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(bad)
        };
        match parts.as_slice() {
            ["uniform", k] => Ok(KeyDistribution::Uniform { keys: keys(k)? }),
            ["hot", k, share] => {
                let share = num(share)?;
                if !(0.0..=1.0).contains(&share) {
                    return Err(bad());
                }
                Ok(KeyDistribution::Hot {
                    keys: keys(k)?,
                    share,
                })
            }
            ["zipf", k, e] => Ok(KeyDistribution::Zipf {
                keys: keys(k)?,
                exponent: num(e)?.max(0.0),
            }),
            _ => Err(bad()),
        }
    }
}

/// Draws key indexes from a [`KeyDistribution`].
#[derive(Debug, Clone)]
struct KeyPicker {
    dist: KeyDistribution,
    /// Zipf only: the cumulative probabilities of keys 0..n.
    cdf: Vec<f64>,
}

impl KeyPicker {
    fn new(dist: KeyDistribution) -> KeyPicker {
        let cdf = match dist {
            KeyDistribution::Zipf { keys, exponent } => {
                let weights: Vec<f64> = (1..=keys).map(|i| (i as f64).powf(-exponent)).collect();
                let total: f64 = weights.iter().sum();
                let mut acc = 0.0;
                weights
                    .iter()
                    .map(|w| {
                        acc += w / total;
                        acc
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        KeyPicker { dist, cdf }
    }

    fn pick(&self, rng: &mut fastrand::Rng) -> usize {
        match self.dist {
            KeyDistribution::Uniform { keys } => rng.usize(..keys),
            KeyDistribution::Hot { keys, share } => {
                if keys == 1 || rng.f64() < share {
                    0
                } else {
                    rng.usize(1..keys)
                }
            }
            KeyDistribution::Zipf { keys, .. } => {
                let u = rng.f64();
                self.cdf.partition_point(|&c| c < u).min(keys - 1)
            }
        }
    }
}

/// A JSON object the payloads are made from. String values `{{seq}}`, `{{timestamp}}`
/// (epoch ms), `{{random_int}}` and `{{random_string}}` (16 letters and digits) are replaced
/// per record; other values are sent as they are.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PayloadTemplate {
    fields: Map<String, Value>,
}

impl PayloadTemplate {
    /// Parses a JSON object.
    pub fn parse(json: &str) -> Result<PayloadTemplate, RecordsError> {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(fields)) => {
                if let Some(k) = [ID_FIELD, SEQ_FIELD, SENT_FIELD, PAD_FIELD]
                    .iter()
                    .find(|k| fields.contains_key(**k))
                {
                    return Err(RecordsError::Invalid(format!(
                        "the payload template may not set {k}: the load test writes it"
                    )));
                }
                Ok(PayloadTemplate { fields })
            }
            Ok(_) => Err(RecordsError::Invalid(
                "the payload template must be a JSON object".into(),
            )),
            Err(e) => Err(RecordsError::Invalid(format!(
                "the payload template is not JSON: {e}"
            ))),
        }
    }

    /// Each field as `"key":` bytes and how its value is made, so a record is written
    /// without building a JSON object.
    fn compile(&self) -> Vec<(Vec<u8>, Part)> {
        self.fields
            .iter()
            .map(|(k, v)| {
                // Serializing a string or a JSON value into a Vec cannot fail.
                let mut key = serde_json::to_vec(k).unwrap_or_default();
                key.push(b':');
                let part = match v.as_str() {
                    Some("{{seq}}") => Part::Seq,
                    Some("{{timestamp}}") => Part::Timestamp,
                    Some("{{random_int}}") => Part::RandomInt,
                    Some("{{random_string}}") => Part::RandomString,
                    _ => Part::Fixed(serde_json::to_vec(v).unwrap_or_default()),
                };
                (key, part)
            })
            .collect()
    }
}

/// How one template value is made per record.
#[derive(Debug, Clone)]
enum Part {
    Seq,
    Timestamp,
    RandomInt,
    RandomString,
    /// The value as written, already serialized.
    Fixed(Vec<u8>),
}

/// What every load-test record carries, read back downstream to match it to its send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// The load test's id.
    pub id: String,
    /// The record's sequence number in the test (from 0).
    pub seq: u64,
    /// When it was sent, epoch milliseconds.
    pub sent_ms: u64,
}

impl Marker {
    /// The marker of a payload, if it is a load-test record.
    pub fn parse(data: &[u8]) -> Option<Marker> {
        #[derive(serde::Deserialize)]
        struct Fields {
            #[serde(rename = "_lt")]
            id: String,
            #[serde(rename = "_seq")]
            seq: u64,
            #[serde(rename = "_sent_ms")]
            sent_ms: u64,
        }
        let f: Fields = serde_json::from_slice(data).ok()?;
        Some(Marker {
            id: f.id,
            seq: f.seq,
            sent_ms: f.sent_ms,
        })
    }
}

/// What starts a completion line: a function prints one per load-test record it finished, and
/// the load test finds them in the function's log (FilterLogEvents with this as the pattern).
pub const COMPLETION_PREFIX: &str = "STREAMWATCH_LOAD_COMPLETE";

/// A record's completion: its marker and when the function finished it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The record's marker.
    pub marker: Marker,
    /// When the function finished the record, epoch milliseconds.
    pub done_ms: u64,
}

impl Completion {
    /// The log line: `STREAMWATCH_LOAD_COMPLETE {"_lt":"...","_seq":N,"_sent_ms":T,"done_ms":T}`.
    pub fn line(&self) -> String {
        let doc = serde_json::json!({
            ID_FIELD: self.marker.id,
            SEQ_FIELD: self.marker.seq,
            SENT_FIELD: self.marker.sent_ms,
            "done_ms": self.done_ms,
        });
        format!("{COMPLETION_PREFIX} {doc}")
    }

    /// Reads a completion line (anything before the prefix, such as a log timestamp, is
    /// skipped).
    pub fn parse_line(line: &str) -> Option<Completion> {
        let at = line.find(COMPLETION_PREFIX)?;
        let json = line[at + COMPLETION_PREFIX.len()..].trim();
        let marker = Marker::parse(json.as_bytes())?;
        let v: Value = serde_json::from_str(json).ok()?;
        Some(Completion {
            marker,
            done_ms: v.get("done_ms")?.as_u64()?,
        })
    }
}

/// Makes a load test's records: deterministic for a seed.
#[derive(Debug, Clone)]
pub struct RecordSource {
    /// `{"_lt":"<id>","_seq":` as bytes.
    head: Vec<u8>,
    sizes: SizeDistribution,
    keys: KeyPicker,
    template: Vec<(Vec<u8>, Part)>,
    rng: fastrand::Rng,
}

impl RecordSource {
    /// A source for load test `id`.
    pub fn new(
        id: impl Into<String>,
        sizes: SizeDistribution,
        keys: KeyDistribution,
        template: PayloadTemplate,
        seed: u64,
    ) -> RecordSource {
        let mut head = format!("{{\"{ID_FIELD}\":").into_bytes();
        // Serializing a string cannot fail.
        head.extend(serde_json::to_vec(&id.into()).unwrap_or_default());
        head.extend_from_slice(format!(",\"{SEQ_FIELD}\":").as_bytes());
        RecordSource {
            head,
            sizes,
            keys: KeyPicker::new(keys),
            template: template.compile(),
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The partition key and data of record `seq`, sent at `now_ms`: a JSON object of the
    /// marker, the template's fields and, when the size asks for more, `_pad`.
    pub fn record(&mut self, seq: u64, now_ms: u64) -> (String, Vec<u8>) {
        use std::io::Write as _;
        let key = format!("k-{}", self.keys.pick(&mut self.rng));
        let target = self.sizes.sample(&mut self.rng);
        let mut data = Vec::with_capacity(target.max(self.head.len() + 48) + 1);
        data.extend_from_slice(&self.head);
        // Writing to a Vec cannot fail.
        let _ = write!(data, "{seq},\"{SENT_FIELD}\":{now_ms}");
        for (key, part) in &self.template {
            data.push(b',');
            data.extend_from_slice(key);
            match part {
                Part::Seq => {
                    let _ = write!(data, "{seq}");
                }
                Part::Timestamp => {
                    let _ = write!(data, "{now_ms}");
                }
                Part::RandomInt => {
                    let _ = write!(data, "{}", self.rng.u32(..));
                }
                Part::RandomString => {
                    data.push(b'"');
                    for _ in 0..16 {
                        let c = self.rng.alphanumeric();
                        data.push(c as u8);
                    }
                    data.push(b'"');
                }
                Part::Fixed(json) => data.extend_from_slice(json),
            }
        }
        // `,"_pad":""` and the closing brace.
        let overhead = PAD_FIELD.len() + 6;
        if target > data.len() + overhead {
            let fill = target - data.len() - overhead - 1;
            let _ = write!(data, ",\"{PAD_FIELD}\":\"");
            data.resize(data.len() + fill, b'x');
            data.push(b'"');
        }
        data.push(b'}');
        (key, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(sizes: &str, keys: &str) -> RecordSource {
        RecordSource::new(
            "lt-1",
            SizeDistribution::parse(sizes).unwrap(),
            KeyDistribution::parse(keys).unwrap(),
            PayloadTemplate::parse(
                r#"{"order":"{{seq}}","at":"{{timestamp}}","kind":"test","n":"{{random_int}}"}"#,
            )
            .unwrap(),
            7,
        )
    }

    #[test]
    fn payloads_carry_their_marker_and_reach_their_size() {
        let mut s = source("1024", "uniform:10");
        let (_, data) = s.record(42, 1_700_000_000_123);
        assert_eq!(data.len(), 1024);
        assert_eq!(
            Marker::parse(&data),
            Some(Marker {
                id: "lt-1".into(),
                seq: 42,
                sent_ms: 1_700_000_000_123
            })
        );
        let v: Value = serde_json::from_slice(&data).unwrap();
        assert_eq!(v["order"], 42);
        assert_eq!(v["at"], 1_700_000_000_123u64);
        assert_eq!(v["kind"], "test");
        assert!(v["n"].is_u64());
        // A size below the fields' own is a minimum, not a cut.
        let (_, small) = source("10", "uniform:10").record(1, 1);
        assert!(small.len() > 10 && Marker::parse(&small).is_some());
        let mut u = source("200-300", "uniform:10");
        for i in 0..100 {
            let n = u.record(i, 1).1.len();
            assert!((200..=300).contains(&n), "{n}");
        }
    }

    #[test]
    fn key_distributions_have_their_shape() {
        let count = |keys: &str| {
            let mut s = source("100", keys);
            let mut seen = std::collections::BTreeMap::<String, usize>::new();
            for i in 0..20_000 {
                *seen.entry(s.record(i, 1).0).or_default() += 1;
            }
            seen
        };
        let uniform = count("uniform:4");
        assert_eq!(uniform.len(), 4);
        assert!(
            uniform.values().all(|&n| (4_500..5_500).contains(&n)),
            "{uniform:?}"
        );
        let hot = count("hot:10:0.5");
        assert!((9_500..10_500).contains(&hot["k-0"]), "{hot:?}");
        // Zipf s=1 over 100 keys: key 0 has 1/H(100) = 19.3%, key 1 half that.
        let zipf = count("zipf:100:1");
        let k0 = zipf["k-0"] as f64 / 20_000.0;
        let k1 = zipf["k-1"] as f64 / 20_000.0;
        assert!((0.18..0.21).contains(&k0), "{k0}");
        assert!((k0 / k1 - 2.0).abs() < 0.25, "{k0} {k1}");
    }

    #[test]
    fn completion_lines_round_trip() {
        let (_, data) = source("300", "uniform:3").record(9, 1_000);
        let c = Completion {
            marker: Marker::parse(&data).unwrap(),
            done_ms: 1_250,
        };
        let line = c.line();
        assert!(line.starts_with("STREAMWATCH_LOAD_COMPLETE {"), "{line}");
        assert_eq!(Completion::parse_line(&line), Some(c.clone()));
        let logged = format!("2026-12-06T10:00:00.000Z\treq-1\t{line}");
        assert_eq!(Completion::parse_line(&logged), Some(c));
        assert_eq!(Completion::parse_line("STREAMWATCH_LOAD_COMPLETE {}"), None);
        assert_eq!(Completion::parse_line("nothing here"), None);
    }

    #[test]
    fn same_seed_same_records() {
        let a: Vec<_> = (0..50)
            .map(|i| source("64-128", "zipf:10:1.2").record(i, 5))
            .collect();
        let b: Vec<_> = (0..50)
            .map(|i| source("64-128", "zipf:10:1.2").record(i, 5))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_specs_are_refused() {
        for bad in ["", "x", "5-1", "1-"] {
            assert!(SizeDistribution::parse(bad).is_err(), "{bad}");
        }
        for bad in [
            "uniform",
            "uniform:0",
            "hot:10:1.5",
            "zipf:10",
            "pareto:10:1",
        ] {
            assert!(KeyDistribution::parse(bad).is_err(), "{bad}");
        }
        assert!(PayloadTemplate::parse("[1]").is_err());
        assert!(PayloadTemplate::parse(r#"{"_seq":1}"#).is_err());
        assert!(PayloadTemplate::parse("{").is_err());
        assert_eq!(Marker::parse(b"{\"other\":1}"), None);
        assert_eq!(Marker::parse(b"not json"), None);
    }
}
