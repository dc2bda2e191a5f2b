//! DescribeLimits: the account's shard and on-demand stream quotas and usage.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::metrics::Observed;

pub(crate) static INPUT: [Member; 0] = [];

pub(crate) fn run(
    engine: &Engine,
    _input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let l = engine.limits();
    w.begin_map(Some(4));
    w.key("ShardLimit");
    w.int(i64::from(l.shard_limit));
    w.key("OpenShardCount");
    w.int(i64::from(l.open_shard_count));
    w.key("OnDemandStreamCount");
    w.int(i64::from(l.on_demand_stream_count));
    w.key("OnDemandStreamCountLimit");
    w.int(i64::from(l.on_demand_stream_count_limit));
    w.end_map();
    Ok(())
}
