//! ListStreamConsumers: a stream's consumers in registration order, paged.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use super::register_stream_consumer::write_consumer;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{NEXT_TOKEN, STREAM_ARN, STREAM_ID, TIMESTAMP, int_range};
use crate::{ApiError, ApiResult};

static MAX_RESULTS: aws_wire::Shape = int_range(1, 10_000);

pub(crate) static INPUT: [Member; 5] = [
    Member::required("StreamARN", &STREAM_ARN),
    Member::optional("NextToken", &NEXT_TOKEN),
    Member::optional("MaxResults", &MAX_RESULTS),
    Member::optional("StreamCreationTimestamp", &TIMESTAMP),
    Member::optional("StreamId", &STREAM_ID),
];

const PAGE: usize = 100;

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    let limit = input
        .int("MaxResults")
        .map_or(PAGE, |l| (l as usize).min(PAGE));
    let skip = match input.str("NextToken") {
        Some(t) => t
            .strip_prefix("consumers:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::invalid(format!("Invalid NextToken {t}.")))?,
        None => 0,
    };
    let all = engine.list_consumers(name)?;
    let page: Vec<_> = all.iter().skip(skip).take(limit).collect();
    w.begin_map(None);
    w.key("Consumers");
    w.begin_array(Some(page.len()));
    for c in &page {
        write_consumer(w, c, false);
    }
    w.end_array();
    if skip + page.len() < all.len() {
        w.key("NextToken");
        w.str(&format!("consumers:{}", skip + page.len()));
    }
    w.end_map();
    Ok(())
}
