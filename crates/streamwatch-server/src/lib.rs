//! The HTTP front of streamwatch: one port, every AWS API the embedded engine speaks.
//!
//! The server is the only crate that serves the AWS APIs over HTTP (the web console's router,
//! mounted here, is `web-console`'s). Every request passes the front door
//! (`front_door.rs`: host, signature and content-type checks, request id, access log), which
//! tells the services apart; one handler then reads the body within that service's limit, hands
//! it to the service's API crate and writes the [`aws_wire::Reply`] back. HTTP/1.1 and HTTP/2 (including
//! cleartext prior-knowledge HTTP/2, which the AWS SDK for JavaScript v3 uses) are both served.
//!
//! CloudWatch Logs (`X-Amz-Target: Logs_20140328.*`) serves the functions' logs and the log
//! groups users create and write with PutLogEvents (`logs-engine`) through `logs-api`. Lambda's REST JSON API (`/2015-03-31/...` and its siblings) is routed by path to
//! `lambda-api`, over a [`lambda_engine::LambdaEngine`] whose functions are told this server's
//! address as `AWS_ENDPOINT_URL`, so their own SDK calls stay local.
//!
//! Amazon SQS (`X-Amz-Target: AmazonSQS.*`, AWS JSON 1.0) is served by `sqs-api` over an
//! [`sqs_engine::SqsEngine`], which is also where the Lambda engine sends its on-failure
//! destinations and dead-letter queues.
//!
//! Amazon SNS (the query protocol: form bodies with `Version=2010-03-31`, or signed for the
//! `sns` service; and unsigned GETs of a SubscribeURL) is served by `sns-api` over an
//! [`sns_engine::SnsEngine`], whose notifications `sns_plugs.rs` delivers to the SQS engine,
//! the Lambda engine and HTTP(S) webhooks; CloudWatch alarms publish to its topics.
//!
//! `GET /metrics` (unsigned, from this machine, not from a web page) answers streamwatch's own
//! metrics in Prometheus text (`metrics_page.rs`): what the engines hold and how close each
//! [`Bounds`] is. `GET /health` (`health_page.rs`), under the same rules, answers container
//! healthchecks with a JSON body.
//!
//! A browser's `GET /` (and paths under `/console/`) is the web console (`web-console`), which
//! reads this server back through its own port with signed SDK calls; the front door holds it
//! to the Host check and refuses it to other sites' pages.
//!
//! [`start`] binds and returns a [`RunningServer`], which tests use with port 0.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use alarm_engine::AlarmEngine;
use cloudwatch_api::{CloudWatchApi, Protocol};
use dashboards::Dashboards;
use fault_injection::{Faults, Outcome};
use kinesis_api::{KinesisApi, KinesisMetrics, Request};
use kinesis_engine::Engine;
use lambda_engine::{LambdaConfig, LambdaEngine};
use logs_engine::{LogsConfig, LogsEngine};
use metric_store::Store;
use sns_engine::{SnsConfig, SnsEngine};
use sqs_engine::{SqsConfig, SqsEngine};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod accept_loop;
mod alarm_actions;
mod cors;
mod event_body;
mod faults;
mod front_door;
mod health_page;
mod lambda_plugs;
mod metrics_page;
mod sigv4;
mod sns_plugs;
mod tenants;
mod tls;

pub use tenants::MAX_TENANTS;

pub use front_door::FrontDoorConfig;
use front_door::{RequestId, Service};
pub use sigv4::{Credentials, CredentialsFileError};
pub use tls::{Tls, TlsError};

/// The largest request body accepted (7 MiB): room for a full 5 MiB PutRecords in base64.
/// Larger bodies get a bare HTTP 413, as AWS sends.
pub const MAX_BODY_BYTES: usize = 7 * 1024 * 1024;

/// The most a gzip-compressed body (PutMetricData) may inflate to.
pub const MAX_INFLATED_BYTES: usize = 10 * 1024 * 1024;

/// How often housekeeping (retention trimming, journal cleanup and sync) runs.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(1);

/// Errors starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Binding or serving the socket failed.
    #[error("server I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The serving task ended abnormally.
    #[error("server task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The Lambda state under the data directory could not be restored.
    #[error("restoring Lambda state: {0}")]
    Lambda(#[from] lambda_engine::LambdaError),
    /// The alarms under the data directory could not be restored.
    #[error("restoring alarms: {0}")]
    Alarms(#[from] alarm_engine::AlarmError),
    /// The dashboards kept in the data directory could not be loaded.
    #[error("dashboards: {0}")]
    Dashboards(#[from] dashboards::DashboardError),
    /// The SQS queues kept in the data directory could not be restored.
    #[error("restoring SQS queues: {0}")]
    Sqs(#[from] sqs_engine::JournalError),
    /// The log groups kept in the data directory could not be restored.
    #[error("restoring log groups: {0}")]
    Logs(#[from] logs_engine::LogsError),
    /// The metric store's snapshot in the data directory could not be read.
    #[error("restoring metrics: {0}")]
    Metrics(#[from] metric_store::SnapshotError),
}

/// How often housekeeping writes the metric store's snapshot, when data arrived since the
/// last: what a hard kill may lose of the metrics.
const METRICS_SNAPSHOT_EVERY: Duration = Duration::from_secs(60);

/// Where a pair's metric store keeps its snapshot under its data directory.
fn metrics_snapshot(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("cloudwatch").join("metrics.cbor")
}

/// Writes `metrics`' snapshot under `engine`'s data directory (none: nothing), logging a
/// failure; returns the [`Store::changes`] it saved.
fn save_metrics(engine: &Engine, metrics: &Store) -> Option<u64> {
    let dir = engine.config().data_dir.as_ref()?;
    let changes = metrics.changes();
    let started = std::time::Instant::now();
    match metrics.save_snapshot(&metrics_snapshot(dir)) {
        Ok(bytes) => {
            tracing::debug!(bytes, series = metrics.len(), took = ?started.elapsed(), "metric store saved");
            Some(changes)
        }
        Err(e) => {
            tracing::error!(error = %e, "saving the metric store failed");
            None
        }
    }
}

/// What a graceful shutdown keeps of a pair beside the Kinesis journal: the metric store's
/// snapshot and the log groups' journal, synced.
fn keep_at_shutdown(engine: &Engine, metrics: &Store, logs: &LogsEngine) {
    save_metrics(engine, metrics);
    if let Err(e) = logs.maintain() {
        tracing::error!(error = %e, "final log group journal sync failed");
    }
}

/// The bounds on what grows with traffic in the services beside Kinesis, each a flag of
/// `streamwatch serve` (the metric store's bound on series is the [`Store`]'s own,
/// [`Store::with_max_series`]). Reaching each shows on `GET /metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// Log lines each Lambda function keeps (`--max-function-log-events`); the oldest go
    /// first.
    pub max_function_log_events: usize,
    /// Bytes of SQS messages all queues hold together (`--max-queue-bytes`); sends past it
    /// are refused with `RequestThrottled`.
    pub max_queue_bytes: u64,
    /// SNS webhook POSTs in flight (`--max-sns-http-deliveries`); a notification past it
    /// fails at once.
    pub max_sns_http_deliveries: usize,
    /// Asynchronous Lambda events pending across functions (`--max-async-events`); an
    /// `Event` invocation past it is refused with `TooManyRequestsException`.
    pub max_async_events: usize,
    /// CloudWatch dashboards kept (`--max-dashboards`); a PutDashboard creating one more is
    /// refused with `LimitExceeded`.
    pub max_dashboards: usize,
    /// Events each CloudWatch Logs group written with PutLogEvents keeps
    /// (`--max-log-group-events`); the oldest go first.
    pub max_log_group_events: usize,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            max_function_log_events: lambda_engine::logs::DEFAULT_MAX_EVENTS,
            max_queue_bytes: sqs_engine::DEFAULT_MAX_HELD_BYTES,
            max_sns_http_deliveries: sns_plugs::DEFAULT_MAX_HTTP_DELIVERIES,
            max_async_events: lambda_engine::DEFAULT_MAX_PENDING_ASYNC_EVENTS,
            max_dashboards: dashboards::DEFAULT_MAX_DASHBOARDS,
            max_log_group_events: logs_engine::DEFAULT_MAX_EVENTS_PER_GROUP,
        }
    }
}

#[derive(Clone)]
struct AppState {
    /// Every account and region's services; the server's own pair is `tenants.own()`.
    tenants: Arc<tenants::Tenants>,
    /// For `/metrics`: the server's own pair's Kinesis engine, metric store and SQS, and
    /// SNS's webhook slots.
    engine: Engine,
    metrics: Arc<Store>,
    sns_http: Arc<sns_plugs::HttpSlots>,
    /// The web console, reading this server back through its own port.
    console: Router,
    /// With `--auth verify`, the keys signatures are checked against.
    auth: Option<Arc<sigv4::Credentials>>,
    /// Turns true when the server shuts down, ending open SubscribeToShard streams.
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// The fault injection rules (`--fault`, `/_streamwatch/faults`).
    faults: Arc<Faults>,
}

/// The engines behind one server, beside the Kinesis engine.
#[derive(Clone)]
pub struct Services {
    /// Lambda functions and event source mappings.
    pub lambda: LambdaEngine,
    /// SQS queues.
    pub sqs: SqsEngine,
    /// SNS topics, delivering to the SQS and Lambda engines and to webhooks.
    pub sns: SnsEngine,
    /// The Kinesis API over the engine, recording the `AWS/Kinesis` metrics; Lambda's
    /// event source mappings read through it too.
    pub kinesis: KinesisApi,
    /// CloudWatch alarms over the metric store, on the Kinesis engine's clock.
    pub alarms: AlarmEngine,
    /// CloudWatch dashboards, on the Kinesis engine's clock.
    pub dashboards: Dashboards,
    /// The bound on SNS webhook POSTs in flight, for `/metrics`.
    sns_http: Arc<sns_plugs::HttpSlots>,
    /// Fault injection: the rules every call passes (none at start), on the engine's clock.
    pub faults: Arc<Faults>,
    /// The bounds these services were made with, for another account and region's.
    bounds: Bounds,
    /// The key functions sign their own calls with, when one was set.
    function_keys: Option<(String, String)>,
    /// The CloudWatch Logs groups users create and write with PutLogEvents.
    pub logs: LogsEngine,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("lambda", &self.lambda)
            .field("sqs", &self.sqs)
            .field("sns", &self.sns)
            .field("kinesis", &self.kinesis)
            .finish_non_exhaustive()
    }
}

/// The router with every service mounted behind the front door (see [`FrontDoorConfig`]):
/// the Kinesis API over `engine`, recording its metrics into `metrics`, the Lambda and
/// SQS APIs over `services`, and the web console, for a server bound to `addr`.
pub fn router(
    engine: Engine,
    metrics: Arc<Store>,
    services: Services,
    front: &FrontDoorConfig,
    addr: SocketAddr,
) -> Router {
    let closing = Arc::new(tokio::sync::watch::Sender::new(false));
    router_closing(engine, metrics, services, front, addr, closing)
}

/// [`router`], whose event streams end when `closing` turns true.
fn router_closing(
    engine: Engine,
    metrics: Arc<Store>,
    services: Services,
    front: &FrontDoorConfig,
    addr: SocketAddr,
    closing: Arc<tokio::sync::watch::Sender<bool>>,
) -> Router {
    let tenants = Arc::new(tenants::Tenants::new(
        &engine,
        &metrics,
        &services,
        cloudwatch_api_for(&engine, &metrics, &services),
        addr,
    ));
    router_for_tenants(engine, metrics, services, front, addr, closing, tenants)
}

/// [`router_closing`] over an account and region registry made beforehand (the serving
/// loop stops its other pairs at shutdown).
fn router_for_tenants(
    engine: Engine,
    metrics: Arc<Store>,
    services: Services,
    front: &FrontDoorConfig,
    addr: SocketAddr,
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    tenants: Arc<tenants::Tenants>,
) -> Router {
    let door = Arc::new(front_door::FrontDoor::new(front, addr.ip()));
    let keys = front.auth.as_ref().and_then(|c| c.first());
    let console = console_with_keys(addr, &engine.config().region, keys).router();
    let state = AppState {
        tenants,
        engine,
        metrics,
        sns_http: services.sns_http,
        console,
        auth: front.auth.clone(),
        closing,
        faults: services.faults,
    };
    Router::new()
        .fallback(dispatch)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            door,
            front_door::front_door,
        ))
}

/// The CloudWatch API over a pair's metric store, alarms (acting through its Lambda and SNS)
/// and dashboards.
fn cloudwatch_api_for(engine: &Engine, metrics: &Arc<Store>, services: &Services) -> CloudWatchApi {
    CloudWatchApi::new(
        metrics.clone(),
        engine.config().account_id.clone(),
        services.alarms.clone(),
        alarm_actions::sink(
            services.alarms.clone(),
            services.lambda.clone(),
            services.sns.clone(),
        ),
    )
    .with_dashboards(services.dashboards.clone())
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The web console of a server on `addr`: its SDK clients (made at the first visit) call
/// this server's own loopback endpoint with static credentials, through the front door.
pub fn console_for(addr: SocketAddr, region: &str) -> web_console::Console {
    console_with_keys(addr, region, None)
}

/// [`console_for`], signing with `keys` (the first `--auth verify` key) when given.
fn console_with_keys(
    addr: SocketAddr,
    region: &str,
    keys: Option<(&str, &str)>,
) -> web_console::Console {
    let keys = keys.map(|(k, s)| (k.to_owned(), s.to_owned()));
    let mut local = addr;
    if local.ip().is_unspecified() {
        local.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let endpoint = format!("http://{local}");
    let region_owned = region.to_owned();
    web_console::Console::lazy(
        move || match &keys {
            Some((key, secret)) => {
                web_console::Clients::for_endpoint_with_keys(&endpoint, &region_owned, key, secret)
            }
            None => web_console::Clients::for_endpoint(&endpoint, &region_owned),
        },
        web_console::Options::local(region),
    )
}

/// The one handler behind the front door: reads the body within the service's limit (a
/// Lambda zip in base64 may be 50 MB) and hands the request to the service's API crate.
async fn dispatch(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    if req.extensions().get::<Service>() == Some(&Service::Console) {
        use tower::ServiceExt as _;
        return match state.console.clone().oneshot(req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        };
    }
    let (parts, body) = req.into_parts();
    let service = parts
        .extensions
        .get::<Service>()
        .copied()
        .unwrap_or(Service::Kinesis);
    if service == Service::Health {
        return write_reply(aws_wire::Reply::new(
            200,
            "application/json",
            health_page::render(&state).into_bytes(),
        ));
    }
    if service == Service::Metrics {
        let page = metrics_page::render(&state);
        return write_reply(aws_wire::Reply::new(
            200,
            metric_export::prometheus::CONTENT_TYPE,
            page.into_bytes(),
        ));
    }
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .map(|r| r.0.as_str())
        .unwrap_or_default();
    let limit = if service == Service::Lambda {
        lambda_api::MAX_REQUEST_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
    // SNS and CloudWatch share the query protocol: an unsigned form body is told apart by
    // its Version (or Action) here, where the body is at hand.
    let service = if service == Service::CloudWatch
        && matches!(cloudwatch_route(uri, headers), Some((Protocol::Query, _)))
        && sns_api::is_sns_form(&body)
    {
        Service::Sns
    } else {
        service
    };
    // `--auth verify`: a signed request's signature is checked here, where the body (whose
    // hash the signature covers) is at hand; unsigned ones get each service's own refusal.
    if let Some(credentials) = &state.auth
        && front_door::is_signed(uri, headers)
        && let Err(e) = sigv4::verify(
            credentials,
            &sigv4::Incoming {
                method: method.as_str(),
                path: uri.path(),
                query: uri.query(),
                headers,
                authority: uri.authority().map(|a| a.as_str()),
                body: &body,
            },
            std::time::SystemTime::now(),
        )
    {
        let cloudwatch_protocol = cloudwatch_encoding(uri, headers);
        tracing::debug!(?e, service = ?service, "signature refused");
        return write_reply(front_door::auth_refusal(
            service,
            cloudwatch_protocol,
            headers,
            &e,
            request_id,
        ));
    }
    // By default any signature is accepted, but a structurally broken one is answered as
    // AWS answers it (Kinesis does so itself, after its operation check, as AWS orders it).
    let incomplete_signature = if state.auth.is_none() && front_door::is_signed(uri, headers) {
        sigv4::incomplete_signature(uri.query(), headers)
    } else {
        None
    };
    if let Some(message) = &incomplete_signature
        && !matches!(service, Service::Kinesis | Service::Faults)
    {
        let cloudwatch_protocol = cloudwatch_encoding(uri, headers);
        return write_reply(front_door::auth_refusal(
            service,
            cloudwatch_protocol,
            headers,
            &sigv4::AuthError::Malformed(message.clone()),
            request_id,
        ));
    }
    if service == Service::Faults {
        // With `--auth verify` the rules change only with a good signature (checked above).
        if state.auth.is_some() && !front_door::is_signed(uri, headers) {
            return write_reply(aws_wire::Reply::new(
                403,
                "application/json",
                br#"{"message":"with --auth verify, requests to /_streamwatch/faults must be signed with SigV4 (e.g. curl --aws-sigv4 aws:amz:us-east-1:streamwatch --user KEY:SECRET)"}"#.to_vec(),
            ));
        }
        return write_reply(faults::admin(&state.faults, method, headers, &body));
    }
    // SNS takes GETs too: the SubscribeURL an HTTP endpoint visits.
    if !matches!(service, Service::Lambda | Service::Sns) && method != Method::POST {
        let resp = (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/xml")],
            "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n",
        );
        return resp.into_response();
    }
    let tenant = match state.tenants.for_request(uri, headers) {
        Ok(tenant) => tenant,
        Err(e) => return tenant_refusal(&e),
    };
    let mut added_latency = Duration::ZERO;
    let faulty = state.faults.is_active();
    if faulty && let Some(target) = faults::service_of(service) {
        let action = faults::action_of(service, method, uri, headers, &body);
        let decision = state.faults.on_call(target, &action);
        if let Some(latency) = decision.latency {
            tokio::time::sleep(latency).await;
            added_latency = latency;
        }
        match decision.outcome {
            Outcome::Proceed => {}
            Outcome::Drop => return faults::dropped_connection(),
            Outcome::Fail(code) => {
                return write_reply(faults::error_reply(
                    service,
                    code,
                    &tenant.cloudwatch,
                    uri,
                    headers,
                    request_id,
                ));
            }
        }
    }
    match service {
        Service::CloudWatch => {
            let Some((protocol, operation)) = cloudwatch_route(uri, headers) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let authenticated = front_door::is_signed(uri, headers);
            cloudwatch(
                &tenant.cloudwatch,
                protocol,
                operation,
                authenticated,
                headers,
                &body,
                request_id,
            )
        }
        Service::Lambda | Service::Sqs | Service::Logs | Service::Sns => {
            let text_headers: Vec<(&str, &str)> = headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
                .collect();
            let wire_req = aws_wire::Request {
                method: method.as_str(),
                path: uri.path(),
                query: uri.query(),
                headers: &text_headers,
                body: &body,
                request_id,
            };
            write_reply(match service {
                Service::Lambda => lambda_api::handle(&tenant.lambda, &wire_req).await,
                Service::Sqs => sqs_api::handle(&tenant.sqs, &wire_req).await,
                Service::Sns => {
                    sns_api::handle(&tenant.sns, &wire_req, front_door::is_signed(uri, headers))
                }
                _ => logs_api::handle(
                    &logs_api::Sources {
                        functions: &tenant.lambda,
                        ingested: &tenant.logs,
                    },
                    &wire_req,
                ),
            })
        }
        // Answered above, before the body was read.
        Service::Metrics | Service::Health | Service::Console | Service::Faults => {
            StatusCode::NOT_FOUND.into_response()
        }
        Service::Kinesis => {
            // The hot path: no shared request view, the two headers Kinesis reads.
            let req = Request {
                target: header_str(headers, "x-amz-target"),
                content_type: header_str(headers, "content-type"),
                authenticated: front_door::is_signed(uri, headers),
                incomplete_signature: incomplete_signature.as_deref(),
                body: &body,
            };
            let injected = kinesis_api::Injected {
                added_latency,
                record_failures: if faulty {
                    state.faults.record_failures()
                } else {
                    None
                },
            };
            match tenant.kinesis.handle_streaming_with(&req, injected) {
                kinesis_api::Answer::Reply(out) => {
                    if let Some(code) = out.error_code {
                        tracing::debug!(code, status = out.status, "request failed");
                    }
                    write_reply(out)
                }
                kinesis_api::Answer::Stream(stream) => {
                    event_body::response(stream, state.closing.clone())
                }
            }
        }
    }
}

/// The answer to a request whose account and region could not be served: a JSON error in
/// the shape most of the port's services use.
fn tenant_refusal(e: &tenants::TenantError) -> Response {
    let (status, kind, message) = match e {
        tenants::TenantError::Full => (
            400,
            "LimitExceededException",
            format!(
                "this server keeps at most {} account and region pairs",
                tenants::MAX_TENANTS
            ),
        ),
        tenants::TenantError::Open(e) => (500, "InternalFailure", e.to_string()),
    };
    let body = serde_json::json!({"__type": kind, "message": message}).to_string();
    write_reply(aws_wire::Reply::new(
        status,
        "application/x-amz-json-1.1",
        body.into_bytes(),
    ))
}

/// CloudWatch's protocol as an encoding, when the request is CloudWatch's.
fn cloudwatch_encoding(uri: &Uri, headers: &HeaderMap) -> Option<aws_wire::Encoding> {
    cloudwatch_route(uri, headers).map(|(p, _)| match p {
        Protocol::RpcV2Cbor => aws_wire::Encoding::RpcV2Cbor,
        Protocol::Json => aws_wire::Encoding::Json,
        Protocol::Query => aws_wire::Encoding::Query,
    })
}

/// Writes an API crate's reply as an HTTP response.
fn write_reply(out: aws_wire::Reply) -> Response {
    let mut resp = Response::new(Body::from(out.body));
    *resp.status_mut() =
        StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(ct) = out.content_type {
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    for (name, value) in out.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}

/// Which CloudWatch protocol and operation a request is, if it is one: RPC v2 CBOR by its
/// path, JSON 1.0 by its target, query by its form body.
pub(crate) fn cloudwatch_route<'a>(
    uri: &'a Uri,
    headers: &'a HeaderMap,
) -> Option<(Protocol, Option<&'a str>)> {
    if front_door::is_sns(uri, headers) {
        return None;
    }
    let segments: Vec<&str> = uri.path().rsplit('/').take(4).collect();
    if let [op, "operation", service, "service"] = segments.as_slice()
        && service.ends_with(cloudwatch_api::SERVICE)
    {
        return Some((Protocol::RpcV2Cbor, Some(op)));
    }
    if let Some(op) = header_str(headers, "x-amz-target")
        .and_then(|t| t.strip_prefix(cloudwatch_api::SERVICE))
        .and_then(|t| t.strip_prefix('.'))
    {
        return Some((Protocol::Json, Some(op)));
    }
    let form = header_str(headers, "content-type").is_some_and(|c| {
        c.trim_start()
            .starts_with("application/x-www-form-urlencoded")
    });
    form.then_some((Protocol::Query, None))
}

/// Undoes `Content-Encoding: gzip`, refusing to inflate past [`MAX_INFLATED_BYTES`].
fn inflate(headers: &HeaderMap, body: &Bytes) -> Result<Bytes, ()> {
    let gzipped = header_str(headers, "content-encoding")
        .is_some_and(|e| e.split(',').any(|p| p.trim() == "gzip"));
    if !gzipped {
        return Ok(body.clone());
    }
    let mut out = Vec::new();
    let decoder = flate2::read::GzDecoder::new(&body[..]);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(decoder, MAX_INFLATED_BYTES as u64 + 1),
        &mut out,
    )
    .map_err(|_| ())?;
    if out.len() > MAX_INFLATED_BYTES {
        return Err(());
    }
    Ok(Bytes::from(out))
}

fn cloudwatch(
    api: &CloudWatchApi,
    protocol: Protocol,
    operation: Option<&str>,
    authenticated: bool,
    headers: &HeaderMap,
    body: &Bytes,
    request_id: &str,
) -> Response {
    let Ok(body) = inflate(headers, body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    write_reply(api.handle(&cloudwatch_api::Request {
        protocol,
        operation,
        authenticated,
        body: &body,
        request_id,
    }))
}

/// A server running in the background.
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    engine: Engine,
    metrics: Arc<Store>,
    services: Services,
    tls: bool,
}

impl RunningServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, ready for an SDK's endpoint setting.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `https://<addr>` when the port also speaks TLS (see [`start_with_tls`]).
    pub fn https_endpoint(&self) -> Option<String> {
        self.tls.then(|| format!("https://{}", self.addr))
    }

    /// The engine it serves.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The metric store its services record into and the CloudWatch API reads.
    pub fn metrics(&self) -> &Arc<Store> {
        &self.metrics
    }

    /// The Lambda engine it serves.
    pub fn lambda(&self) -> &LambdaEngine {
        &self.services.lambda
    }

    /// The CloudWatch Logs groups users create, which it serves beside the functions' logs.
    pub fn logs(&self) -> &LogsEngine {
        &self.services.logs
    }

    /// The SQS engine it serves.
    pub fn sqs(&self) -> &SqsEngine {
        &self.services.sqs
    }

    /// The SNS engine it serves.
    pub fn sns(&self) -> &SnsEngine {
        &self.services.sns
    }

    /// Its fault injection rules (`--fault`; `/_streamwatch/faults` changes the same).
    pub fn faults(&self) -> &Arc<Faults> {
        &self.services.faults
    }

    /// Stops accepting, lets in-flight requests finish, and syncs the journal.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await??;
        self.services.lambda.shutdown();
        let _ = std::fs::remove_dir_all(&self.services.lambda.config().code_root);
        if let Err(e) = self.engine.sync() {
            tracing::error!(error = %e, "final journal sync failed");
        }
        Ok(())
    }
}

/// Binds `addr` and serves `engine` until [`RunningServer::shutdown`], with a new metric
/// store on the engine's clock (a manual clock moves metrics and alarms together).
pub async fn start(addr: SocketAddr, engine: Engine) -> Result<RunningServer, ServerError> {
    let metrics = Arc::new(Store::with_clock(engine.clock()));
    start_with_metrics(addr, engine, metrics).await
}

/// Binds `addr` and serves `engine`, recording metrics into `metrics`.
pub async fn start_with_metrics(
    addr: SocketAddr,
    engine: Engine,
    metrics: Arc<Store>,
) -> Result<RunningServer, ServerError> {
    start_with_options(addr, engine, metrics, FrontDoorConfig::default()).await
}

/// Binds `addr` and serves `engine`, recording metrics into `metrics`, with the front door
/// set up by `front` (allowed host names, access log).
pub async fn start_with_options(
    addr: SocketAddr,
    engine: Engine,
    metrics: Arc<Store>,
    front: FrontDoorConfig,
) -> Result<RunningServer, ServerError> {
    start_with_bounds(addr, engine, metrics, front, &Bounds::default()).await
}

/// [`start_with_options`], with the services' [`Bounds`].
pub async fn start_with_bounds(
    addr: SocketAddr,
    engine: Engine,
    metrics: Arc<Store>,
    front: FrontDoorConfig,
    bounds: &Bounds,
) -> Result<RunningServer, ServerError> {
    start_with_tls(addr, engine, metrics, front, bounds, None).await
}

/// [`start_with_bounds`], with the port also speaking TLS when `tls` is given: a connection
/// opening with a TLS handshake is served over HTTPS (HTTP/2 or HTTP/1.1 by ALPN), any other
/// as plain HTTP, both through the same front door.
pub async fn start_with_tls(
    addr: SocketAddr,
    engine: Engine,
    metrics: Arc<Store>,
    front: FrontDoorConfig,
    bounds: &Bounds,
    tls: Option<Tls>,
) -> Result<RunningServer, ServerError> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let keys = front
        .auth
        .as_ref()
        .and_then(|c| c.first())
        .map(|(k, s)| (k.to_owned(), s.to_owned()));
    let services = services_with_keys(&engine, addr, metrics.clone(), bounds, keys)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let has_tls = tls.is_some();
    let task = tokio::spawn(serve_with_tls(
        listener,
        engine.clone(),
        metrics.clone(),
        services.clone(),
        front,
        tls,
        async {
            let _ = stopped.await;
        },
    ));
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task,
        engine,
        metrics,
        services,
        tls: has_tls,
    })
}

/// The Lambda, SQS and SNS engines of a server on `addr`, with Lambda's destinations and
/// dead-letter queues delivered to the SQS engine, and SNS's notifications to both and to
/// webhooks, within `bounds`.
pub fn services_for(
    engine: &Engine,
    addr: SocketAddr,
    metrics: Arc<Store>,
    bounds: &Bounds,
) -> Result<Services, ServerError> {
    services_with_keys(engine, addr, metrics, bounds, None)
}

/// [`services_for`], with functions given `function_keys` (the first `--auth verify` key)
/// so their own SDK calls pass the signature check.
fn services_with_keys(
    engine: &Engine,
    addr: SocketAddr,
    metrics: Arc<Store>,
    bounds: &Bounds,
    function_keys: Option<(String, String)>,
) -> Result<Services, ServerError> {
    let config = engine.config();
    // Before anything records, so the restored series are the ones recorded into.
    if let Some(dir) = &config.data_dir {
        let loaded = metrics.load_snapshot(&metrics_snapshot(dir))?;
        if loaded.series > 0 {
            tracing::info!(
                series = loaded.series,
                left_out = loaded.skipped,
                "restored metrics"
            );
        }
    }
    // SQS reads the engine's clock, so tests that move a manual clock move its visibility
    // timeouts and FIFO deduplication windows too.
    let sqs_config = SqsConfig {
        account_id: config.account_id.clone(),
        region: config.region.clone(),
        endpoint_url: format!("http://{addr}"),
        max_held_bytes: bounds.max_queue_bytes,
    };
    // With a data directory the queues and their messages are journaled under `sqs/`
    // (another account and region's directory is its own, so its queues are too).
    let sqs = match &config.data_dir {
        Some(dir) => SqsEngine::open(
            sqs_config,
            metrics.clone(),
            engine.clock(),
            &dir.join("sqs"),
        )?,
        None => SqsEngine::with_clock(sqs_config, metrics.clone(), engine.clock()),
    };
    let kinesis = KinesisApi::with_metrics(
        engine.clone(),
        Arc::new(KinesisMetrics::new(metrics.clone())),
    );
    let mut alarms = AlarmEngine::new(
        metrics.clone(),
        engine.clock(),
        &config.region,
        &config.account_id,
    );
    if let Some(dir) = &config.data_dir {
        let dir = dir.join("cloudwatch");
        std::fs::create_dir_all(&dir)?;
        alarms = alarms.with_data_dir(&dir)?;
    }
    let mut dashboards = Dashboards::new(
        &config.account_id,
        engine.clock(),
        dashboards::Limits {
            max_dashboards: bounds.max_dashboards,
            ..dashboards::Limits::default()
        },
    );
    if let Some(dir) = &config.data_dir {
        dashboards = dashboards.with_data_dir(&dir.join("cloudwatch"))?;
    }
    let lambda = lambda_with_keys(engine, addr, metrics.clone(), bounds, function_keys.clone())?;
    lambda.set_queues(Arc::new(SqsQueues(sqs.clone())));
    let faults = Arc::new(Faults::new(engine.clock(), 0));
    lambda.set_kinesis(Arc::new(lambda_plugs::KinesisReads(
        kinesis.clone(),
        faults.clone(),
    )));
    let sns_http = Arc::new(sns_plugs::HttpSlots::new(bounds.max_sns_http_deliveries));
    let deliveries = Arc::new(sns_plugs::SnsDeliveries::new(
        sqs.clone(),
        lambda.clone(),
        sns_http.clone(),
    ));
    let sns = SnsEngine::with_clock(
        SnsConfig {
            account_id: config.account_id.clone(),
            region: config.region.clone(),
            endpoint_url: format!("http://{addr}"),
            https_deliveries: deliveries.https_available(),
        },
        metrics.clone(),
        engine.clock(),
    );
    sns.set_deliveries(deliveries);
    let logs_config = LogsConfig {
        account_id: config.account_id.clone(),
        region: config.region.clone(),
        max_events_per_group: bounds.max_log_group_events,
    };
    let logs = match &config.data_dir {
        Some(dir) => LogsEngine::open(
            logs_config,
            metrics.clone(),
            engine.clock(),
            &dir.join("logs"),
        )?,
        None => LogsEngine::with_clock(logs_config, metrics.clone(), engine.clock()),
    };
    Ok(Services {
        lambda,
        sqs,
        sns,
        kinesis,
        alarms,
        dashboards,
        sns_http,
        faults,
        bounds: bounds.clone(),
        function_keys,
        logs,
    })
}

/// The engine's SQS as Lambda uses it.
struct SqsQueues(SqsEngine);

impl lambda_engine::destinations::Queues for SqsQueues {
    fn send(
        &self,
        queue_arn: &str,
        body: String,
        attributes: &[(&str, &str, String)],
    ) -> Result<(), String> {
        let attributes = attributes
            .iter()
            .filter(|(_, _, v)| !v.is_empty())
            .map(|(name, data_type, value)| {
                (
                    (*name).to_string(),
                    sqs_engine::AttributeValue {
                        data_type: (*data_type).to_string(),
                        value: value.clone().into_bytes(),
                    },
                )
            })
            .collect();
        self.0
            .send_to_arn(
                queue_arn,
                sqs_engine::Outgoing {
                    body,
                    delay_seconds: None,
                    attributes,
                    ..sqs_engine::Outgoing::default()
                },
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn receive(
        &self,
        queue_arn: &str,
        max: usize,
    ) -> Result<Vec<lambda_engine::destinations::QueueMessage>, String> {
        let got = self
            .0
            .receive_now_by_arn(queue_arn, max)
            .map_err(|e| e.to_string())?;
        let sender = self.0.config().account_id.clone();
        Ok(got
            .into_iter()
            .map(|m| lambda_engine::destinations::QueueMessage {
                attributes: m
                    .system_attributes(&sender)
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                message_attributes: m
                    .attributes
                    .into_iter()
                    .map(|(k, a)| {
                        let attribute = lambda_engine::destinations::QueueAttribute {
                            data_type: a.data_type,
                            value: a.value,
                        };
                        (k, attribute)
                    })
                    .collect(),
                message_id: m.message_id,
                receipt_handle: m.receipt_handle,
                body: m.body,
                md5_of_body: m.md5_of_body,
            })
            .collect())
    }

    fn delete(&self, queue_arn: &str, receipt_handle: &str) -> Result<(), String> {
        self.0
            .delete_by_arn(queue_arn, receipt_handle)
            .map_err(|e| e.to_string())
    }
}

/// The Lambda engine of a server on `addr`: the Kinesis engine's account and region, code
/// unpacked under the system's temporary directory, functions pointed back at `addr`, and
/// Python functions run by `$STREAMWATCH_PYTHON` (an interpreter with `awslambdaric`;
/// `python3` by default). With a data directory, functions, mappings and their checkpoints
/// are kept under `<data-dir>/lambda` and restored here. Each function keeps
/// `bounds.max_function_log_events` log lines.
pub fn lambda_for(
    engine: &Engine,
    addr: SocketAddr,
    metrics: Arc<Store>,
    bounds: &Bounds,
) -> Result<LambdaEngine, ServerError> {
    lambda_with_keys(engine, addr, metrics, bounds, None)
}

fn lambda_with_keys(
    engine: &Engine,
    addr: SocketAddr,
    metrics: Arc<Store>,
    bounds: &Bounds,
    function_keys: Option<(String, String)>,
) -> Result<LambdaEngine, ServerError> {
    let config = engine.config();
    let lambda = LambdaEngine::open(
        LambdaConfig {
            account_id: config.account_id.clone(),
            region: config.region.clone(),
            code_root: std::env::temp_dir().join(format!(
                "streamwatch-lambda-{}-{}-{}-{}",
                std::process::id(),
                addr.port(),
                config.account_id,
                config.region
            )),
            endpoint_url: Some(format!("http://{addr}")),
            python: std::env::var_os("STREAMWATCH_PYTHON")
                .map_or_else(|| "python3".into(), std::path::PathBuf::from),
            state_dir: config.data_dir.as_ref().map(|d| d.join("lambda")),
            // Within five reads a second per shard under AWS's limits; sooner without them.
            poll_interval: if config.shard_limits {
                lambda_engine::esm::IDLE_POLL
            } else {
                std::time::Duration::from_millis(10)
            },
            max_log_events: bounds.max_function_log_events,
            max_pending_async_events: bounds.max_async_events,
            function_credentials: function_keys,
            ..LambdaConfig::default()
        },
        metrics,
    )?;
    lambda.set_runtime_api(Arc::new(lambda_runtime_api::RuntimeApiServer));
    Ok(lambda)
}

/// Serves on `listener` until `shutdown` completes, running housekeeping alongside (and
/// sampling the SQS gauges as each minute begins).
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    metrics: Arc<Store>,
    services: Services,
    front: FrontDoorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_tls(listener, engine, metrics, services, front, None, shutdown).await
}

/// [`serve`], with the port also speaking TLS when `tls` is given.
pub async fn serve_with_tls(
    listener: TcpListener,
    engine: Engine,
    metrics: Arc<Store>,
    services: Services,
    front: FrontDoorConfig,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let bound = listener.local_addr()?;
    let housekeeping = tokio::spawn(maintain(
        engine.clone(),
        metrics.clone(),
        services.sqs.clone(),
        services.logs.clone(),
    ));
    let kept = (engine.clone(), metrics.clone(), services.logs.clone());
    let alarms = tokio::spawn(alarm_actions::evaluate(
        services.alarms.clone(),
        services.lambda.clone(),
        services.sns.clone(),
    ));
    let closing = Arc::new(tokio::sync::watch::Sender::new(false));
    let tenants = Arc::new(tenants::Tenants::new(
        &engine,
        &metrics,
        &services,
        cloudwatch_api_for(&engine, &metrics, &services),
        bound,
    ));
    let app = router_for_tenants(
        engine,
        metrics,
        services,
        &front,
        bound,
        closing.clone(),
        tenants.clone(),
    );
    let shutdown = async move {
        shutdown.await;
        closing.send_replace(true);
    };
    let result = match tls {
        None => {
            use axum::serve::ListenerExt;
            // Small answers (and SubscribeToShard's events) go out at once rather than
            // wait for the peer's delayed ACK (Nagle), as the TLS path does.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
        Some(tls) => {
            accept_loop::serve_sniffing(listener, app, tls.acceptor(), shutdown).await;
            Ok(())
        }
    };
    housekeeping.abort();
    alarms.abort();
    let (engine, metrics, logs) = kept;
    let own_sqs = tenants.own().sqs.clone();
    let _ = tokio::task::spawn_blocking(move || {
        keep_at_shutdown(&engine, &metrics, &logs);
        if let Err(e) = own_sqs.maintain_journal() {
            tracing::error!(error = %e, "final SQS journal sync failed");
        }
        tenants.shutdown();
    })
    .await;
    result
}

/// A pair's housekeeping, every [`MAINTENANCE_EVERY`]: metric retention, SQS's gauges, the
/// Kinesis journal and the log groups' journal (sync, compaction), and with a data
/// directory the metric store's snapshot every [`METRICS_SNAPSHOT_EVERY`] when it changed.
async fn maintain(engine: Engine, metrics: Arc<Store>, sqs: SqsEngine, logs: LogsEngine) {
    let mut tick = tokio::time::interval(MAINTENANCE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sampled_minute = None;
    let mut saved_changes = None;
    let mut saved_at = tokio::time::Instant::now();
    loop {
        tick.tick().await;
        let l = logs.clone();
        match tokio::task::spawn_blocking(move || l.maintain()).await {
            Ok(Err(err)) => tracing::error!(error = %err, "log group journal housekeeping failed"),
            Err(err) => tracing::error!(error = %err, "housekeeping task failed"),
            Ok(Ok(())) => {}
        }
        if engine.config().data_dir.is_some() && saved_at.elapsed() >= METRICS_SNAPSHOT_EVERY {
            saved_at = tokio::time::Instant::now();
            let (e, m) = (engine.clone(), metrics.clone());
            let previous = saved_changes;
            saved_changes = tokio::task::spawn_blocking(move || {
                if previous == Some(m.changes()) {
                    return previous;
                }
                save_metrics(&e, &m)
            })
            .await
            .unwrap_or(None);
        }
        metrics.maintain(engine.now_ms());
        // SQS publishes its queue-depth gauges once a minute.
        let minute = engine.now_ms() / 60_000;
        if sampled_minute != Some(minute) {
            sampled_minute = Some(minute);
            sqs.sample();
        }
        let e = engine.clone();
        let queues = sqs.clone();
        match tokio::task::spawn_blocking(move || {
            // SQS's journal is synced (and compacted when grown) with the engine's.
            if let Err(err) = queues.maintain_journal() {
                tracing::error!(error = %err, "SQS journal housekeeping failed");
            }
            e.maintain()
        })
        .await
        {
            Ok(Err(err)) => tracing::error!(error = %err, "housekeeping failed"),
            Err(err) => tracing::error!(error = %err, "housekeeping task failed"),
            Ok(Ok(())) => {}
        }
    }
}
