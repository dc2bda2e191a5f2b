//! What a fault rule says, in its two written forms: the `--fault` flag's text and the JSON or
//! TOML of `--faults FILE` and the admin endpoint.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{FaultError, Service, codes};

/// One rule: which calls it matches and what it does to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `kinesis`, `cloudwatch`, `lambda`, `sqs`, `sns`, `logs`, or `*` for all.
    pub service: String,
    /// The action (`PutRecords`, `SendMessage`, `Invoke`, ...) or `*` for all.
    #[serde(default = "any")]
    pub action: String,
    /// What happens to a matching call.
    #[serde(flatten)]
    pub fault: Fault,
    /// The share of matching calls (or records) it hits, in percent (100 when not given);
    /// a storm ignores it.
    #[serde(default = "all", skip_serializing_if = "is_all")]
    pub percent: f64,
}

fn any() -> String {
    "*".to_owned()
}

fn all() -> f64 {
    100.0
}

fn is_all(p: &f64) -> bool {
    *p >= 100.0
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Answer the whole call with this error code (its status and shape are the service's).
    Error(String),
    /// In Kinesis PutRecords: fail single records with `ProvisionedThroughputExceededException`
    /// or `InternalFailure`; the others are stored.
    RecordFailure(String),
    /// Wait before answering.
    Latency(Latency),
    /// Close the connection without an answer (`true`).
    Drop(bool),
    /// For a window of time, throttle every matching call with the service's throttling error.
    Storm(Storm),
}

/// How long an added latency is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Latency {
    /// Always this long.
    Fixed {
        /// Milliseconds.
        fixed_ms: u64,
    },
    /// Uniformly between two bounds.
    Uniform {
        /// Shortest, milliseconds.
        min_ms: u64,
        /// Longest, milliseconds.
        max_ms: u64,
    },
    /// Normally distributed around a mean, never below zero.
    Normal {
        /// Mean, milliseconds.
        mean_ms: u64,
        /// Standard deviation, milliseconds.
        stddev_ms: u64,
    },
}

/// When a throttling storm blows, relative to when its rule is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storm {
    /// How long after installation it starts (0 when not given).
    #[serde(default)]
    pub after_ms: u64,
    /// How long it lasts.
    pub duration_ms: u64,
}

/// The file `--faults FILE` reads (TOML, or JSON when it ends in `.json`), and the body the
/// admin endpoint takes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    /// The random seed (`--fault-seed` wins over it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The rules, each a table/object or a `--fault` text.
    #[serde(default)]
    pub rules: Vec<RuleInput>,
}

/// A rule as written: an object, or the `--fault` flag's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RuleInput {
    /// `"kinesis:PutRecords:error=InternalFailure@5%"`.
    Text(String),
    /// `{"service": "kinesis", "action": "PutRecords", "error": "InternalFailure", "percent": 5}`.
    Rule(Rule),
}

impl RuleInput {
    /// The checked rule.
    pub fn into_rule(self) -> Result<Rule, FaultError> {
        match self {
            RuleInput::Text(t) => Rule::parse(&t),
            RuleInput::Rule(r) => {
                r.check()?;
                Ok(r)
            }
        }
    }
}

impl FaultFile {
    /// Reads a file's text: JSON when `json`, TOML otherwise.
    pub fn parse(text: &str, json: bool) -> Result<FaultFile, FaultError> {
        if json {
            serde_json::from_str(text).map_err(|e| FaultError::File(e.to_string()))
        } else {
            toml::from_str(text).map_err(|e| FaultError::File(e.to_string()))
        }
    }

    /// The checked rules.
    pub fn into_rules(self) -> Result<Vec<Rule>, FaultError> {
        self.rules.into_iter().map(RuleInput::into_rule).collect()
    }
}

impl Rule {
    /// Parses the `--fault` text `SERVICE[:ACTION]:FAULT[@PERCENT%]`, where FAULT is
    /// `error=CODE`, `record-failure=CODE`, `latency=50ms` (fixed), `latency=10ms..80ms`
    /// (uniform), `latency=50ms~10ms` (normal: mean~standard deviation), `drop`, or
    /// `storm=30s` / `storm=10s+30s` (after 10 s, for 30 s).
    pub fn parse(text: &str) -> Result<Rule, FaultError> {
        let bad = |why: &str| FaultError::Syntax(text.to_owned(), why.to_owned());
        let (body, percent) = match text.rsplit_once('@') {
            Some((body, p)) => {
                let p = p.trim().trim_end_matches('%');
                let p: f64 = p.parse().map_err(|_| bad("the rate is not a number"))?;
                (body, p)
            }
            None => (text, 100.0),
        };
        let parts: Vec<&str> = body.split(':').map(str::trim).collect();
        let (service, action, fault) = match parts.as_slice() {
            [s, f] => (*s, "*", *f),
            [s, a, f] => (*s, *a, *f),
            _ => return Err(bad("expected SERVICE[:ACTION]:FAULT")),
        };
        let (kind, value) = fault.split_once('=').unwrap_or((fault, ""));
        let fault = match kind {
            "error" => Fault::Error(value.to_owned()),
            "record-failure" | "record_failure" => Fault::RecordFailure(value.to_owned()),
            "drop" if value.is_empty() => Fault::Drop(true),
            "latency" => Fault::Latency(parse_latency(value).ok_or_else(|| {
                bad("latency is 50ms, 10ms..80ms (uniform) or 50ms~10ms (normal)")
            })?),
            "storm" => {
                let (after, duration) = match value.split_once('+') {
                    Some((a, d)) => (parse_ms(a), parse_ms(d)),
                    None => (Some(0), parse_ms(value)),
                };
                match (after, duration) {
                    (Some(after_ms), Some(duration_ms)) => Fault::Storm(Storm {
                        after_ms,
                        duration_ms,
                    }),
                    _ => return Err(bad("a storm is DURATION or DELAY+DURATION, e.g. 30s")),
                }
            }
            _ => {
                return Err(bad(
                    "the fault is error=CODE, record-failure=CODE, latency=..., drop or storm=...",
                ));
            }
        };
        let rule = Rule {
            service: service.to_owned(),
            action: action.to_owned(),
            fault,
            percent,
        };
        rule.check()?;
        Ok(rule)
    }

    /// Checks the service, the codes and the rate.
    pub fn check(&self) -> Result<(), FaultError> {
        let bad = |why: String| FaultError::Rule(why);
        if !(0.0..=100.0).contains(&self.percent) {
            return Err(bad(format!(
                "percent must be between 0 and 100, not {}",
                self.percent
            )));
        }
        if self.action.is_empty() {
            return Err(bad("the action is empty (use * for all)".to_owned()));
        }
        let services: Vec<Service> = if self.service == "*" {
            Service::ALL.to_vec()
        } else {
            vec![Service::from_name(&self.service).ok_or_else(|| {
                bad(format!(
                    "unknown service {:?}: kinesis, cloudwatch, lambda, sqs, sns, logs or *",
                    self.service
                ))
            })?]
        };
        match &self.fault {
            Fault::Error(code) => {
                for s in &services {
                    if codes::lookup(*s, code).is_none() {
                        return Err(bad(format!(
                            "{} does not answer {code:?}; it answers {}",
                            s.name(),
                            codes::names(*s).join(", ")
                        )));
                    }
                }
            }
            Fault::RecordFailure(code) => {
                if self.service != "kinesis" || !matches!(self.action.as_str(), "PutRecords" | "*")
                {
                    return Err(bad(
                        "record failures happen in kinesis:PutRecords only".to_owned()
                    ));
                }
                if crate::RecordFailure::from_code(code).is_none() {
                    return Err(bad(format!(
                        "a PutRecords record fails with ProvisionedThroughputExceededException or InternalFailure, not {code:?}"
                    )));
                }
            }
            Fault::Latency(Latency::Uniform { min_ms, max_ms }) if min_ms > max_ms => {
                return Err(bad(format!(
                    "the latency's minimum {min_ms} ms is above its maximum {max_ms} ms"
                )));
            }
            Fault::Drop(false) => return Err(bad("drop must be true".to_owned())),
            Fault::Storm(s) if s.duration_ms == 0 => {
                return Err(bad("a storm needs a duration".to_owned()));
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the rule applies to `action` of `service`.
    pub fn matches(&self, service: Service, action: &str) -> bool {
        (self.service == "*" || self.service == service.name())
            && (self.action == "*" || self.action == action)
    }
}

impl Latency {
    /// One latency drawn with `rng`.
    pub(crate) fn sample(&self, rng: &mut fastrand::Rng) -> Duration {
        let ms = match *self {
            Latency::Fixed { fixed_ms } => fixed_ms as f64,
            Latency::Uniform { min_ms, max_ms } => {
                min_ms as f64 + rng.f64() * (max_ms - min_ms) as f64
            }
            Latency::Normal { mean_ms, stddev_ms } => {
                // Box-Muller: two uniforms make one standard normal draw.
                let u1 = rng.f64().max(f64::MIN_POSITIVE);
                let u2 = rng.f64();
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                (mean_ms as f64 + z * stddev_ms as f64).max(0.0)
            }
        };
        Duration::from_secs_f64(ms / 1000.0)
    }
}

/// `50ms`, `10ms..80ms`, `50ms~10ms`.
fn parse_latency(text: &str) -> Option<Latency> {
    if let Some((a, b)) = text.split_once("..") {
        return Some(Latency::Uniform {
            min_ms: parse_ms(a)?,
            max_ms: parse_ms(b)?,
        });
    }
    if let Some((a, b)) = text.split_once('~') {
        return Some(Latency::Normal {
            mean_ms: parse_ms(a)?,
            stddev_ms: parse_ms(b)?,
        });
    }
    Some(Latency::Fixed {
        fixed_ms: parse_ms(text)?,
    })
}

/// `250ms`, `2s`, `1m`, or a bare number of milliseconds.
fn parse_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        (text, 1.0)
    };
    let n: f64 = number.trim().parse().ok()?;
    (n >= 0.0 && n.is_finite()).then(|| (n * scale).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_texts_parse() {
        let r = Rule::parse("kinesis:PutRecords:error=InternalFailure@5%").unwrap();
        assert_eq!(r.service, "kinesis");
        assert_eq!(r.action, "PutRecords");
        assert_eq!(r.fault, Fault::Error("InternalFailure".into()));
        assert_eq!(r.percent, 5.0);
        let r = Rule::parse("sqs:drop@0.5%").unwrap();
        assert_eq!((r.action.as_str(), r.percent), ("*", 0.5));
        assert_eq!(r.fault, Fault::Drop(true));
        assert_eq!(
            Rule::parse("*:latency=10ms..80ms").unwrap().fault,
            Fault::Latency(Latency::Uniform {
                min_ms: 10,
                max_ms: 80
            })
        );
        assert_eq!(
            Rule::parse("kinesis:*:latency=50~10").unwrap().fault,
            Fault::Latency(Latency::Normal {
                mean_ms: 50,
                stddev_ms: 10
            })
        );
        assert_eq!(
            Rule::parse("kinesis:storm=10s+1m").unwrap().fault,
            Fault::Storm(Storm {
                after_ms: 10_000,
                duration_ms: 60_000
            })
        );
        assert_eq!(
            Rule::parse("kinesis:PutRecords:record-failure=InternalFailure@1%")
                .unwrap()
                .fault,
            Fault::RecordFailure("InternalFailure".into())
        );
    }

    #[test]
    fn mistakes_are_refused_with_a_reason() {
        for bad in [
            "kinesis",
            "s3:error=InternalFailure",
            "sqs:error=ProvisionedThroughputExceededException",
            "sqs:SendMessage:record-failure=InternalFailure",
            "kinesis:PutRecords:record-failure=ThrottlingException",
            "kinesis:error=InternalFailure@150%",
            "kinesis:latency=fast",
            "kinesis:storm=0s",
            "kinesis:explode",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn files_read_as_toml_and_json() {
        let toml = r#"
seed = 7
rules = [
  "kinesis:GetRecords:error=ProvisionedThroughputExceededException@5%",
  { service = "kinesis", action = "PutRecords", latency = { fixed_ms = 20 } },
]
"#;
        let f = FaultFile::parse(toml, false).unwrap();
        assert_eq!(f.seed, Some(7));
        let rules = f.into_rules().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(
            rules[1].fault,
            Fault::Latency(Latency::Fixed { fixed_ms: 20 })
        );
        let json = r#"{"rules": [{"service": "sqs", "error": "InternalFailure", "percent": 2},
                                 {"service": "kinesis", "storm": {"duration_ms": 1000}}]}"#;
        let rules = FaultFile::parse(json, true).unwrap().into_rules().unwrap();
        assert_eq!(rules[0].percent, 2.0);
        assert_eq!(rules[0].action, "*");
        assert_eq!(
            rules[1].fault,
            Fault::Storm(Storm {
                after_ms: 0,
                duration_ms: 1000
            })
        );
        assert!(FaultFile::parse(r#"{"rules": [{"service": "sqs"}]}"#, true).is_err());
    }

    #[test]
    fn normal_latency_is_never_negative() {
        let mut rng = fastrand::Rng::with_seed(1);
        let l = Latency::Normal {
            mean_ms: 1,
            stddev_ms: 50,
        };
        for _ in 0..1000 {
            let _ = l.sample(&mut rng);
        }
    }
}
