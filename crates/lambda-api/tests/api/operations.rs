//! Every operation called through [`lambda_api::handle`] as the server calls it: routing,
//! validation with AWS's texts (from aws-wire), the service's own checks, the mapping of the
//! engine's errors to Lambda's codes and statuses, and the answers of the operations the SDK
//! test does not reach (versions, aliases, provisioned concurrency, event source mappings).
//!
//! No function runs here: the code is a zip whose `bootstrap` is never started.

use std::sync::Arc;

use aws_wire::{Reply, Request};
use base64::Engine as _;
use lambda_engine::{LambdaConfig, LambdaEngine};
use serde_json::{Value, json};

struct Api {
    engine: LambdaEngine,
    _dir: tempfile::TempDir,
}

impl Api {
    fn new() -> Api {
        let dir = tempfile::tempdir().expect("dir");
        let engine = LambdaEngine::new(
            LambdaConfig {
                code_root: dir.path().to_path_buf(),
                ..LambdaConfig::default()
            },
            Arc::new(metric_store::Store::new()),
        );
        Api { engine, _dir: dir }
    }

    async fn call(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let req = Request {
            method,
            path,
            query,
            headers,
            body: body.as_bytes(),
            request_id: "test",
        };
        lambda_api::handle(&self.engine, &req).await
    }

    /// Calls and returns the status and the JSON body (`null` when empty).
    async fn json(&self, method: &str, target: &str, body: Value) -> (u16, Value) {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let reply = self.call(method, target, &[], &body).await;
        let doc = if reply.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&reply.body).expect("JSON body")
        };
        (reply.status, doc)
    }

    async fn create(&self, name: &str) {
        let (status, doc) = self
            .json("POST", "/2015-03-31/functions", create_body(name))
            .await;
        assert_eq!(status, 201, "{doc}");
    }
}

fn create_body(name: &str) -> Value {
    let zip = function_zip::bootstrap_zip(b"#!/bin/sh\nexit 1\n").expect("zip");
    json!({
        "FunctionName": name,
        "Runtime": "provided.al2023",
        "Role": "arn:aws:iam::000000000000:role/lambda",
        "Code": {"ZipFile": base64::engine::general_purpose::STANDARD.encode(zip)},
    })
}

/// The error a reply carries: code (from the header), status and message.
fn error_of(reply: &Reply) -> (&'static str, u16, String) {
    let code = reply.error_code.expect("an error");
    let header = reply
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amzn-ErrorType"))
        .map(|(_, v)| v.as_str());
    assert_eq!(header, Some(code));
    let body: Value = serde_json::from_slice(&reply.body).expect("JSON error body");
    assert_eq!(
        body["Type"],
        if reply.status >= 500 {
            "Service"
        } else {
            "User"
        }
    );
    (
        code,
        reply.status,
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn error(api: &Api, method: &str, target: &str, body: Value) -> (&'static str, u16, String) {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let reply = api.call(method, target, &[], &body).await;
    let (code, status, message) = error_of(&reply);
    (code, status, message)
}

fn validation(message: &str) -> (&'static str, u16, String) {
    ("ValidationException", 400, message.to_owned())
}

#[tokio::test]
async fn schema_violations_get_aws_validation_texts() {
    let api = Api::new();
    let mut body = create_body("f");
    body["MemorySize"] = json!(100);
    body["Timeout"] = json!(0);
    assert_eq!(
        error(&api, "POST", "/2015-03-31/functions", body).await,
        validation(
            "2 validation errors detected: Value '0' at 'timeout' failed to satisfy constraint: \
             Member must have value greater than or equal to 1; Value '100' at 'memorySize' \
             failed to satisfy constraint: Member must have value greater than or equal to 128"
        )
    );
    let mut body = create_body("f");
    body["Role"] = json!("r1");
    assert_eq!(
        error(&api, "POST", "/2015-03-31/functions", body).await,
        validation(
            r"1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
        )
    );
    assert_eq!(
        error(
            &api,
            "POST",
            "/2015-03-31/functions",
            json!({"FunctionName": "f"})
        )
        .await,
        validation(
            "2 validation errors detected: Value null at 'role' failed to satisfy constraint: \
             Member must not be null; Value null at 'code' failed to satisfy constraint: Member \
             must not be null"
        )
    );
    let mut body = create_body("invalid:function:name");
    body["Architectures"] = json!(["x86_64", "arm64"]);
    assert_eq!(
        error(&api, "POST", "/2015-03-31/functions", body).await,
        validation(
            r"2 validation errors detected: Value 'invalid:function:name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?; Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1"
        )
    );
}

#[tokio::test]
async fn members_from_the_path_query_and_headers_are_validated_too() {
    let api = Api::new();
    assert_eq!(
        error(
            &api,
            "GET",
            "/2015-03-31/functions/f?Qualifier=invalid-qualifier-with-%3F-char",
            Value::Null
        )
        .await,
        validation(
            r"1 validation error detected: Value 'invalid-qualifier-with-?-char' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+"
        )
    );
    assert_eq!(
        error(
            &api,
            "DELETE",
            "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af",
            Value::Null
        )
        .await,
        validation(
            "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: \
             Member must not be null"
        )
    );
    assert_eq!(
        error(
            &api,
            "GET",
            "/2015-03-31/functions/?MaxItems=0",
            Value::Null
        )
        .await,
        validation(
            "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: \
             Member must have value greater than or equal to 1"
        )
    );
    let reply = api
        .call(
            "POST",
            "/2015-03-31/functions/f/invocations",
            &[
                ("x-amz-invocation-type", "Later"),
                ("x-amz-log-type", "All"),
            ],
            "{}",
        )
        .await;
    assert_eq!(
        error_of(&reply),
        validation(
            "2 validation errors detected: Value 'Later' at 'invocationType' failed to satisfy \
             constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]; \
             Value 'All' at 'logType' failed to satisfy constraint: Member must satisfy enum \
             value set: [None, Tail]"
        )
    );
    assert_eq!(
        error(
            &api,
            "PUT",
            "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=live",
            json!({"ProvisionedConcurrentExecutions": 0})
        )
        .await,
        validation(
            "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed \
             to satisfy constraint: Member must have value greater than or equal to 1"
        )
    );
    assert_eq!(
        error(
            &api,
            "POST",
            "/2015-03-31/functions/f/aliases",
            json!({"Name": "2024", "FunctionVersion": "1"})
        )
        .await,
        validation(
            "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )
    );
    assert_eq!(
        error(
            &api,
            "POST",
            "/2015-03-31/event-source-mappings/",
            json!({
                "FunctionName": "f",
                "EventSourceArn": "arn:aws:kinesis:us-east-1:000000000000:stream/s",
                "StartingPosition": "invalid",
            })
        )
        .await,
        validation(
            "1 validation error detected: Value 'invalid' at 'startingPosition' failed to \
             satisfy constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, \
             TRIM_HORIZON]"
        )
    );
    let (code, status, message) = error(
        &api,
        "GET",
        "/2015-03-31/functions/?MaxItems=ten",
        Value::Null,
    )
    .await;
    assert_eq!((code, status), ("SerializationException", 400), "{message}");
}

#[tokio::test]
async fn the_service_own_checks_are_invalid_parameter_values() {
    let api = Api::new();
    let long = "a".repeat(65);
    assert_eq!(
        error(&api, "POST", "/2015-03-31/functions", create_body(&long)).await,
        (
            "InvalidParameterValueException",
            400,
            format!(
                "1 validation error detected: Value '{long}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64"
            )
        )
    );
    assert_eq!(
        error(
            &api,
            "POST",
            "/2015-03-31/event-source-mappings",
            json!({
                "FunctionName": "f",
                "EventSourceArn": "arn:aws:kinesis:us-east-1:000000000000:stream/s",
            })
        )
        .await,
        (
            "InvalidParameterValueException",
            400,
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy \
             constraint: Member must not be null."
                .to_owned()
        )
    );
    let mut body = create_body("f");
    body["Runtime"] = json!("cobol");
    let (code, status, _) = error(&api, "POST", "/2015-03-31/functions", body).await;
    assert_eq!((code, status), ("InvalidParameterValueException", 400));
    let mut body = create_body("f");
    body["Timeout"] = json!(901);
    let (code, status, _) = error(&api, "POST", "/2015-03-31/functions", body).await;
    assert_eq!((code, status), ("InvalidParameterValueException", 400));
    let reply = api
        .call(
            "POST",
            "/2015-03-31/functions/f/invocations",
            &[],
            "not json",
        )
        .await;
    assert_eq!(error_of(&reply).0, "InvalidRequestContentException");
}

#[tokio::test]
async fn engine_errors_carry_lambda_codes_and_statuses() {
    let api = Api::new();
    let (code, status, message) =
        error(&api, "GET", "/2015-03-31/functions/nope", Value::Null).await;
    assert_eq!((code, status), ("ResourceNotFoundException", 404));
    assert!(message.starts_with("Function not found: "), "{message}");
    api.create("f").await;
    let (code, status, _) = error(&api, "POST", "/2015-03-31/functions", create_body("f")).await;
    assert_eq!((code, status), ("ResourceConflictException", 409));
    let (code, status, _) = error(
        &api,
        "GET",
        "/2015-03-31/event-source-mappings/00000000-0000-0000-0000-000000000000",
        Value::Null,
    )
    .await;
    assert_eq!((code, status), ("ResourceNotFoundException", 404));
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let api = Api::new();
    let reply = api.call("GET", "/2015-03-31/nothing", &[], "").await;
    assert_eq!(error_of(&reply).0, "UnknownOperationException");
    assert_eq!(reply.status, 404);
    let reply = api.call("PATCH", "/2015-03-31/functions/f", &[], "").await;
    assert_eq!((reply.status, reply.body.len()), (405, 0));
    assert!(lambda_api::is_lambda_path(
        "/2015-03-31/functions/f/invocations"
    ));
    assert!(!lambda_api::is_lambda_path("/"));
}

#[tokio::test]
async fn versions_aliases_and_qualified_reads() {
    let api = Api::new();
    api.create("f").await;
    let (status, v1) = api
        .json(
            "POST",
            "/2015-03-31/functions/f/versions",
            json!({"Description": "first"}),
        )
        .await;
    assert_eq!((status, v1["Version"].as_str()), (201, Some("1")), "{v1}");
    let (status, versions) = api
        .json("GET", "/2015-03-31/functions/f/versions", Value::Null)
        .await;
    assert_eq!(status, 200);
    assert!(
        versions["Versions"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
    );

    let (status, alias) = api
        .json(
            "POST",
            "/2015-03-31/functions/f/aliases",
            json!({"Name": "live", "FunctionVersion": "1"}),
        )
        .await;
    assert_eq!(status, 201, "{alias}");
    assert_eq!(
        alias["AliasArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:f:live"
    );
    let (status, got) = api
        .json("GET", "/2015-03-31/functions/f/aliases/live", Value::Null)
        .await;
    assert_eq!((status, &got["FunctionVersion"]), (200, &json!("1")));
    let (status, updated) = api
        .json(
            "PUT",
            "/2015-03-31/functions/f/aliases/live",
            json!({"Description": "d"}),
        )
        .await;
    assert_eq!((status, &updated["Description"]), (200, &json!("d")));
    let (status, list) = api
        .json("GET", "/2015-03-31/functions/f/aliases", Value::Null)
        .await;
    assert_eq!(
        (status, list["Aliases"].as_array().map(Vec::len)),
        (200, Some(1))
    );

    // The alias by qualifier, in the path and in the query.
    for target in [
        "/2015-03-31/functions/f%3Alive/configuration",
        "/2015-03-31/functions/f/configuration?Qualifier=live",
    ] {
        let (status, config) = api.json("GET", target, Value::Null).await;
        assert_eq!((status, &config["Version"]), (200, &json!("1")), "{target}");
    }
    // Operations on the function itself refuse another qualifier.
    let (code, status, _) = error(
        &api,
        "DELETE",
        "/2015-03-31/functions/f%3Alive",
        Value::Null,
    )
    .await;
    assert_eq!((code, status), ("InvalidParameterValueException", 400));

    // Setting provisioned concurrency would start the function, so only the reads here.
    let (code, status, _) = error(
        &api,
        "GET",
        "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1",
        Value::Null,
    )
    .await;
    assert_eq!((code, status), ("ResourceNotFoundException", 404));
    let (code, status, _) = error(
        &api,
        "GET",
        "/2019-09-30/functions/f/provisioned-concurrency",
        Value::Null,
    )
    .await;
    assert_eq!((code, status), ("ValidationException", 400));

    let (status, _) = api
        .json(
            "DELETE",
            "/2015-03-31/functions/f/aliases/live",
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn event_source_mappings() {
    let api = Api::new();
    api.create("f").await;
    let stream = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    let (status, created) = api
        .json(
            "POST",
            "/2015-03-31/event-source-mappings/",
            json!({
                "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f",
                "EventSourceArn": stream,
                "StartingPosition": "AT_TIMESTAMP",
                "StartingPositionTimestamp": 1_700_000_000.5,
                "Enabled": false,
                "BatchSize": 50,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}},
            }),
        )
        .await;
    assert_eq!(status, 202, "{created}");
    assert_eq!(created["State"], "Creating");
    assert_eq!(created["BatchSize"], 50);
    assert_eq!(created["StartingPosition"], "AT_TIMESTAMP");
    assert_eq!(created["StartingPositionTimestamp"], 1_700_000_000.5);
    assert_eq!(
        created["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(
        created["DestinationConfig"]["OnFailure"]["Destination"],
        "arn:aws:sqs:us-east-1:000000000000:dlq"
    );
    let uuid = created["UUID"].as_str().expect("uuid").to_owned();
    let one = format!("/2015-03-31/event-source-mappings/{uuid}");

    let (status, got) = api.json("GET", &one, Value::Null).await;
    assert_eq!((status, &got["UUID"]), (200, &json!(uuid)));
    let (status, list) = api
        .json(
            "GET",
            "/2015-03-31/event-source-mappings/?FunctionName=f&MaxItems=10",
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        list["EventSourceMappings"].as_array().map(Vec::len),
        Some(1)
    );
    let (status, updated) = api.json("PUT", &one, json!({"BatchSize": 7})).await;
    assert_eq!((status, &updated["BatchSize"]), (202, &json!(7)));
    let (code, status, message) = error(&api, "PUT", &one, json!({"BatchSize": 10_001})).await;
    assert_eq!((code, status), ("ValidationException", 400), "{message}");
    let (status, _) = api.json("DELETE", &one, Value::Null).await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn tags_and_concurrency_by_arn_and_name() {
    let api = Api::new();
    api.create("f").await;
    let arn = "/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:f";
    let (status, _) = api
        .json(
            "POST",
            arn,
            json!({"Tags": {"cost center": "42", "team": "a"}}),
        )
        .await;
    assert_eq!(status, 204);
    let reply = api
        .call("DELETE", &format!("{arn}?tagKeys=cost%20center"), &[], "")
        .await;
    assert_eq!(reply.status, 204);
    let (status, tags) = api.json("GET", arn, Value::Null).await;
    assert_eq!((status, tags["Tags"].clone()), (200, json!({"team": "a"})));
    let (code, _, message) = error(
        &api,
        "GET",
        "/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:f:1",
        Value::Null,
    )
    .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert!(message.starts_with("Tags on function aliases and versions are not supported"));

    let (status, _) = api
        .json(
            "PUT",
            "/2017-10-31/functions/f/concurrency",
            json!({"ReservedConcurrentExecutions": 3}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, got) = api
        .json("GET", "/2019-09-30/functions/f/concurrency", Value::Null)
        .await;
    assert_eq!(got, json!({"ReservedConcurrentExecutions": 3}));
    let (status, settings) = api
        .json("GET", "/2016-08-19/account-settings/", Value::Null)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        settings["AccountLimit"]["UnreservedConcurrentExecutions"],
        997
    );
}
