//! CreateEventSourceMapping: a poller that reads a Kinesis stream or an SQS queue into a
//! function.

use aws_wire::{Binding, Input, Member, Shape, violation_text};
use lambda_engine::esm::{MappingConfig, StartingPosition};

use super::Call;
use crate::common::{int_u32, json};
use crate::documents;
use crate::error::{ApiResult, LambdaApiError};
use crate::shapes::{ARN, DESTINATION_CONFIG, NAMESPACED_FUNCTION_NAME, TAGS, split_function_name};

static BATCH_SIZE: Shape = Shape::Integer {
    min: Some(1),
    max: Some(10_000),
};
static BATCHING_WINDOW: Shape = Shape::Integer {
    min: Some(0),
    max: Some(300),
};
static PARALLELIZATION: Shape = Shape::Integer {
    min: Some(1),
    max: Some(10),
};
static RECORD_AGE: Shape = Shape::Integer {
    min: Some(-1),
    max: Some(604_800),
};
static RETRIES: Shape = Shape::Integer {
    min: Some(-1),
    max: Some(10_000),
};
static TUMBLING_WINDOW: Shape = Shape::Integer {
    min: Some(0),
    max: Some(900),
};
// In the order AWS prints them.
static STARTING_POSITION: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["LATEST", "AT_TIMESTAMP", "TRIM_HORIZON"],
};
static RESPONSE_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["ReportBatchItemFailures"],
};
/// `FunctionResponseTypeList`.
pub(crate) static RESPONSE_TYPES: Shape = Shape::List {
    member: &RESPONSE_TYPE,
    min_len: Some(0),
    max_len: Some(1),
    member_str: None,
};

/// The settings CreateEventSourceMapping and UpdateEventSourceMapping share, in the model's
/// order (see [`apply`]).
pub(crate) const SETTINGS: [Member; 10] = [
    Member::optional("Enabled", &Shape::Boolean),
    Member::optional("BatchSize", &BATCH_SIZE),
    Member::optional("MaximumBatchingWindowInSeconds", &BATCHING_WINDOW),
    Member::optional("ParallelizationFactor", &PARALLELIZATION),
    Member::optional("DestinationConfig", &DESTINATION_CONFIG),
    Member::optional("MaximumRecordAgeInSeconds", &RECORD_AGE),
    Member::optional("BisectBatchOnFunctionError", &Shape::Boolean),
    Member::optional("MaximumRetryAttempts", &RETRIES),
    Member::optional("TumblingWindowInSeconds", &TUMBLING_WINDOW),
    Member::optional("FunctionResponseTypes", &RESPONSE_TYPES),
];

pub(crate) static INPUT: [Member; 15] = {
    let s = SETTINGS;
    [
        Member::optional("EventSourceArn", &ARN),
        Member::required("FunctionName", &NAMESPACED_FUNCTION_NAME),
        s[0],
        s[1],
        s[2],
        s[3],
        Member::optional("StartingPosition", &STARTING_POSITION),
        Member::optional("StartingPositionTimestamp", &Shape::Timestamp),
        s[4],
        s[5],
        s[6],
        s[7],
        Member::optional("Tags", &TAGS),
        s[8],
        s[9],
    ]
};
pub(crate) static BINDINGS: [Binding; 0] = [];

/// Applies the settings present in `input` to `c` (creation and update share them).
pub(crate) fn apply(input: &Input<'_>, c: &mut MappingConfig) {
    if let Some(n) = int_u32(input, "BatchSize") {
        c.batch_size = n;
    }
    if let Some(n) = int_u32(input, "MaximumBatchingWindowInSeconds") {
        c.maximum_batching_window_secs = n;
    }
    if let Some(n) = int_u32(input, "ParallelizationFactor") {
        c.parallelization_factor = n;
    }
    if let Some(n) = input.int("MaximumRetryAttempts") {
        c.maximum_retry_attempts = n;
    }
    if let Some(n) = input.int("MaximumRecordAgeInSeconds") {
        c.maximum_record_age_secs = n;
    }
    if let Some(b) = input.bool("BisectBatchOnFunctionError") {
        c.bisect_batch_on_function_error = b;
    }
    if let Some(b) = input.bool("Enabled") {
        c.enabled = b;
    }
    if let Some(types) = input.str_list("FunctionResponseTypes") {
        c.report_batch_item_failures = types.contains(&"ReportBatchItemFailures");
    }
    if let Some(d) = input.structure("DestinationConfig") {
        c.on_failure = d
            .structure("OnFailure")
            .and_then(|o| o.str("Destination"))
            .map(str::to_owned);
    }
}

pub(crate) async fn run(call: Call<'_, '_>) -> ApiResult {
    let input = &call.input;
    // A mapping may target a version or alias (`name:qualifier`).
    let function = match split_function_name(input.str("FunctionName").unwrap_or_default()) {
        (f, Some(q)) if q != "$LATEST" => format!("{f}:{q}"),
        (f, _) => f.to_owned(),
    };
    let source = input.str("EventSourceArn").ok_or_else(|| {
        LambdaApiError::invalid(
            "Unrecognized event source, must be kinesis, dynamodb stream, sqs, msk or kafka",
        )
    })?;
    let queue = source.starts_with("arn:aws:sqs:");
    let starting_position = match input.str("StartingPosition") {
        Some("TRIM_HORIZON") => StartingPosition::TrimHorizon,
        Some("LATEST") => StartingPosition::Latest,
        Some(_) => {
            let ms = input.timestamp_ms("StartingPositionTimestamp").ok_or_else(|| {
                LambdaApiError::invalid(
                    "StartingPositionTimestamp must be set when StartingPosition is AT_TIMESTAMP.",
                )
            })?;
            StartingPosition::AtTimestamp(ms as f64 / 1000.0)
        }
        // SQS has no position: a queue is read from whatever it holds.
        None if queue => StartingPosition::TrimHorizon,
        None => {
            return Err(LambdaApiError::invalid(violation_text(
                "startingPosition",
                None,
                "Member must not be null.",
            )));
        }
    };
    let mut config = MappingConfig {
        event_source_arn: source.to_owned(),
        function_name: function,
        batch_size: if queue { 10 } else { 100 },
        maximum_batching_window_secs: 0,
        starting_position,
        enabled: true,
        maximum_retry_attempts: -1,
        maximum_record_age_secs: -1,
        bisect_batch_on_function_error: false,
        parallelization_factor: 1,
        report_batch_item_failures: false,
        on_failure: None,
    };
    apply(input, &mut config);
    let mut created = call.engine.create_mapping(config)?;
    created.state = "Creating".into();
    Ok(json(202, &documents::mapping(call.engine, &created)))
}
