//! The JSON documents Lambda answers with: a function's configuration, an alias, an event
//! source mapping, asynchronous invocation settings, provisioned concurrency.

use lambda_engine::async_invoke::EventInvokeConfig;
use lambda_engine::esm::{Mapping, StartingPosition};
use lambda_engine::versions::{Alias, ProvisionedConfig};
use lambda_engine::{FunctionConfig, LambdaEngine};
use serde_json::{Value, json};

/// The `FunctionConfiguration` document.
pub(crate) fn configuration(engine: &LambdaEngine, c: &FunctionConfig) -> Value {
    let mut doc = json!({
        "FunctionName": c.name,
        "FunctionArn": if c.version == lambda_engine::function::LATEST {
            engine.function_arn(&c.name)
        } else {
            format!("{}:{}", engine.function_arn(&c.name), c.version)
        },
        "Runtime": c.runtime,
        "Role": c.role,
        "Handler": c.handler,
        "CodeSize": c.code_size,
        "Description": c.description,
        "Timeout": c.timeout_secs,
        "MemorySize": c.memory_mb,
        "LastModified": c.last_modified,
        "CodeSha256": c.code_sha256,
        "Version": c.version,
        "Environment": {"Variables": c.environment},
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": c.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": c.architectures,
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": format!("/aws/lambda/{}", c.name)},
    });
    if let Some(target) = &c.dead_letter_target {
        doc["DeadLetterConfig"] = json!({"TargetArn": target});
    }
    doc
}

/// The `AliasConfiguration` document.
pub(crate) fn alias(engine: &LambdaEngine, function: &str, a: &Alias) -> Value {
    json!({
        "AliasArn": format!("{}:{}", engine.function_arn(function), a.name),
        "Name": a.name,
        "FunctionVersion": a.function_version,
        "Description": a.description,
        "RevisionId": a.revision_id,
    })
}

/// The provisioned concurrency configuration document.
pub(crate) fn provisioned(p: &ProvisionedConfig) -> Value {
    json!({
        "RequestedProvisionedConcurrentExecutions": p.requested,
        "AvailableProvisionedConcurrentExecutions": p.available,
        "AllocatedProvisionedConcurrentExecutions": p.allocated,
        "Status": p.status,
        "LastModified": p.last_modified,
    })
}

/// The `FunctionEventInvokeConfig` document.
pub(crate) fn event_invoke(engine: &LambdaEngine, name: &str, c: &EventInvokeConfig) -> Value {
    let destination = |d: &Option<String>| match d {
        Some(d) => json!({"Destination": d}),
        None => json!({}),
    };
    json!({
        "LastModified": c.last_modified,
        "FunctionArn": format!("{}:$LATEST", engine.function_arn(name)),
        "MaximumRetryAttempts": c.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": c.maximum_event_age_secs,
        "DestinationConfig": {
            "OnSuccess": destination(&c.on_success),
            "OnFailure": destination(&c.on_failure),
        },
    })
}

/// The `EventSourceMappingConfiguration` document.
pub(crate) fn mapping(engine: &LambdaEngine, m: &Mapping) -> Value {
    let c = &m.config;
    let mut out = json!({
        "UUID": m.uuid,
        "EventSourceMappingArn": format!(
            "arn:aws:lambda:{}:{}:event-source-mapping:{}",
            engine.config().region,
            engine.config().account_id,
            m.uuid
        ),
        "BatchSize": c.batch_size,
        "MaximumBatchingWindowInSeconds": c.maximum_batching_window_secs,
        "ParallelizationFactor": c.parallelization_factor,
        "EventSourceArn": c.event_source_arn,
        "FunctionArn": engine.function_arn(&c.function_name),
        "LastModified": m.last_modified,
        "LastProcessingResult": m.last_processing_result,
        "State": m.state,
        "StateTransitionReason": "User action",
        "DestinationConfig": match &c.on_failure {
            Some(d) => json!({"OnFailure": {"Destination": d}}),
            None => json!({"OnFailure": {}}),
        },
        "MaximumRecordAgeInSeconds": c.maximum_record_age_secs,
        "BisectBatchOnFunctionError": c.bisect_batch_on_function_error,
        "MaximumRetryAttempts": c.maximum_retry_attempts,
        "TumblingWindowInSeconds": 0,
        "FunctionResponseTypes": if c.report_batch_item_failures {
            vec!["ReportBatchItemFailures"]
        } else {
            Vec::new()
        },
    });
    if c.event_source_arn.starts_with("arn:aws:sqs:") {
        // A queue's mapping has none of the stream settings.
        if let Some(o) = out.as_object_mut() {
            for key in [
                "ParallelizationFactor",
                "DestinationConfig",
                "MaximumRecordAgeInSeconds",
                "BisectBatchOnFunctionError",
                "MaximumRetryAttempts",
                "TumblingWindowInSeconds",
            ] {
                o.remove(key);
            }
        }
        return out;
    }
    match c.starting_position {
        StartingPosition::TrimHorizon => out["StartingPosition"] = json!("TRIM_HORIZON"),
        StartingPosition::Latest => out["StartingPosition"] = json!("LATEST"),
        StartingPosition::AtTimestamp(t) => {
            out["StartingPosition"] = json!("AT_TIMESTAMP");
            out["StartingPositionTimestamp"] = json!(t);
        }
    }
    out
}
