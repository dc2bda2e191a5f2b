//! ListShards: the shards of a stream, filtered and paged.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::{Engine, EngineError, ShardInfo, StreamInfo, parse_shard_id};
use token::{decode, encode};

use crate::common::{stream_name, write_shard};
use crate::metrics::Observed;
use crate::shapes::{
    NEXT_TOKEN, SHARD_ID, STREAM_ARN, STREAM_ID, STREAM_NAME, TIMESTAMP, int_range,
};
use crate::{ApiError, ApiResult};

static MAX_RESULTS: Shape = int_range(1, 10_000);
static FILTER_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &[
        "AFTER_SHARD_ID",
        "AT_TRIM_HORIZON",
        "FROM_TRIM_HORIZON",
        "AT_LATEST",
        "AT_TIMESTAMP",
        "FROM_TIMESTAMP",
    ],
};
static FILTER_MEMBERS: [Member; 3] = [
    Member::required("Type", &FILTER_TYPE),
    Member::optional("ShardId", &SHARD_ID),
    Member::optional("Timestamp", &TIMESTAMP),
];
static FILTER: Shape = Shape::Structure(&FILTER_MEMBERS);

pub(crate) static INPUT: [Member; 8] = [
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("NextToken", &NEXT_TOKEN),
    Member::optional("ExclusiveStartShardId", &SHARD_ID),
    Member::optional("MaxResults", &MAX_RESULTS),
    Member::optional("StreamCreationTimestamp", &TIMESTAMP),
    Member::optional("ShardFilter", &FILTER),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

/// At most this many shards per call, as AWS documents.
const PAGE: usize = 1000;
/// Tokens expire after 300 seconds.
const TOKEN_TTL_MS: u64 = 300_000;

/// The filter, with timestamps resolved.
enum Filter {
    All { from_ms: u64 },
    OpenAt { at_ms: u64 },
    Latest,
}

fn keep(s: &ShardInfo, f: &Filter) -> bool {
    let closed = s.closed_ms;
    match *f {
        Filter::All { from_ms } => closed.is_none_or(|c| c >= from_ms),
        Filter::OpenAt { at_ms } => s.created_ms <= at_ms && closed.is_none_or(|c| c >= at_ms),
        Filter::Latest => closed.is_none(),
    }
}

/// The oldest time whose records the stream still keeps.
fn trim_horizon(info: &StreamInfo, now_ms: u64) -> u64 {
    now_ms
        .saturating_sub(u64::from(info.retention_hours) * 3_600_000)
        .max(info.created_ms)
}

/// The shards of `stream` that ListShards lists without a filter: every shard not closed
/// before the trim horizon.
pub(crate) fn unfiltered(engine: &Engine, stream: &str) -> Result<Vec<ShardInfo>, EngineError> {
    let info = engine.describe_stream(stream)?;
    let filter = Filter::All {
        from_ms: trim_horizon(&info, engine.now_ms()),
    };
    Ok(info
        .shards
        .into_iter()
        .filter(|s| keep(s, &filter))
        .collect())
}

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let limit = input
        .int("MaxResults")
        .map_or(PAGE, |l| (l as usize).min(PAGE));
    let (name, after, filter_spec) = if let Some(token) = input.str("NextToken") {
        for other in [
            "StreamName",
            "StreamARN",
            "ExclusiveStartShardId",
            "ShardFilter",
            "StreamCreationTimestamp",
        ] {
            if input.has(other) {
                return Err(ApiError::invalid(format!(
                    "NextToken and {other} cannot be provided together."
                )));
            }
        }
        let t = decode(token)
            .ok_or_else(|| ApiError::invalid(format!("Invalid NextToken {token}.")))?;
        if engine.now_ms().saturating_sub(t.issued_ms) > TOKEN_TTL_MS {
            return Err(ApiError::Engine(EngineError::ExpiredNextToken(format!(
                "The NextToken {token} has expired."
            ))));
        }
        (t.stream, Some(t.after), t.filter)
    } else {
        if !input.has("StreamName") && !input.has("StreamARN") {
            return Err(ApiError::invalid(
                "Either NextToken or StreamName should be provided.",
            ));
        }
        let name = stream_name(engine, &input)?.to_owned();
        let mut after = input
            .str("ExclusiveStartShardId")
            .map(|id| parse_shard_id(id).map_or(-1, i64::from));
        let mut spec = FilterSpec::default();
        if let Some(f) = input.structure("ShardFilter") {
            spec.kind = f.str("Type").unwrap_or_default().to_owned();
            spec.ts = f.timestamp_ms("Timestamp");
            match spec.kind.as_str() {
                "AFTER_SHARD_ID" => {
                    let id = f.str("ShardId").ok_or_else(|| {
                        ApiError::invalid(
                            "ShardId must be provided for ShardFilter type AFTER_SHARD_ID.",
                        )
                    })?;
                    after = Some(parse_shard_id(id).map_or(-1, i64::from));
                }
                "AT_TIMESTAMP" | "FROM_TIMESTAMP" if spec.ts.is_none() => {
                    return Err(ApiError::invalid(format!(
                        "Timestamp must be provided for ShardFilter type {}.",
                        spec.kind
                    )));
                }
                _ => {}
            }
        }
        (name, after, spec)
    };
    let info = engine.describe_stream(&name)?;
    let now = engine.now_ms();
    let trim_horizon = trim_horizon(&info, now);
    let filter = match filter_spec.kind.as_str() {
        "AT_LATEST" => Filter::Latest,
        "AT_TRIM_HORIZON" => Filter::OpenAt {
            at_ms: trim_horizon,
        },
        "AT_TIMESTAMP" => Filter::OpenAt {
            at_ms: (filter_spec.ts.unwrap_or(0).max(0) as u64).max(info.created_ms),
        },
        "FROM_TIMESTAMP" => Filter::All {
            from_ms: (filter_spec.ts.unwrap_or(0).max(0) as u64).max(trim_horizon),
        },
        _ => Filter::All {
            from_ms: trim_horizon,
        },
    };
    let matching: Vec<&ShardInfo> = info
        .shards
        .iter()
        .filter(|s| {
            after.is_none_or(|a| parse_shard_id(&s.shard_id).is_some_and(|i| i64::from(i) > a))
        })
        .filter(|s| keep(s, &filter))
        .collect();
    let page = &matching[..matching.len().min(limit)];
    w.begin_map(None);
    w.key("Shards");
    w.begin_array(Some(page.len()));
    for s in page {
        write_shard(w, s);
    }
    w.end_array();
    if matching.len() > page.len()
        && let Some(last) = page.last()
    {
        let last_index = parse_shard_id(&last.shard_id).map_or(-1, i64::from);
        w.key("NextToken");
        w.str(&encode(&Token {
            stream: name.clone(),
            after: last_index,
            issued_ms: now,
            filter: filter_spec,
        }));
    }
    w.end_map();
    Ok(())
}

/// The filter as given, carried in tokens so later pages filter alike.
#[derive(Default, Clone)]
struct FilterSpec {
    kind: String,
    ts: Option<i64>,
}

struct Token {
    stream: String,
    after: i64,
    issued_ms: u64,
    filter: FilterSpec,
}

/// NextToken encoding: `v1|stream|after|issued|filter|ts`, hex-encoded so it stays opaque.
mod token {
    use super::{FilterSpec, Token};

    pub(super) fn encode(t: &Token) -> String {
        let raw = format!(
            "v1|{}|{}|{}|{}|{}",
            t.stream,
            t.after,
            t.issued_ms,
            t.filter.kind,
            t.filter.ts.map(|v| v.to_string()).unwrap_or_default()
        );
        hex(raw.as_bytes())
    }

    pub(super) fn decode(text: &str) -> Option<Token> {
        let raw = unhex(text)?;
        let raw = String::from_utf8(raw).ok()?;
        let mut parts = raw.split('|');
        if parts.next()? != "v1" {
            return None;
        }
        let stream = parts.next()?.to_owned();
        let after = parts.next()?.parse().ok()?;
        let issued_ms = parts.next()?.parse().ok()?;
        let kind = parts.next()?.to_owned();
        let ts = match parts.next()? {
            "" => None,
            v => Some(v.parse().ok()?),
        };
        Some(Token {
            stream,
            after,
            issued_ms,
            filter: FilterSpec { kind, ts },
        })
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Option<Vec<u8>> {
        if !text.len().is_multiple_of(2) {
            return None;
        }
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect()
    }
}
