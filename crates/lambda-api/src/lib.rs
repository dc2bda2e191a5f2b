//! The AWS Lambda API (REST JSON) over [`lambda_engine`]: the routes the AWS SDKs and the
//! AWS CLI call, with Lambda's JSON shapes, status codes and errors (`x-amzn-ErrorType`
//! header, `{"Type": "User", "message": ...}` body).
//!
//! Served: CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
//! UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, Invoke (RequestResponse,
//! Event, DryRun; `X-Amz-Function-Error`; `LogType: Tail`), Put/Get/DeleteFunctionConcurrency,
//! TagResource, UntagResource, ListTags, GetAccountSettings,
//! Put/Update/Get/DeleteFunctionEventInvokeConfig, and
//! Create/Get/List/Update/DeleteEventSourceMapping for Kinesis streams. Code is uploaded inline
//! (`Code.ZipFile`); S3 and container images are refused with the error Lambda gives for an
//! invalid parameter. Functions are addressed by name, ARN or partial ARN.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use lambda_engine::async_invoke::EventInvokeConfig;
use lambda_engine::esm::{Mapping, MappingConfig, StartingPosition};
use lambda_engine::{FunctionConfig, LambdaEngine, LambdaError};
use serde_json::{Map, Value, json};

/// The largest request accepted: a 50 MB zip (Lambda's limit for a direct upload) in base64,
/// with room for the rest of the JSON.
pub const MAX_REQUEST_BYTES: usize = 70 * 1024 * 1024;

/// The Lambda routes, ready to merge into the engine's router.
pub fn router(engine: LambdaEngine) -> Router {
    let collections = [
        (
            "/2015-03-31/functions",
            post(create_function).get(list_functions),
        ),
        (
            "/2015-03-31/event-source-mappings",
            post(create_mapping).get(list_mappings),
        ),
        ("/2016-08-19/account-settings", get(account_settings)),
    ];
    let mut router = Router::new();
    // The SDKs send these with a trailing slash; other clients may not.
    for (path, methods) in collections {
        router = router
            .route(path, methods.clone())
            .route(&format!("{path}/"), methods);
    }
    router
        .route(
            "/2015-03-31/functions/{name}",
            get(get_function).delete(delete_function),
        )
        .route(
            "/2015-03-31/functions/{name}/configuration",
            get(get_configuration).put(update_configuration),
        )
        .route("/2015-03-31/functions/{name}/code", put(update_code))
        .route(
            "/2015-03-31/functions/{name}/versions",
            post(publish_version).get(list_versions),
        )
        .route(
            "/2015-03-31/functions/{name}/aliases",
            post(create_alias).get(list_aliases),
        )
        .route(
            "/2015-03-31/functions/{name}/aliases/{alias}",
            get(get_alias).put(update_alias).delete(delete_alias),
        )
        .route(
            "/2019-09-30/functions/{name}/provisioned-concurrency",
            put(put_provisioned)
                .get(get_provisioned)
                .delete(delete_provisioned),
        )
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .route(
            "/2017-10-31/functions/{name}/concurrency",
            put(put_concurrency).delete(delete_concurrency),
        )
        .route(
            "/2019-09-30/functions/{name}/concurrency",
            get(get_concurrency),
        )
        .route(
            "/2017-03-31/tags/{arn}",
            get(list_tags).post(tag_resource).delete(untag_resource),
        )
        .route(
            "/2015-03-31/event-source-mappings/{uuid}",
            get(get_mapping).put(update_mapping).delete(delete_mapping),
        )
        .route(
            "/2019-09-25/functions/{name}/event-invoke-config",
            put(put_event_invoke_config)
                .post(update_event_invoke_config)
                .get(get_event_invoke_config)
                .delete(delete_event_invoke_config),
        )
        // A 50 MB zip in base64, in JSON.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(engine)
}

/// An error as Lambda writes it.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    reason: Option<&'static str>,
}

impl ApiError {
    fn invalid(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "InvalidParameterValueException",
            message: message.into(),
            reason: None,
        }
    }
}

impl From<LambdaError> for ApiError {
    fn from(e: LambdaError) -> ApiError {
        let message = e.to_string();
        let (status, code, reason) = match e {
            LambdaError::NotFound(_) => (StatusCode::NOT_FOUND, "ResourceNotFoundException", None),
            LambdaError::Exists(_) => (StatusCode::CONFLICT, "ResourceConflictException", None),
            LambdaError::InvalidParameter(_) => (
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                None,
            ),
            LambdaError::Throttled { reason } => (
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                Some(reason),
            ),
            LambdaError::RequestTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                None,
            ),
            LambdaError::Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, "ServiceException", None),
        };
        ApiError {
            status,
            code,
            message,
            reason,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"Type": "User", "message": self.message});
        if let Some(reason) = self.reason {
            body["Reason"] = Value::from(reason);
        }
        if self.status.is_server_error() {
            body["Type"] = Value::from("Service");
        }
        let mut resp = (self.status, body.to_string()).into_response();
        let headers = resp.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        if self.reason.is_some() {
            headers.insert("retry-after", HeaderValue::from_static("1"));
        }
        resp
    }
}

type ApiResult = Result<Response, ApiError>;

fn ok_json(status: StatusCode, body: Value) -> ApiResult {
    Ok((
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response())
}

/// A function reference from a path segment: the name, `name:qualifier`,
/// `arn:aws:lambda:region:account:function:name[:qualifier]` or
/// `account:function:name[:qualifier]`.
fn function_ref(raw: &str) -> Result<(String, Option<String>), ApiError> {
    let parts: Vec<&str> = raw.split(':').collect();
    let (name, qualifier) = match parts.as_slice() {
        [name] => (*name, None),
        [name, qualifier] => (*name, Some(*qualifier)),
        ["arn", _, "lambda", _, _, "function", name] => (*name, None),
        ["arn", _, "lambda", _, _, "function", name, qualifier] => (*name, Some(*qualifier)),
        [_, "function", name] => (*name, None),
        [_, "function", name, qualifier] => (*name, Some(*qualifier)),
        _ => {
            return Err(ApiError::invalid(format!(
                "1 validation error detected: Value '{raw}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
            )));
        }
    };
    Ok((name.to_string(), qualifier.map(str::to_string)))
}

/// A function name for operations on the function itself (a `$LATEST` qualifier is allowed).
fn function_name(raw: &str) -> Result<String, ApiError> {
    let (name, qualifier) = function_ref(raw)?;
    match qualifier.as_deref() {
        None | Some("$LATEST") => Ok(name),
        Some(q) => Err(ApiError::invalid(format!(
            "Unsupported qualifier {q} for this operation: use the unqualified function name"
        ))),
    }
}

/// A function and its qualifier, from the path or the `Qualifier` query parameter.
fn qualified(raw: &str, query: Option<&str>) -> Result<(String, Option<String>), ApiError> {
    let (name, in_path) = function_ref(raw)?;
    let in_query = query_params(query).remove("Qualifier");
    Ok((name, in_path.or(in_query)))
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ApiError::invalid("Could not parse request body into json")),
    }
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn u32_field(body: &Map<String, Value>, key: &str) -> Result<Option<u32>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid(format!("{key} must be a non-negative integer"))),
    }
}

fn zip_of(code: &Map<String, Value>) -> Result<Vec<u8>, ApiError> {
    if code.contains_key("S3Bucket") || code.contains_key("ImageUri") {
        return Err(ApiError::invalid(
            "Code from S3 or a container image is not served by this engine: upload Code.ZipFile",
        ));
    }
    let text = code
        .get("ZipFile")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("Please provide a source for function code."))?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| {
            ApiError::invalid(
                "Could not unzip uploaded file. Please check your file, then try to upload again.",
            )
        })
}

/// The FunctionConfiguration document.
fn configuration(engine: &LambdaEngine, c: &FunctionConfig) -> Value {
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

/// `DeadLetterConfig.TargetArn` of a request: `Some(None)` when it is given empty (removed).
fn dead_letter_target(body: &serde_json::Map<String, Value>) -> Option<Option<String>> {
    let target = body.get("DeadLetterConfig")?.get("TargetArn");
    Some(
        target
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
    )
}

async fn create_function(State(engine): State<LambdaEngine>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    let name = text("FunctionName")
        .ok_or_else(|| ApiError::invalid("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null"))?;
    let name = function_name(&name)?;
    if body.get("PackageType").and_then(Value::as_str) == Some("Image") {
        return Err(ApiError::invalid(
            "Container images are not served by this engine: use PackageType Zip",
        ));
    }
    let runtime = text("Runtime").ok_or_else(|| {
        ApiError::invalid("The Runtime parameter must be set for a .zip file package type.")
    })?;
    let role = text("Role").ok_or_else(|| {
        ApiError::invalid("1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null")
    })?;
    let handler = text("Handler").unwrap_or_else(|| "bootstrap".into());
    let code = body
        .get("Code")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::invalid("1 validation error detected: Value null at 'code' failed to satisfy constraint: Member must not be null"))?;
    let zip = zip_of(code)?;
    let architectures = body
        .get("Architectures")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_else(|| vec!["x86_64".to_string()]);
    let config = FunctionConfig {
        name,
        runtime,
        handler,
        role,
        timeout_secs: u32_field(&body, "Timeout")?.unwrap_or(3),
        memory_mb: u32_field(&body, "MemorySize")?.unwrap_or(128),
        environment: string_map(body.get("Environment").and_then(|e| e.get("Variables"))),
        description: text("Description").unwrap_or_default(),
        architectures,
        code_sha256: String::new(),
        code_size: 0,
        last_modified: String::new(),
        revision_id: String::new(),
        dead_letter_target: dead_letter_target(&body).flatten(),
        version: lambda_engine::function::LATEST.into(),
    };
    let tags = string_map(body.get("Tags"));
    let created = engine.create_function(config, &zip, tags)?;
    ok_json(StatusCode::CREATED, configuration(&engine, &created))
}

async fn list_functions(
    State(engine): State<LambdaEngine>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let params = query_params(query.as_deref());
    let max = match params.get("MaxItems") {
        None => 50,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| ApiError::invalid("MaxItems must be between 1 and 10000"))?,
    };
    let all = engine.list_functions();
    let start = match params.get("Marker") {
        None => 0,
        Some(m) => all
            .iter()
            .position(|c| c.name.as_str() > m.as_str())
            .unwrap_or(all.len()),
    };
    let page: Vec<&FunctionConfig> = all.iter().skip(start).take(max).collect();
    let mut out = json!({
        "Functions": page.iter().map(|c| configuration(&engine, c)).collect::<Vec<_>>(),
    });
    if start + page.len() < all.len()
        && let Some(last) = page.last()
    {
        out["NextMarker"] = Value::from(last.name.clone());
    }
    ok_json(StatusCode::OK, out)
}

async fn get_function(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let (name, qualifier) = qualified(&raw, query.as_deref())?;
    let config = engine.get_function_qualified(&name, qualifier.as_deref())?;
    let mut out = json!({
        "Configuration": configuration(&engine, &config),
        "Code": {"RepositoryType": "S3", "Location": format!("file:///{name}.zip")},
        "Tags": engine.tags(&name)?,
    });
    if let Some(n) = engine.get_concurrency(&name)? {
        out["Concurrency"] = json!({"ReservedConcurrentExecutions": n});
    }
    ok_json(StatusCode::OK, out)
}

async fn get_configuration(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let (name, qualifier) = qualified(&raw, query.as_deref())?;
    let config = engine.get_function_qualified(&name, qualifier.as_deref())?;
    ok_json(StatusCode::OK, configuration(&engine, &config))
}

async fn delete_function(State(engine): State<LambdaEngine>, Path(raw): Path<String>) -> ApiResult {
    let name = function_name(&raw)?;
    engine.delete_function(&name)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn update_code(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = function_name(&raw)?;
    let body = parse_body(&body)?;
    let zip = zip_of(&body)?;
    let config = engine.update_code(&name, &zip)?;
    ok_json(StatusCode::OK, configuration(&engine, &config))
}

/// Replaces `slot` with the value the request gave, if it gave one.
fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

async fn update_configuration(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = function_name(&raw)?;
    let body = parse_body(&body)?;
    let timeout = u32_field(&body, "Timeout")?;
    let memory = u32_field(&body, "MemorySize")?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    let (handler, runtime, role, description) = (
        text("Handler"),
        text("Runtime"),
        text("Role"),
        text("Description"),
    );
    let environment = body
        .get("Environment")
        .map(|e| string_map(e.get("Variables")));
    let dead_letter = dead_letter_target(&body);
    let config = engine.update_config(&name, |c| {
        set(&mut c.timeout_secs, timeout);
        set(&mut c.memory_mb, memory);
        set(&mut c.handler, handler);
        set(&mut c.runtime, runtime);
        set(&mut c.role, role);
        set(&mut c.description, description);
        set(&mut c.environment, environment);
        set(&mut c.dead_letter_target, dead_letter);
    })?;
    ok_json(StatusCode::OK, configuration(&engine, &config))
}

async fn invoke(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let (base, qualifier) = qualified(&raw, query.as_deref())?;
    // The engine takes a qualified name as `name:qualifier`.
    let name = match &qualifier {
        Some(q) => format!("{base}:{q}"),
        None => base.clone(),
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let invocation_type = header("x-amz-invocation-type").unwrap_or("RequestResponse");
    let tail = match header("x-amz-log-type").unwrap_or("None") {
        "None" => false,
        "Tail" => true,
        other => {
            return Err(ApiError::invalid(format!(
                "1 validation error detected: Value '{other}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]"
            )));
        }
    };
    if !body.is_empty() && serde_json::from_slice::<Value>(&body).is_err() {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "InvalidRequestContentException",
            message: "Could not parse request body into json: Could not parse payload into json"
                .into(),
            reason: None,
        });
    }
    match invocation_type {
        "DryRun" => {
            engine.get_function_qualified(&base, qualifier.as_deref())?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        "Event" => {
            let request_id = engine.invoke_event(&name, body)?;
            let mut resp = StatusCode::ACCEPTED.into_response();
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                resp.headers_mut().insert("x-amzn-requestid", v);
            }
            Ok(resp)
        }
        "RequestResponse" => {
            let invoked = engine.invoke(&name, body).await?;
            let mut resp = (StatusCode::OK, invoked.payload).into_response();
            let headers = resp.headers_mut();
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            if let Ok(v) = HeaderValue::from_str(&invoked.executed_version) {
                headers.insert("x-amz-executed-version", v);
            }
            if let Some(e) = &invoked.function_error
                && let Ok(v) = HeaderValue::from_str(e)
            {
                headers.insert("x-amz-function-error", v);
            }
            if tail {
                // The last 4 KB of the invocation's log, base64.
                let log = invoked.log.as_bytes();
                let tail = &log[log.len().saturating_sub(4096)..];
                let encoded = base64::engine::general_purpose::STANDARD.encode(tail);
                if let Ok(v) = HeaderValue::from_str(&encoded) {
                    headers.insert("x-amz-log-result", v);
                }
            }
            Ok(resp)
        }
        other => Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
        ))),
    }
}

async fn put_concurrency(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = function_name(&raw)?;
    let body = parse_body(&body)?;
    let n = u32_field(&body, "ReservedConcurrentExecutions")?.ok_or_else(|| {
        ApiError::invalid("1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
    })?;
    engine.put_concurrency(&name, Some(n))?;
    ok_json(StatusCode::OK, json!({"ReservedConcurrentExecutions": n}))
}

async fn get_concurrency(State(engine): State<LambdaEngine>, Path(raw): Path<String>) -> ApiResult {
    let name = function_name(&raw)?;
    match engine.get_concurrency(&name)? {
        Some(n) => ok_json(StatusCode::OK, json!({"ReservedConcurrentExecutions": n})),
        None => ok_json(StatusCode::OK, json!({})),
    }
}

async fn delete_concurrency(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
) -> ApiResult {
    let name = function_name(&raw)?;
    engine.put_concurrency(&name, None)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_tags(State(engine): State<LambdaEngine>, Path(arn): Path<String>) -> ApiResult {
    let name = function_name(&arn)?;
    ok_json(StatusCode::OK, json!({"Tags": engine.tags(&name)?}))
}

async fn tag_resource(
    State(engine): State<LambdaEngine>,
    Path(arn): Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = function_name(&arn)?;
    let body = parse_body(&body)?;
    engine.tag(&name, string_map(body.get("Tags")))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn untag_resource(
    State(engine): State<LambdaEngine>,
    Path(arn): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let name = function_name(&arn)?;
    let keys: Vec<String> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.strip_prefix("tagKeys="))
        .map(percent_decode)
        .collect();
    engine.untag(&name, &keys)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The query's parameters (the last value of a repeated name wins).
fn query_params(query: Option<&str>) -> BTreeMap<String, String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
}

/// Decodes `%XX` escapes (and `+` as space) of a query value.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn event_invoke_json(engine: &LambdaEngine, name: &str, c: &EventInvokeConfig) -> Value {
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

/// Applies the settings in `body` to `c`.
fn apply_event_invoke(
    body: &Map<String, Value>,
    c: &mut EventInvokeConfig,
) -> Result<(), ApiError> {
    set(
        &mut c.maximum_retry_attempts,
        u32_field(body, "MaximumRetryAttempts")?,
    );
    set(
        &mut c.maximum_event_age_secs,
        u32_field(body, "MaximumEventAgeInSeconds")?,
    );
    if let Some(d) = body.get("DestinationConfig") {
        let of = |k: &str| {
            d.get(k)
                .and_then(|o| o.get("Destination"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        c.on_success = of("OnSuccess");
        c.on_failure = of("OnFailure");
    }
    Ok(())
}

async fn put_event_invoke_config(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = function_name(&raw)?;
    let body = parse_body(&body)?;
    // Put replaces: what the request leaves out takes its default.
    let mut config = EventInvokeConfig::default();
    apply_event_invoke(&body, &mut config)?;
    let saved = engine.put_event_invoke_config(&name, config)?;
    ok_json(StatusCode::OK, event_invoke_json(&engine, &name, &saved))
}

async fn update_event_invoke_config(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = function_name(&raw)?;
    let body = parse_body(&body)?;
    // Update keeps what the request leaves out.
    let mut config = engine.get_event_invoke_config(&name).unwrap_or_default();
    apply_event_invoke(&body, &mut config)?;
    let saved = engine.put_event_invoke_config(&name, config)?;
    ok_json(StatusCode::OK, event_invoke_json(&engine, &name, &saved))
}

async fn get_event_invoke_config(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
) -> ApiResult {
    let name = function_name(&raw)?;
    let config = engine.get_event_invoke_config(&name)?;
    ok_json(StatusCode::OK, event_invoke_json(&engine, &name, &config))
}

async fn delete_event_invoke_config(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
) -> ApiResult {
    let name = function_name(&raw)?;
    engine.delete_event_invoke_config(&name)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The EventSourceMappingConfiguration document.
fn mapping_json(engine: &LambdaEngine, m: &Mapping) -> Value {
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

fn i64_field(body: &Map<String, Value>, key: &str) -> Result<Option<i64>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::invalid(format!("{key} must be an integer"))),
    }
}

/// Applies the settings present in `body` to `c` (creation and update share them).
fn apply_mapping_settings(
    body: &Map<String, Value>,
    c: &mut MappingConfig,
) -> Result<(), ApiError> {
    if let Some(n) = u32_field(body, "BatchSize")? {
        c.batch_size = n;
    }
    if let Some(n) = u32_field(body, "MaximumBatchingWindowInSeconds")? {
        c.maximum_batching_window_secs = n;
    }
    if let Some(n) = u32_field(body, "ParallelizationFactor")? {
        c.parallelization_factor = n;
    }
    if let Some(n) = i64_field(body, "MaximumRetryAttempts")? {
        c.maximum_retry_attempts = n;
    }
    if let Some(n) = i64_field(body, "MaximumRecordAgeInSeconds")? {
        c.maximum_record_age_secs = n;
    }
    if let Some(b) = body
        .get("BisectBatchOnFunctionError")
        .and_then(Value::as_bool)
    {
        c.bisect_batch_on_function_error = b;
    }
    if let Some(b) = body.get("Enabled").and_then(Value::as_bool) {
        c.enabled = b;
    }
    if let Some(types) = body.get("FunctionResponseTypes").and_then(Value::as_array) {
        c.report_batch_item_failures = false;
        for t in types {
            match t.as_str() {
                Some("ReportBatchItemFailures") => c.report_batch_item_failures = true,
                other => {
                    return Err(ApiError::invalid(format!(
                        "1 validation error detected: Value '[{}]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy enum value set: [ReportBatchItemFailures]",
                        other.unwrap_or_default()
                    )));
                }
            }
        }
    }
    if let Some(d) = body.get("DestinationConfig") {
        c.on_failure = d
            .get("OnFailure")
            .and_then(|o| o.get("Destination"))
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    Ok(())
}

async fn create_mapping(State(engine): State<LambdaEngine>, body: Bytes) -> ApiResult {
    let body = parse_body(&body)?;
    let function = body
        .get("FunctionName")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null"))?;
    // A mapping may target a version or alias (`name:qualifier`).
    let function = match function_ref(function)? {
        (f, Some(q)) if q != "$LATEST" => format!("{f}:{q}"),
        (f, _) => f,
    };
    let source = body
        .get("EventSourceArn")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::invalid(
                "Unrecognized event source, must be kinesis, dynamodb stream, sqs, msk or kafka",
            )
        })?;
    let starting_position = match body.get("StartingPosition").and_then(Value::as_str) {
        Some("TRIM_HORIZON") => StartingPosition::TrimHorizon,
        Some("LATEST") => StartingPosition::Latest,
        Some("AT_TIMESTAMP") => StartingPosition::AtTimestamp(
            body.get("StartingPositionTimestamp")
                .and_then(Value::as_f64)
                .ok_or_else(|| ApiError::invalid("StartingPositionTimestamp must be set when StartingPosition is AT_TIMESTAMP."))?,
        ),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "1 validation error detected: Value '{other}' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]"
            )));
        }
        // SQS has no position: a queue is read from whatever it holds.
        None if source.starts_with("arn:aws:sqs:") => StartingPosition::TrimHorizon,
        None => {
            return Err(ApiError::invalid(
                "StartingPosition must be set for a Kinesis event source.",
            ));
        }
    };
    let mut config = MappingConfig {
        event_source_arn: source.to_string(),
        function_name: function,
        batch_size: if source.starts_with("arn:aws:sqs:") {
            10
        } else {
            100
        },
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
    apply_mapping_settings(&body, &mut config)?;
    let mut created = engine.create_mapping(config)?;
    created.state = "Creating".into();
    ok_json(StatusCode::ACCEPTED, mapping_json(&engine, &created))
}

async fn list_mappings(State(engine): State<LambdaEngine>, RawQuery(query): RawQuery) -> ApiResult {
    let params = query_params(query.as_deref());
    let function = params
        .get("FunctionName")
        .map(|f| function_name(f))
        .transpose()?;
    let all = engine.list_mappings(
        function.as_deref(),
        params.get("EventSourceArn").map(String::as_str),
    );
    let max = params
        .get("MaxItems")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 10_000);
    let start = params
        .get("Marker")
        .and_then(|m| all.iter().position(|x| &x.uuid == m).map(|i| i + 1))
        .unwrap_or(0);
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(max)
        .map(|m| mapping_json(&engine, m))
        .collect();
    let mut out = json!({"EventSourceMappings": page});
    if start + max < all.len()
        && let Some(last) = all.get(start + max - 1)
    {
        out["NextMarker"] = json!(last.uuid);
    }
    ok_json(StatusCode::OK, out)
}

async fn get_mapping(State(engine): State<LambdaEngine>, Path(uuid): Path<String>) -> ApiResult {
    let m = engine.get_mapping(&uuid)?;
    ok_json(StatusCode::OK, mapping_json(&engine, &m))
}

async fn update_mapping(
    State(engine): State<LambdaEngine>,
    Path(uuid): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let mut next = engine.get_mapping(&uuid)?.config;
    apply_mapping_settings(&body, &mut next)?;
    if let Some(f) = body.get("FunctionName").and_then(Value::as_str) {
        next.function_name = function_name(f)?;
        engine.get_function(&next.function_name)?;
    }
    let updated = engine.update_mapping(&uuid, |c| *c = next)?;
    ok_json(StatusCode::ACCEPTED, mapping_json(&engine, &updated))
}

async fn delete_mapping(State(engine): State<LambdaEngine>, Path(uuid): Path<String>) -> ApiResult {
    let m = engine.delete_mapping(&uuid)?;
    ok_json(StatusCode::ACCEPTED, mapping_json(&engine, &m))
}

async fn account_settings(State(engine): State<LambdaEngine>) -> ApiResult {
    let functions = engine.list_functions();
    let total: i64 = functions.iter().map(|c| c.code_size).sum();
    let limit = engine.config().account_concurrency;
    let reserved: u32 = functions
        .iter()
        .filter_map(|c| engine.get_concurrency(&c.name).ok().flatten())
        .sum();
    ok_json(
        StatusCode::OK,
        json!({
            "AccountLimit": {
                "TotalCodeSize": 80_530_636_800_i64,
                "CodeSizeUnzipped": 262_144_000,
                "CodeSizeZipped": 52_428_800,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": limit.saturating_sub(reserved),
            },
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": functions.len()},
        }),
    )
}

async fn publish_version(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = function_name(&raw)?;
    let body = parse_body(&body)?;
    let description = body
        .get("Description")
        .and_then(Value::as_str)
        .map(str::to_string);
    let config = engine.publish_version(&name, description)?;
    ok_json(StatusCode::CREATED, configuration(&engine, &config))
}

async fn list_versions(State(engine): State<LambdaEngine>, Path(raw): Path<String>) -> ApiResult {
    let name = function_name(&raw)?;
    let versions: Vec<Value> = engine
        .list_versions(&name)?
        .iter()
        .map(|c| configuration(&engine, c))
        .collect();
    ok_json(StatusCode::OK, json!({"Versions": versions}))
}

fn alias_json(engine: &LambdaEngine, function: &str, a: &lambda_engine::versions::Alias) -> Value {
    json!({
        "AliasArn": format!("{}:{}", engine.function_arn(function), a.name),
        "Name": a.name,
        "FunctionVersion": a.function_version,
        "Description": a.description,
        "RevisionId": a.revision_id,
    })
}

async fn create_alias(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let name = function_name(&raw)?;
    let body = parse_body(&body)?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    let alias = text("Name").ok_or_else(|| {
        ApiError::invalid("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
    })?;
    let version = text("FunctionVersion").ok_or_else(|| {
        ApiError::invalid("1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null")
    })?;
    let a = engine.create_alias(
        &name,
        &alias,
        &version,
        text("Description").unwrap_or_default(),
    )?;
    ok_json(StatusCode::CREATED, alias_json(&engine, &name, &a))
}

async fn list_aliases(State(engine): State<LambdaEngine>, Path(raw): Path<String>) -> ApiResult {
    let name = function_name(&raw)?;
    let aliases: Vec<Value> = engine
        .list_aliases(&name)?
        .iter()
        .map(|a| alias_json(&engine, &name, a))
        .collect();
    ok_json(StatusCode::OK, json!({"Aliases": aliases}))
}

async fn get_alias(
    State(engine): State<LambdaEngine>,
    Path((raw, alias)): Path<(String, String)>,
) -> ApiResult {
    let name = function_name(&raw)?;
    let a = engine.get_alias(&name, &alias)?;
    ok_json(StatusCode::OK, alias_json(&engine, &name, &a))
}

async fn update_alias(
    State(engine): State<LambdaEngine>,
    Path((raw, alias)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let name = function_name(&raw)?;
    let body = parse_body(&body)?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    let a = engine.update_alias(&name, &alias, text("FunctionVersion"), text("Description"))?;
    ok_json(StatusCode::OK, alias_json(&engine, &name, &a))
}

async fn delete_alias(
    State(engine): State<LambdaEngine>,
    Path((raw, alias)): Path<(String, String)>,
) -> ApiResult {
    let name = function_name(&raw)?;
    engine.delete_alias(&name, &alias)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The function and qualifier of a provisioned concurrency request (`?Qualifier=`, required).
fn provisioned_target(raw: &str, query: Option<&str>) -> Result<(String, String), ApiError> {
    let (name, qualifier) = qualified(raw, query)?;
    let qualifier = qualifier.ok_or_else(|| {
        ApiError::invalid("1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null")
    })?;
    Ok((name, qualifier))
}

fn provisioned_json(p: &lambda_engine::versions::ProvisionedConfig) -> Value {
    json!({
        "RequestedProvisionedConcurrentExecutions": p.requested,
        "AvailableProvisionedConcurrentExecutions": p.available,
        "AllocatedProvisionedConcurrentExecutions": p.allocated,
        "Status": p.status,
        "LastModified": p.last_modified,
    })
}

async fn put_provisioned(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> ApiResult {
    let (name, qualifier) = provisioned_target(&raw, query.as_deref())?;
    let body = parse_body(&body)?;
    let n = u32_field(&body, "ProvisionedConcurrentExecutions")?.ok_or_else(|| {
        ApiError::invalid("1 validation error detected: Value null at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
    })?;
    let p = engine.put_provisioned_concurrency(&name, &qualifier, n)?;
    ok_json(StatusCode::ACCEPTED, provisioned_json(&p))
}

async fn get_provisioned(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let (name, qualifier) = provisioned_target(&raw, query.as_deref())?;
    let p = engine.get_provisioned_concurrency(&name, &qualifier)?;
    ok_json(StatusCode::OK, provisioned_json(&p))
}

async fn delete_provisioned(
    State(engine): State<LambdaEngine>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let (name, qualifier) = provisioned_target(&raw, query.as_deref())?;
    engine.delete_provisioned_concurrency(&name, &qualifier)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_arns_and_partial_arns() {
        let name = |s: &str| function_name(s).map_err(|e| e.code);
        assert_eq!(name("f").as_deref(), Ok("f"));
        assert_eq!(name("f:$LATEST").as_deref(), Ok("f"));
        assert_eq!(
            name("arn:aws:lambda:us-east-1:000000000000:function:f").as_deref(),
            Ok("f")
        );
        assert_eq!(name("000000000000:function:f").as_deref(), Ok("f"));
        assert_eq!(name("f:live"), Err("InvalidParameterValueException"));
        let (f, q) = function_ref("arn:aws:lambda:us-east-1:000000000000:function:f:live")
            .map_err(|e| e.code)
            .unwrap();
        assert_eq!((f.as_str(), q.as_deref()), ("f", Some("live")));
        assert_eq!(name("a:b:c:d:e"), Err("InvalidParameterValueException"));
    }

    #[test]
    fn query_values_decode() {
        assert_eq!(percent_decode("cost%20center"), "cost center");
        assert_eq!(percent_decode("a+b"), "a b");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
        assert_eq!(percent_decode("end%2"), "end%2");
    }
}
