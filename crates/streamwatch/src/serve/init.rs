//! What `serve` creates at start: `--create-stream`, `--create-queue` and an `--init` file.
//!
//! Everything goes through the engines' own calls (no HTTP inside the process), after the
//! server is bound and before it says it is listening, so a script waiting for the
//! `listening on` line finds the streams ACTIVE (with the create delay they may still be
//! CREATING, as after a CreateStream). Whatever already exists, typically restored from
//! `--data-dir`, is left as it is: a restart with the same flags is not an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use kinesis_engine::StreamMode;
use lambda_engine::FunctionConfig;
use lambda_engine::esm::{MappingConfig, StartingPosition};
use serde::Deserialize;
use streamwatch_server::RunningServer;

/// Shards of a stream named without a count, as kinesis-mock's INITIALIZE_STREAMS.
const DEFAULT_SHARDS: u32 = 4;

/// One `--create-stream` value: `NAME[:SHARDS[:REGION]]` (the region part only as
/// kinesis-mock spells it, and only the server's own region).
#[derive(Debug, Clone)]
pub struct StreamSpec {
    name: String,
    shards: u32,
    region: Option<String>,
}

impl FromStr for StreamSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut parts = text.split(':');
        let name = parts.next().unwrap_or_default().trim();
        if name.is_empty() {
            return Err(format!("no stream name in {text:?} (NAME[:SHARDS])"));
        }
        let shards = match parts.next().map(str::trim) {
            None | Some("") => DEFAULT_SHARDS,
            Some(n) => match n.parse::<u32>() {
                Ok(n) if n >= 1 => n,
                _ => return Err(format!("not a shard count in {text:?}: {n:?}")),
            },
        };
        let region = parts
            .next()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        if parts.next().is_some() {
            return Err(format!("too many ':' in {text:?} (NAME[:SHARDS])"));
        }
        Ok(StreamSpec {
            name: name.to_owned(),
            shards,
            region,
        })
    }
}

/// The `--init` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InitFile {
    #[serde(default, rename = "stream")]
    streams: Vec<InitStream>,
    #[serde(default, rename = "queue")]
    queues: Vec<InitQueue>,
    #[serde(default, rename = "function")]
    functions: Vec<InitFunction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InitStream {
    name: String,
    /// Provisioned shards; not with `on_demand`.
    shards: Option<u32>,
    #[serde(default)]
    on_demand: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InitQueue {
    name: String,
    /// SQS attributes as CreateQueue takes them, e.g. `VisibilityTimeout = "30"`.
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InitFunction {
    name: String,
    /// A `.zip`, a directory (zipped as it is), or one executable (zipped as `bootstrap`);
    /// relative to the init file.
    code: PathBuf,
    #[serde(default = "default_runtime")]
    runtime: String,
    #[serde(default = "default_handler")]
    handler: String,
    #[serde(default = "default_timeout")]
    timeout: u32,
    #[serde(default = "default_memory")]
    memory: u32,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    /// A stream of this server to map the function to (an event source mapping).
    stream: Option<String>,
    #[serde(default = "default_batch_size")]
    batch_size: u32,
    /// `TRIM_HORIZON` (the default: records put before the mapping polls are delivered too)
    /// or `LATEST`.
    #[serde(default = "default_starting_position")]
    starting_position: String,
}

fn default_runtime() -> String {
    "provided.al2023".into()
}
fn default_handler() -> String {
    "bootstrap".into()
}
fn default_timeout() -> u32 {
    3
}
fn default_memory() -> u32 {
    128
}
fn default_batch_size() -> u32 {
    100
}
fn default_starting_position() -> String {
    "TRIM_HORIZON".into()
}

/// A function to create, its code read and zipped.
#[derive(Debug)]
struct FunctionPlan {
    spec: InitFunction,
    zip: Vec<u8>,
}

/// Everything to create at start, read and checked before the server starts.
#[derive(Debug, Default)]
pub struct Plan {
    streams: Vec<(String, Option<u32>, StreamMode)>,
    queues: Vec<(String, BTreeMap<String, String>)>,
    functions: Vec<FunctionPlan>,
}

impl Plan {
    /// The plan of the flags, then of the file, for a server of `region`.
    pub fn from_args(
        streams: &[StreamSpec],
        queues: &[String],
        file: Option<&Path>,
        region: &str,
    ) -> anyhow::Result<Plan> {
        let mut plan = Plan::default();
        for s in streams {
            if let Some(r) = s.region.as_deref().filter(|r| *r != region) {
                bail!(
                    "--create-stream {} asks for region {r}, but this server is region {region} (--region)",
                    s.name
                );
            }
            plan.streams
                .push((s.name.clone(), Some(s.shards), StreamMode::Provisioned));
        }
        for q in queues.iter().map(|q| q.trim()).filter(|q| !q.is_empty()) {
            plan.queues.push((q.to_owned(), BTreeMap::new()));
        }
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading --init file {}", path.display()))?;
            let parsed: InitFile = toml::from_str(&text)
                .with_context(|| format!("parsing --init file {}", path.display()))?;
            let base = path.parent().unwrap_or(Path::new("."));
            plan.add_file(parsed, base)
                .with_context(|| format!("in --init file {}", path.display()))?;
        }
        Ok(plan)
    }

    fn add_file(&mut self, file: InitFile, base: &Path) -> anyhow::Result<()> {
        for s in file.streams {
            let (shards, mode) = match (s.on_demand, s.shards) {
                (true, None) => (None, StreamMode::OnDemand),
                (true, Some(_)) => {
                    bail!("stream {}: shards and on_demand exclude each other", s.name)
                }
                (false, shards) => (
                    Some(shards.unwrap_or(DEFAULT_SHARDS)),
                    StreamMode::Provisioned,
                ),
            };
            self.streams.push((s.name, shards, mode));
        }
        for q in file.queues {
            self.queues.push((q.name, q.attributes));
        }
        for f in file.functions {
            let code = base.join(&f.code);
            let zip = read_code(&code)
                .with_context(|| format!("function {}: code {}", f.name, code.display()))?;
            if !matches!(f.starting_position.as_str(), "TRIM_HORIZON" | "LATEST") {
                bail!(
                    "function {}: starting_position is TRIM_HORIZON or LATEST, not {:?}",
                    f.name,
                    f.starting_position
                );
            }
            self.functions.push(FunctionPlan { spec: f, zip });
        }
        Ok(())
    }

    /// Creates what does not exist yet, in order: streams, queues, functions, mappings.
    pub fn apply(&self, server: &RunningServer) -> anyhow::Result<()> {
        let engine = server.engine();
        for (name, shards, mode) in &self.streams {
            if engine.describe_stream(name).is_ok() {
                tracing::info!(stream = %name, "stream exists already; left as it is");
                continue;
            }
            engine
                .create_stream(name, Some(*mode), *shards, &[])
                .with_context(|| format!("creating stream {name}"))?;
            tracing::info!(stream = %name, shards = ?shards, "created stream");
        }
        for (name, attributes) in &self.queues {
            // CreateQueue of an existing queue with the same attributes returns its URL.
            let url = server
                .sqs()
                .create_queue(name, attributes, &BTreeMap::new())
                .with_context(|| format!("creating queue {name}"))?;
            tracing::info!(queue = %name, %url, "queue ready");
        }
        let lambda = server.lambda();
        for FunctionPlan { spec, zip } in &self.functions {
            if lambda.get_function(&spec.name).is_ok() {
                tracing::info!(function = %spec.name, "function exists already; left as it is");
            } else {
                let config = FunctionConfig {
                    name: spec.name.clone(),
                    runtime: spec.runtime.clone(),
                    handler: spec.handler.clone(),
                    role: format!(
                        "arn:aws:iam::{}:role/streamwatch-init",
                        engine.config().account_id
                    ),
                    timeout_secs: spec.timeout,
                    memory_mb: spec.memory,
                    environment: spec.environment.clone(),
                    description: "created by streamwatch serve --init".into(),
                    architectures: vec!["x86_64".into()],
                    code_sha256: String::new(),
                    code_size: 0,
                    last_modified: String::new(),
                    revision_id: String::new(),
                    dead_letter_target: None,
                    version: lambda_engine::function::LATEST.into(),
                };
                lambda
                    .create_function(config, zip, BTreeMap::new())
                    .with_context(|| format!("creating function {}", spec.name))?;
                tracing::info!(function = %spec.name, "created function");
            }
            let Some(stream) = &spec.stream else {
                continue;
            };
            let arn = engine.stream_arn(stream);
            if !lambda
                .list_mappings(Some(&spec.name), Some(&arn))
                .is_empty()
            {
                continue;
            }
            let mapping = MappingConfig {
                event_source_arn: arn,
                function_name: spec.name.clone(),
                batch_size: spec.batch_size,
                maximum_batching_window_secs: 0,
                starting_position: if spec.starting_position == "LATEST" {
                    StartingPosition::Latest
                } else {
                    StartingPosition::TrimHorizon
                },
                enabled: true,
                maximum_retry_attempts: -1,
                maximum_record_age_secs: -1,
                bisect_batch_on_function_error: false,
                parallelization_factor: 1,
                report_batch_item_failures: false,
                on_failure: None,
            };
            lambda
                .create_mapping(mapping)
                .with_context(|| format!("mapping function {} to stream {stream}", spec.name))?;
            tracing::info!(function = %spec.name, %stream, "created event source mapping");
        }
        Ok(())
    }
}

/// A function's code as a zip: a `.zip` as it is, a directory zipped, one file as `bootstrap`.
fn read_code(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.is_dir() {
        return Ok(function_zip::zip_dir(path)?);
    }
    let bytes = std::fs::read(path)?;
    if bytes.starts_with(b"PK\x03\x04") {
        Ok(bytes)
    } else {
        Ok(function_zip::bootstrap_zip(&bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_specs_read_as_kinesis_mock_writes_them() {
        let s: StreamSpec = "orders:2".parse().unwrap();
        assert_eq!((s.name.as_str(), s.shards), ("orders", 2));
        let s: StreamSpec = "orders".parse().unwrap();
        assert_eq!(s.shards, DEFAULT_SHARDS);
        let s: StreamSpec = "orders::us-west-2".parse().unwrap();
        assert_eq!((s.shards, s.region.as_deref()), (4, Some("us-west-2")));
        assert!("orders:0".parse::<StreamSpec>().is_err());
        assert!("orders:x".parse::<StreamSpec>().is_err());
        assert!(":3".parse::<StreamSpec>().is_err());
    }
}
