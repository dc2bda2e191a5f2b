//! ListStreams: stream names and summaries in name order, paged by name or NextToken.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::metrics::Observed;
use crate::shapes::{NEXT_TOKEN, STREAM_NAME, int_range};
use crate::{ApiError, ApiResult};

static LIMIT: aws_wire::Shape = int_range(1, 10_000);

pub(crate) static INPUT: [Member; 3] = [
    Member::optional("Limit", &LIMIT),
    Member::optional("ExclusiveStartStreamName", &STREAM_NAME),
    Member::optional("NextToken", &NEXT_TOKEN),
];

/// At most this many streams come back per call, as AWS documents.
const PAGE: usize = 100;

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let limit = input.int("Limit").map_or(PAGE, |l| (l as usize).min(PAGE));
    // The token is the last name of the previous page: the list is in name order, so
    // streams created or deleted between pages neither repeat nor shift the rest.
    let after = match (
        input.str("NextToken"),
        input.str("ExclusiveStartStreamName"),
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "NextToken and ExclusiveStartStreamName cannot be provided together.",
            ));
        }
        (Some(token), None) => Some(decode_token(token)?),
        (None, name) => name.map(str::to_owned),
    };
    let all = engine.list_streams();
    let page: Vec<_> = all
        .iter()
        .filter(|s| after.as_deref().is_none_or(|a| s.0.as_str() > a))
        .take(limit + 1)
        .collect();
    let has_more = page.len() > limit;
    let page = &page[..page.len().min(limit)];

    w.begin_map(None);
    w.key("StreamNames");
    w.begin_array(Some(page.len()));
    for s in page {
        w.str(&s.0);
    }
    w.end_array();
    w.key("HasMoreStreams");
    w.bool(has_more);
    if has_more && let Some(last) = page.last() {
        w.key("NextToken");
        w.str(&encode_token(&last.0));
    }
    w.key("StreamSummaries");
    w.begin_array(Some(page.len()));
    for (name, arn, status, mode, created) in page.iter().map(|s| (&s.0, &s.1, s.2, s.3, s.4)) {
        w.begin_map(Some(5));
        w.key("StreamName");
        w.str(name);
        w.key("StreamARN");
        w.str(arn);
        w.key("StreamStatus");
        w.str(status.as_str());
        w.key("StreamModeDetails");
        crate::common::write_mode(w, mode);
        w.key("StreamCreationTimestamp");
        w.timestamp_ms(created as i64);
        w.end_map();
    }
    w.end_array();
    w.end_map();
    Ok(())
}

const TOKEN_PREFIX: &str = "streams:";

fn encode_token(last: &str) -> String {
    format!("{TOKEN_PREFIX}{last}")
}

fn decode_token(token: &str) -> ApiResult<String> {
    token
        .strip_prefix(TOKEN_PREFIX)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::invalid(format!("Invalid NextToken {token}.")))
}
