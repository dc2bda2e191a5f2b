//! Enable/DisableEnhancedMonitoring: which shard-level metrics a stream publishes.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::{stream_name, write_str_list};
use crate::metrics::Observed;
use crate::shapes::{METRICS_LIST, STREAM_ARN, STREAM_ID, STREAM_NAME};

pub(crate) static INPUT: [Member; 4] = [
    Member::required("ShardLevelMetrics", &METRICS_LIST),
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

fn change(
    engine: &Engine,
    input: &Input<'_>,
    w: &mut Writer,
    obs: &mut Observed,
    enable: bool,
) -> ApiResult {
    let name = stream_name(engine, input)?;
    obs.stream = Some(name.to_owned());
    let metrics: Vec<String> = input
        .str_list("ShardLevelMetrics")
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let c = engine.set_enhanced_monitoring(name, &metrics, enable)?;
    w.begin_map(Some(4));
    w.key("StreamName");
    w.str(&c.stream_name);
    w.key("CurrentShardLevelMetrics");
    write_str_list(w, &c.current);
    w.key("DesiredShardLevelMetrics");
    write_str_list(w, &c.desired);
    w.key("StreamARN");
    w.str(&c.stream_arn);
    w.end_map();
    Ok(())
}

pub(crate) fn enable(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    obs: &mut Observed,
) -> ApiResult {
    change(engine, &input, w, obs, true)
}

pub(crate) fn disable(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    obs: &mut Observed,
) -> ApiResult {
    change(engine, &input, w, obs, false)
}
