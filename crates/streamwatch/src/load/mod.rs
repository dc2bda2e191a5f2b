//! `streamwatch load`: an open arrival-rate load test of a stream, with k6's metric names,
//! thresholds, summary, `--summary-export` JSON, JUnit XML and exit code 99.
//!
//! The schedule ([`load_gen::Schedule`]) says how many records are due; every few
//! milliseconds the due records are made ([`load_gen::RecordSource`]) and sent in calls of up
//! to `--batch` records (PutRecord for 1, PutRecords otherwise), each call on its own task, at
//! most `--max-in-flight` at once. Records due while every slot is busy are not sent and count
//! as `dropped_iterations`, as k6's arrival-rate executors count iterations they could not
//! start. Results flow to one task that owns the [`load_verdict::Registry`], checks
//! `abortOnFail` thresholds every two seconds, and at the end prints k6's summary.

mod driver;
mod observe;
mod scenarios;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use load_gen::{KeyDistribution, PayloadTemplate, SizeDistribution, Stage};
use load_verdict::summary::SummaryOptions;
use load_verdict::{Registry, Thresholds};

/// The service-level thresholds teams hold a Kinesis + Lambda pipeline to (`--slo pipeline`):
/// puts under 50 ms on average and 100 ms at p95, 99.9% of records stored, under 0.1%
/// throttled and under 0.1% failed. (End-to-end latency under 2 s at p95 and under 5% cold
/// starts join them with `--function`.)
pub const PIPELINE_SLO: &[&str] = &[
    "kinesis_put_record_duration=avg<50,p(95)<100",
    "kinesis_put_record_success_rate=rate>0.999",
    "kinesis_throttling_rate=rate<0.001",
    "error_rate=rate<0.001",
];

/// The SLO thresholds that need the function's side of the pipeline (`--function`).
pub const PIPELINE_SLO_FUNCTION: &[&str] = &[
    "end_to_end_latency=p(95)<2000",
    "lambda_cold_start_rate=rate<0.05",
];

/// A named set of thresholds.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Slo {
    /// The Kinesis + Lambda pipeline targets (see `PIPELINE_SLO`).
    Pipeline,
}

/// Options of `streamwatch load`.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The stream to load; created when missing (a scenario file may name its own).
    #[arg(long)]
    stream: Option<String>,
    /// A scenario file (TOML): several k6 arrival-rate scenarios run at once, each with its
    /// own rate, start time and records, and a `thresholds` table; options a scenario leaves
    /// out come from the flags.
    #[arg(long, conflicts_with_all = ["rate", "stage"])]
    scenarios: Option<PathBuf>,
    /// Shards of the stream when it is created.
    #[arg(long, default_value_t = 4)]
    shards: u32,
    /// Records a second (with --duration): k6's constant-arrival-rate.
    #[arg(long, conflicts_with = "stage")]
    rate: Option<f64>,
    /// How long to run at --rate, e.g. `30s`, `2m`.
    #[arg(long, default_value = "30s", value_parser = load_verdict::parse_duration)]
    duration: Duration,
    /// A stage `DURATION:RATE` (repeat; the rate ramps linearly from the previous stage's,
    /// starting at --start-rate): k6's ramping-arrival-rate.
    #[arg(long = "stage", value_parser = |s: &str| Stage::parse(s).map_err(|e| e.to_string()))]
    stage: Vec<Stage>,
    /// The rate the first stage ramps from.
    #[arg(long, default_value_t = 0.0)]
    start_rate: f64,
    /// Bytes of each record's data: `1024`, or `MIN-MAX` for a uniform spread.
    #[arg(long, default_value = "1024", value_parser = |s: &str| SizeDistribution::parse(s).map_err(|e| e.to_string()))]
    record_size: SizeDistribution,
    /// Partition keys: `uniform:KEYS`, `hot:KEYS:SHARE` or `zipf:KEYS:EXPONENT`.
    #[arg(long, default_value = "uniform:1000", value_parser = |s: &str| KeyDistribution::parse(s).map_err(|e| e.to_string()))]
    keys: KeyDistribution,
    /// A JSON object each payload is made from; `{{seq}}`, `{{timestamp}}`, `{{random_int}}`
    /// and `{{random_string}}` values are filled in per record.
    #[arg(long, value_parser = |s: &str| PayloadTemplate::parse(s).map_err(|e| e.to_string()))]
    template: Option<PayloadTemplate>,
    /// Records per call: 1 sends PutRecord, more sends PutRecords (at most 500).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=500))]
    batch: u32,
    /// Pack the records of each call into KPL aggregates, one per shard (as the Kinesis
    /// Producer Library does), so many small records cost few Kinesis records.
    #[arg(long)]
    aggregate: bool,
    /// Calls in flight at most (k6's VUs); records due when all are busy are dropped.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    max_in_flight: u32,
    /// A threshold in k6's syntax, `METRIC=EXPR[,EXPR...]`, e.g.
    /// `kinesis_put_record_duration=avg<50,p(95)<100` (repeat for several metrics).
    #[arg(long = "threshold")]
    thresholds: Vec<String>,
    /// Thresholds as k6's JSON object (`{"metric": ["p(95)<100", {"threshold": "rate>0.99",
    /// "abortOnFail": true, "delayAbortEval": "10s"}]}`), inline or `@FILE`.
    #[arg(long)]
    thresholds_json: Option<String>,
    /// A named threshold set; `pipeline` holds the usual pipeline targets.
    #[arg(long, value_enum)]
    slo: Option<Slo>,
    /// Write k6's summary-export JSON here.
    #[arg(long)]
    summary_export: Option<PathBuf>,
    /// Write the thresholds as JUnit XML here (one test case each).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// The endpoint to load (a URL, or `aws` for AWS itself on the standard credential
    /// chain), the region and the profile. Without `--endpoint` and the SDKs'
    /// AWS_ENDPOINT_URL variables: the engine on 127.0.0.1:4567 when `serve` or `demo` runs
    /// there, else an engine started in-process on a free port.
    #[command(flatten)]
    aws: crate::sdk::AwsArgs,
    /// A price file for the COST section, in the format of aws-prices' `prices.toml`; each
    /// block it names replaces the built-in one.
    #[arg(long, value_name = "FILE")]
    prices: Option<PathBuf>,
    /// The function behind the stream: its log (CloudWatch Logs `/aws/lambda/<name>`) gives
    /// end-to-end latency and pipeline throughput from the completion lines it prints
    /// (lambda-kinesis-handler's `log_completions`, the Python example's
    /// STREAMWATCH_LOAD_COMPLETIONS), and cold starts from its REPORT lines.
    #[arg(long)]
    function: Option<String>,
    /// A downstream stream the function writes each record to (its data as sent, or JSON
    /// keeping the `_lt`, `_seq` and `_sent_ms` fields): a record is done when it arrives
    /// there, which gives end-to-end latency without reading the function's log.
    #[arg(long)]
    output_stream: Option<String>,
    /// With --function or --output-stream: how long to wait after the last send for the function to finish
    /// every stored record; the rest count as lost (failed records).
    #[arg(long, default_value = "30s", value_parser = load_verdict::parse_duration)]
    drain: Duration,
    /// Seed of the record sizes, keys and random fields.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Per-shard throughput limits of the in-process engine (`aws` or `off`).
    #[arg(long, default_value = "aws", value_parser = ["aws", "off"])]
    shard_limits: String,
}

impl LoadArgs {
    /// Whether the engine may be started in this process (no `--endpoint`, no
    /// AWS_ENDPOINT_URL variables).
    pub fn runs_in_process(&self) -> bool {
        self.aws.endpoint.is_none()
            && self.aws.endpoint() == crate::sdk::Endpoint::Url(crate::sdk::LOCAL_ENGINE.into())
    }

    fn thresholds(
        &self,
        plan: &scenarios::Plan,
        registry: &mut Registry,
    ) -> anyhow::Result<Thresholds> {
        let mut thresholds = Thresholds::new();
        if let Some(Slo::Pipeline) = self.slo {
            for t in PIPELINE_SLO {
                thresholds.add_cli(t)?;
            }
            if self.function.is_some() || self.output_stream.is_some() {
                for t in PIPELINE_SLO_FUNCTION {
                    thresholds.add_cli(t)?;
                }
            }
        }
        for t in &self.thresholds {
            thresholds.add_cli(t)?;
        }
        if let Some(json) = &self.thresholds_json {
            let text = match json.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path)
                    .with_context(|| format!("reading thresholds from {path}"))?,
                None => json.clone(),
            };
            for m in Thresholds::from_json(&text)?.metrics() {
                for t in &m.thresholds {
                    thresholds.add(&m.selector.name, t.clone())?;
                }
            }
        }
        if let Some(table) = &plan.thresholds {
            for m in Thresholds::from_value(table)?.metrics() {
                for t in &m.thresholds {
                    thresholds.add(&m.selector.name, t.clone())?;
                }
            }
        }
        thresholds.register(registry)?;
        Ok(thresholds)
    }
}

/// Runs the load test; returns the process exit code (0, or 99 when a threshold failed).
pub async fn run(args: LoadArgs) -> anyhow::Result<i32> {
    // Read first, so a malformed price file stops the test before it sends anything.
    let (prices, prices_file) = crate::cost_cmd::load_prices(args.prices.as_deref())?;
    let mut registry = Registry::pipeline();
    let plan = match scenarios::plan(&args) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("streamwatch load: {e:#}");
            return Ok(load_verdict::EXIT_INVALID_CONFIG);
        }
    };
    let thresholds = match args.thresholds(&plan, &mut registry) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("streamwatch load: {e}");
            return Ok(load_verdict::EXIT_INVALID_CONFIG);
        }
    };
    let target = driver::Target::connect(&args).await?;
    // Each stream once, created when missing; what it is, for the cost.
    let mut streams = std::collections::BTreeMap::new();
    for s in &plan.scenarios {
        if !streams.contains_key(&s.stream) {
            let shape = target.ensure_stream(&s.stream, plan.shards).await?;
            streams.insert(s.stream.clone(), shape);
        }
    }
    for s in &plan.scenarios {
        eprintln!(
            "streamwatch load: {}: {} records over {:.0?} from {:.0?} to stream {:?} at {}, calls of up to {} records{}, {} in flight at most",
            s.name,
            s.schedule.total(),
            s.schedule.duration(),
            s.start,
            s.stream,
            target.endpoint(),
            s.batch,
            if s.aggregate {
                " in KPL aggregates"
            } else {
                ""
            },
            s.max_in_flight
        );
    }
    let outcome = driver::drive(&args, &plan.scenarios, &target, registry, &thresholds).await?;
    let verdict = thresholds.evaluate(&outcome.registry, outcome.elapsed);
    let options = SummaryOptions::default();
    println!(
        "{}",
        load_verdict::summary::text(&outcome.registry, &verdict, &options)
    );
    if let Some(c) = &outcome.completed {
        let discarded = if c.discarded > 0 {
            format!("; {} sent to the on-failure destination", c.discarded)
        } else {
            String::new()
        };
        eprintln!(
            "streamwatch load: the function finished {} of {} stored records{discarded}; {} lost (not finished within --drain)",
            c.completed, outcome.stored, c.lost
        );
    }
    if let Some(message) = verdict.message() {
        eprintln!("streamwatch load: {message}");
    }
    if outcome.aborted {
        eprintln!(
            "streamwatch load: stopped after {:.1?} of {:.0?} (abortOnFail)",
            outcome.elapsed,
            plan.scenarios
                .iter()
                .map(scenarios::Scenario::end)
                .max()
                .unwrap_or_default()
        );
    }
    let cost = cost(&prices, &target.region, streams.values(), &outcome);
    match &cost {
        Ok(cost) => {
            println!(
                "  █ COST (list prices of {}, as of {}, {} prices)\n",
                target.region, cost.prices_as_of, prices_file
            );
            println!("{cost}");
        }
        Err(e) => eprintln!("streamwatch load: no cost: {e}"),
    }
    if let Some(path) = &args.summary_export {
        let mut export = load_verdict::summary::export_value(&outcome.registry, &verdict, &options);
        if let (Ok(cost), Some(map)) = (&cost, export.as_object_mut()) {
            // Beside k6's keys: what the test cost at list prices.
            map.insert("cost".into(), serde_json::to_value(cost)?);
        }
        std::fs::write(path, serde_json::to_string_pretty(&export)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(
            path,
            load_verdict::junit::junit_xml(&verdict, "streamwatch load"),
        )
        .with_context(|| format!("writing {}", path.display()))?;
    }
    target.stop().await;
    Ok(verdict.exit_code())
}

/// What the test used, priced at the region's list prices: each stream for the test's
/// duration, PUT payload units (or on-demand GB) for the stored Kinesis records, and the
/// function's billed invocations seen in its log.
fn cost<'s>(
    table: &aws_prices::PriceTable,
    region: &str,
    streams: impl Iterator<Item = &'s (aws_prices::StreamMode, u32)>,
    outcome: &driver::Outcome,
) -> anyhow::Result<aws_prices::Cost> {
    let prices = table.for_region(region)?;
    let hours = outcome.elapsed.as_secs_f64() / 3600.0;
    let (mut shard_hours, mut on_demand_hours) = (0.0, 0.0);
    for (mode, open_shards) in streams {
        match mode {
            aws_prices::StreamMode::Provisioned => shard_hours += f64::from(*open_shards) * hours,
            aws_prices::StreamMode::OnDemand => on_demand_hours += hours,
        }
    }
    let mut usage = if on_demand_hours > 0.0 && shard_hours == 0.0 {
        aws_prices::Usage::on_demand(on_demand_hours)
    } else {
        aws_prices::Usage::provisioned(shard_hours)
    };
    for (size, count) in &outcome.sizes {
        usage.add_records(*size, *count);
    }
    if let Some(lambda) = &outcome.lambda {
        usage.lambda.push(lambda.clone());
    }
    let mut cost = usage.cost(prices);
    // Per million records the test stored, each record of a KPL aggregate counted.
    cost.records = outcome.stored;
    Ok(cost)
}
