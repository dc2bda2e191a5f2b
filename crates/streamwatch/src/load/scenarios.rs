//! What `streamwatch load` runs: one scenario from the command line, or several from a
//! scenario file (`--scenarios FILE`, TOML), as k6's `options.scenarios` runs several at once.
//!
//! A scenario file holds k6's scenario options under k6's names (`executor`, `rate`,
//! `timeUnit`, `duration`, `startTime`, `startRate`, `stages`, `preAllocatedVUs`, `maxVUs`)
//! and streamwatch's record options under the command line's names (`stream`, `record-size`,
//! `keys`, `template`, `batch`, `aggregate`); an option a scenario leaves out comes from the
//! command line. A top-level `thresholds` table takes k6's thresholds object, and `stream` and
//! `shards` set defaults:
//!
//! ```toml
//! stream = "orders"
//!
//! [thresholds]
//! kinesis_put_record_duration = ["avg<50", "p(95)<100"]
//! "kinesis_throttling_rate{scenario:spike}" = [{ threshold = "rate<0.01", abortOnFail = true }]
//!
//! [scenarios.steady]
//! executor = "constant-arrival-rate"
//! rate = 1000
//! duration = "1m"
//!
//! [scenarios.spike]
//! executor = "ramping-arrival-rate"
//! startTime = "20s"
//! stages = [{ duration = "10s", target = 5000 }, { duration = "10s", target = 0 }]
//! keys = "hot:1000:0.5"
//! ```
//!
//! Every sample a scenario makes is tagged `scenario:<name>` (the command line's one scenario
//! is `default`, as in k6), so thresholds can hold one scenario to its own targets.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, bail};
use load_gen::{KeyDistribution, PayloadTemplate, Schedule, SizeDistribution, Stage};
use serde::Deserialize;

use super::LoadArgs;

/// The name k6 gives the one scenario of a test that names none.
pub const DEFAULT_SCENARIO: &str = "default";

/// One scenario, resolved: what it sends, where, and when.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name, the `scenario` tag of its samples.
    pub name: String,
    /// The stream it loads.
    pub stream: String,
    /// When it starts, from the start of the test (k6's `startTime`).
    pub start: Duration,
    /// Its arrival rate over its own time.
    pub schedule: Schedule,
    /// Bytes of each record's data.
    pub record_size: SizeDistribution,
    /// Partition keys.
    pub keys: KeyDistribution,
    /// The payload each record is made from.
    pub template: PayloadTemplate,
    /// Records per call.
    pub batch: u32,
    /// Calls in flight at most (k6's `maxVUs`).
    pub max_in_flight: u32,
    /// Whether the records of a call are packed into KPL aggregates, one per shard.
    pub aggregate: bool,
}

impl Scenario {
    /// When its last iteration is due, from the start of the test.
    pub fn end(&self) -> Duration {
        self.start + self.schedule.duration()
    }
}

/// A scenario file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    stream: Option<String>,
    shards: Option<u32>,
    #[serde(default)]
    thresholds: toml::Table,
    scenarios: BTreeMap<String, ScenarioDoc>,
}

/// A stage as k6 writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageDoc {
    duration: String,
    target: f64,
}

/// One scenario as written: k6's options under k6's names, ours under the flags' names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioDoc {
    executor: String,
    rate: Option<f64>,
    #[serde(rename = "timeUnit")]
    time_unit: Option<String>,
    duration: Option<String>,
    #[serde(rename = "startTime")]
    start_time: Option<String>,
    #[serde(rename = "startRate")]
    start_rate: Option<f64>,
    stages: Option<Vec<StageDoc>>,
    /// Accepted for k6 compatibility: calls are tasks, nothing is allocated beforehand.
    #[serde(rename = "preAllocatedVUs")]
    _pre_allocated_vus: Option<u32>,
    #[serde(rename = "maxVUs")]
    max_vus: Option<u32>,
    stream: Option<String>,
    #[serde(rename = "record-size")]
    record_size: Option<String>,
    keys: Option<String>,
    template: Option<toml::Value>,
    batch: Option<u32>,
    aggregate: Option<bool>,
}

/// What a scenario file gives: its scenarios, its thresholds (k6's JSON object) and the
/// shards of streams it creates.
#[derive(Debug)]
pub struct Plan {
    /// The scenarios, by name.
    pub scenarios: Vec<Scenario>,
    /// k6's thresholds object, when the file has one.
    pub thresholds: Option<serde_json::Value>,
    /// Shards of each stream created.
    pub shards: u32,
}

/// The plan of a run: the scenario file's when `--scenarios` is given, else one `default`
/// scenario from the flags.
pub fn plan(args: &LoadArgs) -> anyhow::Result<Plan> {
    let Some(path) = &args.scenarios else {
        let stream = args
            .stream
            .clone()
            .context("give the stream to load with --stream (or a scenario file)")?;
        let schedule = if args.stage.is_empty() {
            Schedule::constant(args.rate.unwrap_or(100.0), args.duration)?
        } else {
            Schedule::ramping(args.start_rate, &args.stage)?
        };
        return Ok(Plan {
            scenarios: vec![Scenario {
                name: DEFAULT_SCENARIO.into(),
                stream,
                start: Duration::ZERO,
                schedule,
                record_size: args.record_size.clone(),
                keys: args.keys.clone(),
                template: args.template.clone().unwrap_or_default(),
                batch: args.batch,
                max_in_flight: args.max_in_flight,
                aggregate: args.aggregate,
            }],
            thresholds: None,
            shards: args.shards,
        });
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text, args).with_context(|| format!("in {}", path.display()))
}

/// Parses a scenario file; options it leaves out come from `args`.
fn parse(text: &str, args: &LoadArgs) -> anyhow::Result<Plan> {
    let doc: FileDoc = toml::from_str(text)?;
    if doc.scenarios.is_empty() {
        bail!("the file has no [scenarios.<name>] table");
    }
    let mut scenarios = Vec::with_capacity(doc.scenarios.len());
    for (name, s) in doc.scenarios {
        let scenario = resolve(&name, s, doc.stream.as_deref(), args)
            .with_context(|| format!("scenario {name:?}"))?;
        scenarios.push(scenario);
    }
    let thresholds = if doc.thresholds.is_empty() {
        None
    } else {
        Some(serde_json::to_value(&doc.thresholds)?)
    };
    Ok(Plan {
        scenarios,
        thresholds,
        shards: doc.shards.unwrap_or(args.shards),
    })
}

/// A k6 duration option (`"30s"`, `"1m30s"`, or a bare number of milliseconds).
fn duration(option: &str, text: &str) -> anyhow::Result<Duration> {
    load_verdict::parse_duration(text).with_context(|| format!("{option}: not a duration"))
}

fn resolve(
    name: &str,
    s: ScenarioDoc,
    file_stream: Option<&str>,
    args: &LoadArgs,
) -> anyhow::Result<Scenario> {
    // Rates are per timeUnit (default one second), as in k6.
    let unit = match &s.time_unit {
        Some(t) => duration("timeUnit", t)?,
        None => Duration::from_secs(1),
    };
    if unit.is_zero() {
        bail!("timeUnit must be longer than zero");
    }
    let per_second = |r: f64| r / unit.as_secs_f64();
    let schedule = match s.executor.as_str() {
        "constant-arrival-rate" => {
            if s.stages.is_some() || s.start_rate.is_some() {
                bail!("constant-arrival-rate takes rate and duration, not stages or startRate");
            }
            let rate = s.rate.context("constant-arrival-rate needs rate")?;
            let d = s
                .duration
                .as_deref()
                .context("constant-arrival-rate needs duration")?;
            Schedule::constant(per_second(rate), duration("duration", d)?)?
        }
        "ramping-arrival-rate" => {
            if s.rate.is_some() || s.duration.is_some() {
                bail!("ramping-arrival-rate takes startRate and stages, not rate or duration");
            }
            let stages = s.stages.context("ramping-arrival-rate needs stages")?;
            let stages = stages
                .iter()
                .map(|st| {
                    Ok(Stage {
                        duration: duration("stages.duration", &st.duration)?,
                        target: per_second(st.target),
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Schedule::ramping(per_second(s.start_rate.unwrap_or(0.0)), &stages)?
        }
        other => bail!(
            "executor {other:?} is not an arrival-rate executor; streamwatch load runs \
             constant-arrival-rate and ramping-arrival-rate"
        ),
    };
    let template = match s.template {
        None => args.template.clone().unwrap_or_default(),
        Some(toml::Value::String(json)) => PayloadTemplate::parse(&json)?,
        Some(table @ toml::Value::Table(_)) => {
            PayloadTemplate::parse(&serde_json::to_string(&table)?)?
        }
        Some(_) => bail!("template is a JSON object, as a string or a table"),
    };
    let batch = s.batch.unwrap_or(args.batch);
    if !(1..=500).contains(&batch) {
        bail!("batch must be 1 to 500 records");
    }
    let aggregate = s.aggregate.unwrap_or(args.aggregate);
    if aggregate && batch < 2 {
        bail!("aggregate packs the records of a call: give batch 2 or more");
    }
    let stream = s
        .stream
        .or_else(|| file_stream.map(str::to_owned))
        .or_else(|| args.stream.clone())
        .context(
            "no stream: set stream in the scenario, at the top of the file or with --stream",
        )?;
    Ok(Scenario {
        name: name.to_owned(),
        stream,
        start: match &s.start_time {
            Some(t) => duration("startTime", t)?,
            None => Duration::ZERO,
        },
        schedule,
        record_size: match &s.record_size {
            Some(r) => SizeDistribution::parse(r)?,
            None => args.record_size.clone(),
        },
        keys: match &s.keys {
            Some(k) => KeyDistribution::parse(k)?,
            None => args.keys.clone(),
        },
        template,
        batch,
        max_in_flight: s.max_vus.unwrap_or(args.max_in_flight).max(1),
        aggregate,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        load: LoadArgs,
    }

    fn args(extra: &[&str]) -> LoadArgs {
        let mut argv = vec!["load"];
        argv.extend_from_slice(extra);
        Cli::parse_from(argv).load
    }

    const FILE: &str = r#"
stream = "orders"
shards = 3

[thresholds]
kinesis_put_record_duration = ["avg<50", "p(95)<100"]
"kinesis_throttling_rate{scenario:spike}" = [{ threshold = "rate<0.01", abortOnFail = true, delayAbortEval = "5s" }]

[scenarios.steady]
executor = "constant-arrival-rate"
rate = 6000
timeUnit = "1m"
duration = "30s"
maxVUs = 8

[scenarios.spike]
executor = "ramping-arrival-rate"
startTime = "10s"
startRate = 0
stages = [{ duration = "10s", target = 200 }, { duration = "10s", target = 0 }]
stream = "other"
keys = "hot:10:0.5"
batch = 50
aggregate = true
template = { kind = "spike", n = "{{seq}}" }
"#;

    #[test]
    fn a_file_gives_k6_scenarios_with_the_flags_as_defaults() {
        let plan = parse(FILE, &args(&["--batch", "20", "--record-size", "64"])).unwrap();
        assert_eq!(plan.shards, 3);
        let [spike, steady] = &plan.scenarios[..] else {
            panic!("two scenarios: {:?}", plan.scenarios)
        };
        // 6,000 a minute for 30 s: 100 a second, 3,000 in all; the flags fill in the rest.
        assert_eq!(steady.name, "steady");
        assert_eq!(steady.stream, "orders");
        assert_eq!(steady.schedule.total(), 3_000);
        assert_eq!((steady.batch, steady.max_in_flight), (20, 8));
        assert_eq!(steady.record_size, SizeDistribution::Fixed(64));
        assert!(!steady.aggregate);
        // Ramps to 200 a second over 10 s and back: 2,000 records from 10 s to 30 s.
        assert_eq!(spike.stream, "other");
        assert_eq!(spike.start, Duration::from_secs(10));
        assert_eq!(spike.end(), Duration::from_secs(30));
        assert_eq!(spike.schedule.total(), 2_000);
        assert_eq!((spike.batch, spike.aggregate), (50, true));
        let thresholds = plan.thresholds.unwrap();
        assert_eq!(
            thresholds["kinesis_put_record_duration"],
            serde_json::json!(["avg<50", "p(95)<100"])
        );
        let t = load_verdict::Thresholds::from_value(&thresholds).unwrap();
        assert_eq!(t.metrics().len(), 2);
    }

    #[test]
    fn mistakes_are_named() {
        let a = args(&[]);
        for (file, says) in [
            (
                "[scenarios.a]\nexecutor = \"constant-vus\"\n",
                "constant-vus",
            ),
            (
                "[scenarios.a]\nexecutor = \"constant-arrival-rate\"\nrate = 1\n",
                "needs duration",
            ),
            (
                "stream = \"s\"\n[scenarios.a]\nexecutor = \"constant-arrival-rate\"\nrate = 1\nduration = \"1s\"\nvus = 3\n",
                "vus",
            ),
            (
                "[scenarios.a]\nexecutor = \"constant-arrival-rate\"\nrate = 1\nduration = \"1s\"\n",
                "no stream",
            ),
            (
                "stream = \"s\"\n[scenarios.a]\nexecutor = \"constant-arrival-rate\"\nrate = 1\nduration = \"1s\"\nbatch = 1\naggregate = true\n",
                "batch 2 or more",
            ),
            ("stream = \"s\"\n", "scenarios"),
        ] {
            let err = format!("{:#}", parse(file, &a).unwrap_err());
            assert!(err.contains(says), "{file}: {err}");
        }
    }
}
