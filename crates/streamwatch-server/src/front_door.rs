//! The checks every request passes, once, before any service sees it.
//!
//! The engine runs users' code (Lambda functions are child processes), so it must not be
//! reachable from a web page the developer happens to visit. Three layers see to that:
//!
//! 1. **Host.** A request whose `Host` (or HTTP/2 `:authority`) names neither a loopback
//!    address, `localhost`, the address the server is bound to, nor a name given with
//!    `--allowed-host` is refused. A page on a DNS-rebinding domain that resolves to 127.0.0.1
//!    is same-origin to the browser but still sends its own domain as `Host`.
//! 2. **Signature.** Every service refuses a request that carries no SigV4 signature (an
//!    `Authorization` header or presigned query credentials), each with the error it sends on
//!    AWS. A browser cannot add `Authorization` to a cross-origin request without a CORS
//!    preflight, which the engine never answers with permission. Kinesis and CloudWatch apply
//!    the check themselves, in the order their front ends do; Lambda, SQS and Logs are refused
//!    here.
//! 3. **Content type.** The JSON services refuse bodies in the types a browser may send
//!    without a preflight (`text/plain`, form encodings), so no "simple" request is parsed.
//!
//! One request is no AWS call: `GET /metrics`, streamwatch's own Prometheus page (no AWS
//! service uses that path: Lambda's paths begin with an API date, CloudWatch's RPC v2 paths
//! with `/service/`, and every other service posts to `/` or gets `/?Action=`). It passes the
//! Host check like any request but needs no signature, which Prometheus does not send; a
//! request a web page made (an `Origin` header, or `Sec-Fetch-Site` other than `none`, a
//! typed address, or `same-origin`) is refused, as the Runtime API refuses it.
//!
//! The health check is the second: a GET of `/health` (or of `/healthcheck`, kinesis-mock's
//! path, or `/_localstack/health`, LocalStack's, so container healthchecks written for them
//! keep working; no AWS service uses these paths either). It follows the metrics page's
//! rules: the Host check, no signature, refused to a web page (`health_page.rs`).
//!
//! The web console is the third: a GET of `/` (no query string: an SNS SubscribeURL has
//! one, and no SDK sends a bare GET) or of a path under `/console/` (no AWS path begins so).
//! It passes the Host check, needs no signature, and is refused to another site's page
//! (`Sec-Fetch-Site` `cross-site` or `same-site`, or an `Origin` other than its own) by
//! [`web_console::refusal`]; the console's own page fetches its view models same-origin. What
//! it shows it reads back through this door with signed SDK calls, like any client.
//!
//! Besides the checks, the front door gives every request its `x-amzn-RequestId` and writes
//! one access-log line per request (target `streamwatch::access`, debug level, or info with
//! `--access-log`).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use aws_wire::Reply;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::Response;

/// What the front door is told at start.
#[derive(Debug, Clone, Default)]
pub struct FrontDoorConfig {
    /// Host names (or addresses) accepted besides loopback ones, as given with
    /// `--allowed-host`; compared without the port and without case.
    pub allowed_hosts: Vec<String>,
    /// Write the access log at info level instead of debug.
    pub access_log: bool,
    /// With `--auth verify`: the keys whose SigV4 signatures are checked. `None` (the
    /// default, for local development) accepts any signature; only its absence is refused.
    pub auth: Option<Arc<crate::sigv4::Credentials>>,
    /// The page origins (`scheme://host[:port]`) whose scripts may call the AWS services,
    /// as given with `--cors-origin` (`none` for no other origin). `None`, the default:
    /// localhost and 127.0.0.1 pages on any port, or every origin with `--auth verify`
    /// (see `cors`).
    pub cors_origins: Option<Vec<String>>,
}

/// The services on the one port, as the front door tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// Kinesis Data Streams (`Kinesis_20131202.*`, and anything not claimed by another).
    Kinesis,
    /// CloudWatch (RPC v2 CBOR path, `GraniteServiceVersion20100801.*`, or a form body).
    CloudWatch,
    /// Lambda's REST API (`/2015-03-31/...` and its dated siblings).
    Lambda,
    /// SQS in AWS JSON 1.0 (`AmazonSQS.*`), or in the query protocol (a form body signed
    /// for `sqs`).
    Sqs,
    /// CloudWatch Logs in AWS JSON 1.1 (`Logs_20140328.*`).
    Logs,
    /// SNS in the query protocol: signed for the `sns` service, or a GET naming an SNS
    /// action (the SubscribeURL); an unsigned form body is told from CloudWatch's by its
    /// `Version` once the body is read (`dispatch`).
    Sns,
    /// `GET /metrics`: streamwatch's own Prometheus page, not an AWS service.
    Metrics,
    /// `GET /health` and its aliases: the container healthcheck, not an AWS service.
    Health,
    /// The web console (`web_console`): a browser's GET of `/` or of a path under
    /// `/console/`, not an AWS service.
    Console,
    /// `/_streamwatch/faults`: fault injection's admin endpoint, not an AWS service.
    Faults,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Kinesis => "kinesis",
            Service::CloudWatch => "cloudwatch",
            Service::Lambda => "lambda",
            Service::Sqs => "sqs",
            Service::Logs => "logs",
            Service::Sns => "sns",
            Service::Metrics => "metrics",
            Service::Health => "health",
            Service::Console => "console",
            Service::Faults => "faults",
        }
    }
}

/// The request id the front door gave a request, for the handlers that write error bodies.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub(crate) String);

/// The front door's state: who may call.
#[derive(Debug)]
pub(crate) struct FrontDoor {
    allowed_hosts: Vec<String>,
    bound: Option<IpAddr>,
    access_log: bool,
    cors: crate::cors::Policy,
}

impl FrontDoor {
    /// The front door of a server bound to `bound`.
    pub(crate) fn new(config: &FrontDoorConfig, bound: IpAddr) -> FrontDoor {
        FrontDoor {
            allowed_hosts: config
                .allowed_hosts
                .iter()
                .map(|h| normalise_name(h))
                .collect(),
            bound: (!bound.is_unspecified()).then_some(bound),
            access_log: config.access_log,
            cors: crate::cors::Policy::new(config.cors_origins.as_deref(), config.auth.is_some()),
        }
    }

    /// Whether a `Host` value (with or without a port) names this server.
    pub(crate) fn host_allowed(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        if let Ok(ip) = name.parse::<IpAddr>() {
            let ip = ip.to_canonical();
            if ip.is_loopback() || Some(ip) == self.bound {
                return true;
            }
        }
        let name = normalise_name(name);
        name == "localhost" || name.ends_with(".localhost") || self.allowed_hosts.contains(&name)
    }
}

/// Lower case, without a trailing dot (`Example.COM.` names `example.com`).
fn normalise_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The host part of a `Host` value: `[::1]:4567` -> `::1`, `localhost:4567` -> `localhost`.
/// `None` when it is not a host at all (empty, user info, a path).
fn host_name(host: &str) -> Option<&str> {
    let host = host.trim();
    if host.is_empty() || host.contains(['@', '/', ' ', '\\']) {
        return None;
    }
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        return (after.is_empty() || after.starts_with(':')).then_some(inside);
    }
    Some(host.split_once(':').map_or(host, |(name, _)| name))
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether the request's `X-Amz-Target` names Kinesis (`Kinesis_20131202.*`).
fn names_kinesis(headers: &HeaderMap) -> bool {
    header_str(headers, "x-amz-target").is_some_and(|t| t.starts_with(kinesis_api::TARGET_PREFIX))
}

/// Which service a request is for, from its target header, path and content type.
pub(crate) fn service_of(uri: &Uri, headers: &HeaderMap) -> Service {
    // The hot path: a Kinesis call is told at once, before the SNS and CloudWatch checks
    // read the Authorization header and the query string; its target wins over a Lambda
    // path, as Kinesis's endpoint ignores the path.
    if names_kinesis(headers) {
        return Service::Kinesis;
    }
    if is_lambda_path(uri.path()) {
        return Service::Lambda;
    }
    if let Some(target) = header_str(headers, "x-amz-target") {
        if target.starts_with(logs_api::TARGET_PREFIX) {
            return Service::Logs;
        }
        if target.starts_with(sqs_api::TARGET_PREFIX) {
            return Service::Sqs;
        }
    }
    if is_sqs_query(uri, headers) {
        return Service::Sqs;
    }
    if is_sns(uri, headers) {
        return Service::Sns;
    }
    if crate::cloudwatch_route(uri, headers).is_some() {
        return Service::CloudWatch;
    }
    Service::Kinesis
}

/// The path of streamwatch's own Prometheus page.
pub(crate) const METRICS_PATH: &str = "/metrics";

/// Whether a request is for streamwatch's own Prometheus page: `GET /metrics`, with or
/// without a query string.
pub(crate) fn is_metrics_page(method: &Method, uri: &Uri) -> bool {
    method == Method::GET && uri.path() == METRICS_PATH
}

/// The paths of the health check: streamwatch's own, kinesis-mock's and LocalStack's.
pub(crate) const HEALTH_PATHS: [&str; 3] = ["/health", "/healthcheck", "/_localstack/health"];

/// Whether a request is for the health check: a GET of one of [`HEALTH_PATHS`].
pub(crate) fn is_health_check(method: &Method, uri: &Uri) -> bool {
    method == Method::GET && HEALTH_PATHS.contains(&uri.path())
}

/// Whether a web page sent the request (rather than Prometheus, curl, or someone typing the
/// address): an `Origin` header, or a `Sec-Fetch-Site` other than `none` (typed, bookmarked)
/// or `same-origin` (this server serves no page that could send it).
fn from_a_web_page(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return Some(format!(
            "Origin {}",
            origin.to_str().unwrap_or("(not text)")
        ));
    }
    let site = headers.get("sec-fetch-site")?;
    match site.to_str() {
        Ok("none" | "same-origin") => None,
        Ok(other) => Some(format!("Sec-Fetch-Site {other}")),
        Err(_) => Some("Sec-Fetch-Site (not text)".to_owned()),
    }
}

/// The refusal of a web page's request for `/metrics`.
fn metrics_from_a_page(why: &str) -> Reply {
    let body = format!(
        "streamwatch's /metrics page answers Prometheus and the address bar, not web pages; this request carried {why}\n"
    );
    Reply::new(403, "text/plain; charset=utf-8", body.into_bytes())
}

/// The refusal of a web page's request for the fault injection endpoint.
fn faults_from_a_page(why: &str) -> Reply {
    let body = format!(
        "streamwatch's fault injection endpoint answers tools and tests, not web pages; this request carried {why}\n"
    );
    Reply::new(403, "text/plain; charset=utf-8", body.into_bytes())
}

/// The refusal of a web page's request for the health check.
fn health_from_a_page(why: &str) -> Reply {
    let body = format!(
        "streamwatch's health check answers healthcheck probes and the address bar, not web pages; this request carried {why}\n"
    );
    Reply::new(403, "text/plain; charset=utf-8", body.into_bytes())
}

/// The refusal of a request for the console that another site's page sent.
fn console_refused(why: &str) -> Reply {
    let body = format!(
        "streamwatch's console answers the address bar and its own page, not other web pages; refused {why}\n"
    );
    Reply::new(403, "text/plain; charset=utf-8", body.into_bytes())
        .with_header("x-frame-options", "DENY")
        .with_header(
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        )
}

/// Lambda's REST paths begin with an API date: `/2015-03-31/functions`, `/2019-09-25/...`.
/// Any such path is Lambda's (its unknown ones get Lambda's 404), not only the ones
/// [`lambda_api::is_lambda_path`] routes.
fn is_lambda_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let date = rest.split('/').next().unwrap_or_default();
    let b = date.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && rest.len() > date.len()
}

/// Whether a request is SNS's by what the front door sees: a SigV4 credential scoped to the
/// `sns` service (in the `Authorization` header or presigned), or a GET whose query string
/// is an SNS request (the SubscribeURL of a confirmation message).
/// Whether a request is SQS in the query protocol (older SDKs): a form body signed for the
/// `sqs` service, in the Authorization header or presigned.
pub(crate) fn is_sqs_query(uri: &Uri, headers: &HeaderMap) -> bool {
    const SCOPE: &str = "/sqs/aws4_request";
    is_form(headers)
        && (header_str(headers, "authorization").is_some_and(|a| a.contains(SCOPE))
            || uri.query().is_some_and(|q| {
                q.contains("X-Amz-Credential=") && q.contains("%2Fsqs%2Faws4_request")
            }))
}

/// Whether the body is a form (`application/x-www-form-urlencoded`): the query protocol.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    header_str(headers, "content-type").is_some_and(aws_wire::is_form_content_type)
}

pub(crate) fn is_sns(uri: &Uri, headers: &HeaderMap) -> bool {
    const SCOPE: &str = "/sns/aws4_request";
    let query = uri.query().unwrap_or_default();
    header_str(headers, "authorization").is_some_and(|a| a.contains(SCOPE))
        || (query.contains("X-Amz-Credential=") && query.contains("%2Fsns%2Faws4_request"))
        || (!query.is_empty()
            && !headers.contains_key("x-amz-target")
            && sns_api::is_sns_form(query.as_bytes()))
}

/// Whether a request carries a SigV4 signature: an `Authorization` header or presigned
/// query credentials. By default any signature is accepted (there are no real secrets
/// here); only its absence is refused, as AWS does. With `--auth verify` a signed request
/// is then checked in `dispatch`, where its body is at hand (see `sigv4`).
pub(crate) fn is_signed(uri: &Uri, headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || uri.query().is_some_and(|q| q.contains("X-Amz-Algorithm="))
}

/// The text AWS sends with an access key it does not know.
const UNKNOWN_KEY_TEXT: &str = "The security token included in the request is invalid.";
/// The text AWS sends with a signature that does not match.
const BAD_SIGNATURE_TEXT: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// The answer of `service`'s front end to a signature `--auth verify` refused, in the
/// service's protocol: JSON services name the error in `__type` (Kinesis and Logs with
/// HTTP 400), the query-compatible ones (SQS, CloudWatch) add the query code in
/// `x-amzn-query-error` (HTTP 403), the query protocol (CloudWatch's form body, SNS) writes
/// an `<ErrorResponse>`, and Lambda's REST front end answers 403 with `x-amzn-ErrorType`.
/// `cloudwatch_protocol` is CloudWatch's protocol when the request is CloudWatch's.
pub(crate) fn auth_refusal(
    service: Service,
    cloudwatch_protocol: Option<aws_wire::Encoding>,
    headers: &HeaderMap,
    error: &crate::sigv4::AuthError,
    request_id: &str,
) -> Reply {
    use crate::sigv4::AuthError;
    use aws_wire::Encoding;
    let (json_code, query_code, message): (&'static str, &'static str, &str) = match error {
        AuthError::UnknownKey => (
            "UnrecognizedClientException",
            "InvalidClientTokenId",
            UNKNOWN_KEY_TEXT,
        ),
        AuthError::BadSignature => (
            "InvalidSignatureException",
            "SignatureDoesNotMatch",
            BAD_SIGNATURE_TEXT,
        ),
        AuthError::Malformed(m) => ("IncompleteSignatureException", "IncompleteSignature", m),
        AuthError::Skewed(m) => ("InvalidSignatureException", "SignatureDoesNotMatch", m),
    };
    let query_status = if query_code == "IncompleteSignature" {
        400
    } else {
        403
    };
    let query_reply = |namespace: &str, content_type: &'static str| {
        let body = aws_wire::query_error(namespace, true, query_code, Some(message), request_id);
        Reply::new(query_status, content_type, body).with_error_code(query_code)
    };
    match service {
        Service::Lambda => {
            let body = serde_json::json!({"Type": "User", "message": message});
            Reply::new(403, "application/json", body.to_string().into_bytes())
                .with_header("x-amzn-ErrorType", json_code)
                .with_error_code(json_code)
        }
        Service::Sns => query_reply(sns_api::XML_NAMESPACE, sns_api::CONTENT_TYPE),
        Service::CloudWatch => match cloudwatch_protocol {
            Some(enc @ (Encoding::Json | Encoding::RpcV2Cbor)) => {
                let mut reply = aws_wire::error_reply(
                    enc,
                    enc.content_type("1.0"),
                    query_status,
                    json_code,
                    Some(message),
                )
                .with_header("x-amzn-query-error", format!("{query_code};Sender"));
                if enc == Encoding::RpcV2Cbor {
                    reply = reply.with_header("smithy-protocol", "rpc-v2-cbor");
                }
                reply
            }
            _ => query_reply(cloudwatch_api::XML_NAMESPACE, "text/xml"),
        },
        Service::Sqs if is_form(headers) => {
            query_reply(sqs_api::XML_NAMESPACE, sqs_api::XML_CONTENT_TYPE)
        }
        Service::Sqs => aws_wire::error_reply(
            Encoding::Json,
            sqs_api::CONTENT_TYPE,
            query_status,
            json_code,
            Some(message),
        )
        .with_header("x-amzn-query-error", format!("{query_code};Sender")),
        _ => {
            let enc = header_str(headers, "content-type")
                .and_then(Encoding::from_content_type)
                .filter(|e| *e == Encoding::Cbor)
                .unwrap_or(Encoding::Json);
            aws_wire::error_reply(enc, enc.content_type("1.1"), 400, json_code, Some(message))
        }
    }
}

/// The media type of a `Content-Type` value, lower case, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    header_str(headers, "content-type").map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

/// The types a browser sends cross-origin without asking first (the CORS-safelisted ones).
fn is_browser_simple_type(media: &str) -> bool {
    matches!(
        media,
        "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data"
    )
}

/// The answer to a request for a host this server does not answer to. Not an AWS error (AWS
/// routes by host before any service): written so every JSON SDK reads it as
/// `AccessDeniedException` with a message that says what to do.
fn foreign_host(host: Option<&str>) -> Reply {
    let message = match host {
        Some(h) => format!(
            "streamwatch answers only to loopback addresses, localhost and the names given with \
             --allowed-host; this request was for host '{h}'"
        ),
        None => "streamwatch refuses requests without a Host header".to_owned(),
    };
    let body = serde_json::json!({"__type": "AccessDeniedException", "message": message});
    Reply::new(
        403,
        "application/x-amz-json-1.1",
        body.to_string().into_bytes(),
    )
    .with_header("x-amzn-ErrorType", "AccessDeniedException")
    .with_header("x-amzn-query-error", "AccessDenied;Sender")
    .with_error_code("AccessDeniedException")
}

/// The refusal a request earns at the door, if any.
fn check(service: Service, uri: &Uri, headers: &HeaderMap) -> Option<Reply> {
    if service == Service::Metrics {
        // Unsigned, but not from a web page.
        return from_a_web_page(headers).map(|why| metrics_from_a_page(&why));
    }
    if service == Service::Health {
        return from_a_web_page(headers).map(|why| health_from_a_page(&why));
    }
    if service == Service::Faults {
        // Unsigned without `--auth verify` (then only loopback or an explicit
        // --allow-unauthenticated-remote reaches it), but never from a web page.
        return from_a_web_page(headers).map(|why| faults_from_a_page(&why));
    }
    if service == Service::Console {
        // Unsigned, but only the address bar and the console's own page (same origin).
        return web_console::refusal(&Method::GET, headers).map(|why| console_refused(&why));
    }
    // Kinesis, CloudWatch and SNS check content type and signature themselves, in their
    // front ends' order (SNS takes an unsigned ConfirmSubscription); nothing is computed
    // here for them (Kinesis puts are the hot path).
    if matches!(
        service,
        Service::Kinesis | Service::CloudWatch | Service::Sns
    ) {
        return None;
    }
    let signed = is_signed(uri, headers);
    let media = media_type(headers);
    match service {
        Service::Lambda => {
            // Lambda's front end authenticates before it looks at the body.
            if !signed {
                return Some(lambda_api::unsigned_reply());
            }
            if let Some(m) = media.as_deref().filter(|m| is_browser_simple_type(m)) {
                return Some(lambda_api::unsupported_media_reply(m));
            }
        }
        // SQS's query protocol (`is_sqs_query`) is signed by construction.
        Service::Sqs if is_form(headers) => {}
        Service::Sqs | Service::Logs => {
            // The JSON front ends read the protocol from the content type first.
            let expected = if service == Service::Sqs {
                sqs_api::CONTENT_TYPE
            } else {
                logs_api::CONTENT_TYPE
            };
            if media.as_deref() != Some(expected) {
                return Some(Reply::unknown_operation());
            }
            if !signed {
                return Some(if service == Service::Sqs {
                    sqs_api::unsigned_reply()
                } else {
                    logs_api::unsigned_reply()
                });
            }
        }
        Service::Kinesis
        | Service::CloudWatch
        | Service::Sns
        | Service::Metrics
        | Service::Health
        | Service::Console
        | Service::Faults => {}
    }
    None
}

/// The request's host as the client named it: HTTP/2's `:authority`, else `Host`.
fn request_host<'r>(uri: &'r Uri, headers: &'r HeaderMap) -> Option<&'r str> {
    uri.authority()
        .map(|a| a.as_str())
        .or_else(|| header_str(headers, "host"))
}

/// Whether a request's service answers browsers under CORS: the AWS services, not the
/// paths of the console, `/metrics` or the health check (an `OPTIONS` of one is told to no
/// page of theirs, but it is no AWS call either).
fn takes_cors(service: Service, uri: &Uri) -> bool {
    let path = uri.path();
    if path == METRICS_PATH || HEALTH_PATHS.contains(&path) || path.starts_with("/console/") {
        return false;
    }
    matches!(
        service,
        Service::Kinesis
            | Service::CloudWatch
            | Service::Lambda
            | Service::Sqs
            | Service::Logs
            | Service::Sns
    )
}

/// A fresh `x-amz-id-2` (AWS's extended request id): base64 of 72 random bytes, the length
/// of the values AWS's JSON services send (kinesalite's recordings decode to 64 to 80 bytes).
/// Not a secret, so a fast generator will do.
fn extended_request_id() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 72];
    fastrand::fill(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What the access log says of a request, taken before the request moves on.
struct AccessLine {
    method: axum::http::Method,
    path: String,
    operation: Option<String>,
}

/// The middleware in front of every route: refuses what the checks refuse, and otherwise
/// hands the request on with its [`RequestId`] and [`Service`] as extensions.
pub(crate) async fn front_door(
    State(door): State<Arc<FrontDoor>>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let host = request_host(req.uri(), req.headers());
    // With both present (HTTP/1.1 absolute form), both must name this server.
    let host_header = header_str(req.headers(), "host");
    let service = if is_metrics_page(req.method(), req.uri()) {
        Service::Metrics
    } else if is_health_check(req.method(), req.uri()) {
        Service::Health
    } else if req.uri().path() == crate::faults::ADMIN_PATH {
        Service::Faults
    } else if names_kinesis(req.headers()) {
        // A Kinesis target is Kinesis's whatever the path, method or content type: AWS
        // answers it from Kinesis's front end (a GET with 403 AccessDeniedException, an
        // unknown content type with 404 UnknownOperationException).
        Service::Kinesis
    } else if web_console::is_console_request(req.method(), req.uri()) {
        Service::Console
    } else {
        service_of(req.uri(), req.headers())
    };
    let host_ok = host.is_some_and(|h| {
        door.host_allowed(h) && host_header.is_none_or(|hh| door.host_allowed(hh))
    });
    // CORS, for the AWS services only (the console, /metrics, /health and the fault
    // endpoint stay refused to other pages by `check`).
    let cors = match req.headers().get(header::ORIGIN) {
        Some(origin) if host_ok && takes_cors(service, req.uri()) => {
            let verdict = origin.to_str().map_or(crate::cors::Verdict::Refused, |o| {
                crate::cors::verdict(&door.cors, o, host)
            });
            Some((verdict, origin.clone()))
        }
        _ => None,
    };
    let preflight = cors.is_some() && crate::cors::is_preflight(req.method(), req.headers());
    let refusal = if !host_ok {
        Some(foreign_host(host_header.or(host)))
    } else {
        match &cors {
            // A signed call from a refused page is not run (a browser sends no
            // Authorization without a preflight, but a presigned URL needs none); an
            // unsigned one meets each service's own refusal, as before.
            Some((crate::cors::Verdict::Refused, origin))
                if !preflight && is_signed(req.uri(), req.headers()) =>
            {
                Some(crate::cors::refused(origin))
            }
            _ => check(service, req.uri(), req.headers()),
        }
    };
    // The line's parts are copied only when someone reads the log (Kinesis puts are the hot
    // path).
    let logging =
        door.access_log || tracing::enabled!(target: "streamwatch::access", tracing::Level::DEBUG);
    let line = logging.then(|| AccessLine {
        method: req.method().clone(),
        path: req.uri().path().to_owned(),
        operation: header_str(req.headers(), "x-amz-target")
            .and_then(|t| t.rsplit_once('.'))
            .map(|(_, op)| op.to_owned()),
    });
    let mut resp = match (refusal, &cors) {
        (_, Some((verdict, origin))) if preflight => {
            crate::cors::preflight(*verdict, origin, req.headers())
        }
        (Some(reply), _) => crate::write_reply(reply),
        (None, _) => {
            req.extensions_mut().insert(RequestId(request_id.clone()));
            req.extensions_mut().insert(service);
            next.run(req).await
        }
    };
    if !resp.headers().contains_key("x-amzn-requestid")
        && let Ok(v) = HeaderValue::from_str(&request_id)
    {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    // AWS leaves it off a preflight's answer.
    if !preflight
        && !resp.headers().contains_key("x-amz-id-2")
        && let Ok(v) = HeaderValue::from_str(&extended_request_id())
    {
        resp.headers_mut().insert("x-amz-id-2", v);
    }
    if let Some((verdict, origin)) = &cors
        && !preflight
        && *verdict != crate::cors::Verdict::Refused
    {
        crate::cors::decorate(&mut resp, *verdict, origin);
    }
    if let Some(line) = line {
        let status = resp.status().as_u16();
        let error = resp
            .headers()
            .get("x-amzn-errortype")
            .or_else(|| resp.headers().get("x-amzn-query-error"))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (method, path) = (line.method, line.path);
        let operation = line.operation.as_deref().unwrap_or("-");
        if door.access_log {
            tracing::info!(target: "streamwatch::access", %method, path, service = service.name(), operation, status, error, elapsed_ms, request_id);
        } else {
            tracing::debug!(target: "streamwatch::access", %method, path, service = service.name(), operation, status, error, elapsed_ms, request_id);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn door(allowed: &[&str], bound: &str) -> FrontDoor {
        FrontDoor::new(
            &FrontDoorConfig {
                allowed_hosts: allowed.iter().map(|s| (*s).to_owned()).collect(),
                access_log: false,
                auth: None,
                cors_origins: None,
            },
            bound.parse().unwrap(),
        )
    }

    #[test]
    fn loopback_names_and_addresses_are_allowed() {
        let d = door(&[], "127.0.0.1");
        for host in [
            "127.0.0.1:4567",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:4567",
            "[::1]",
            "localhost:4567",
            "LOCALHOST",
            "localhost.",
            "api.localhost:4567",
            "[::ffff:127.0.0.1]:4567",
        ] {
            assert!(d.host_allowed(host), "{host} should be allowed");
        }
    }

    #[test]
    fn foreign_and_malformed_hosts_are_refused() {
        let d = door(&[], "0.0.0.0");
        for host in [
            "evil.example:4567",
            "rebind.attacker.test",
            "localhost.evil.example",
            "192.168.1.10:4567",
            "0.0.0.0:4567",
            "",
            "user@127.0.0.1",
            "[::1",
            "[::1]x",
        ] {
            assert!(!d.host_allowed(host), "{host} should be refused");
        }
    }

    #[test]
    fn allowed_hosts_and_the_bound_address_are_accepted() {
        let d = door(&["host.docker.internal", "Kinesis.Test."], "192.168.1.10");
        assert!(d.host_allowed("host.docker.internal:4567"));
        assert!(d.host_allowed("kinesis.test"));
        assert!(d.host_allowed("192.168.1.10:4567"));
        assert!(!d.host_allowed("192.168.1.11:4567"));
        assert!(!d.host_allowed("docker.internal"));
    }

    #[test]
    fn services_are_told_apart() {
        let mut h = HeaderMap::new();
        let root: Uri = "/".parse().unwrap();
        assert_eq!(service_of(&root, &h), Service::Kinesis);
        let lambda: Uri = "/2015-03-31/functions/f/invocations".parse().unwrap();
        assert_eq!(service_of(&lambda, &h), Service::Lambda);
        assert!(!is_lambda_path("/2015-03-31"));
        assert!(!is_lambda_path("/2015x03-31/functions"));
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("AmazonSQS.SendMessage"),
        );
        assert_eq!(service_of(&root, &h), Service::Sqs);
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("Logs_20140328.GetLogEvents"),
        );
        assert_eq!(service_of(&root, &h), Service::Logs);
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("GraniteServiceVersion20100801.ListMetrics"),
        );
        assert_eq!(service_of(&root, &h), Service::CloudWatch);
    }

    #[test]
    fn sns_is_told_by_its_credential_scope_or_its_subscribe_url() {
        let root: Uri = "/".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        // An unsigned form body is CloudWatch's until its body is read.
        assert_eq!(service_of(&root, &h), Service::CloudWatch);
        h.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x",
            ),
        );
        assert_eq!(service_of(&root, &h), Service::Sns);
        assert!(crate::cloudwatch_route(&root, &h).is_none());
        h.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x",
            ),
        );
        assert_eq!(service_of(&root, &h), Service::CloudWatch);
        let confirm: Uri =
            "/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:000000000000:t&Token=ab"
                .parse()
                .unwrap();
        assert_eq!(service_of(&confirm, &HeaderMap::new()), Service::Sns);
        assert!(check(Service::Sns, &confirm, &HeaderMap::new()).is_none());
    }

    #[test]
    fn the_health_check_is_a_get_of_its_paths_and_refuses_web_pages() {
        for path in HEALTH_PATHS {
            let uri: Uri = path.parse().unwrap();
            assert!(is_health_check(&Method::GET, &uri), "{path}");
            assert!(!is_health_check(&Method::POST, &uri), "{path}");
            assert!(!is_lambda_path(path));
            assert!(crate::cloudwatch_route(&uri, &HeaderMap::new()).is_none());
            assert!(!is_sns(&uri, &HeaderMap::new()));
            let mut h = HeaderMap::new();
            assert!(
                check(Service::Health, &uri, &h).is_none(),
                "unsigned is fine"
            );
            h.insert(
                header::ORIGIN,
                HeaderValue::from_static("https://a.example"),
            );
            let r = crate::write_reply(check(Service::Health, &uri, &h).unwrap());
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        }
        assert!(!is_health_check(
            &Method::GET,
            &"/health/x".parse().unwrap()
        ));
    }

    #[test]
    fn the_metrics_page_is_a_get_of_its_path_and_refuses_web_pages() {
        let metrics: Uri = "/metrics".parse().unwrap();
        assert!(is_metrics_page(&Method::GET, &metrics));
        assert!(is_metrics_page(
            &Method::GET,
            &"/metrics?x=1".parse().unwrap()
        ));
        assert!(!is_metrics_page(&Method::POST, &metrics));
        assert!(!is_metrics_page(
            &Method::GET,
            &"/metrics/x".parse().unwrap()
        ));
        assert!(!is_metrics_page(&Method::GET, &"/".parse().unwrap()));
        // No AWS service claims the path by itself.
        assert!(!is_lambda_path("/metrics"));
        assert!(crate::cloudwatch_route(&metrics, &HeaderMap::new()).is_none());
        assert!(!is_sns(&metrics, &HeaderMap::new()));

        let mut h = HeaderMap::new();
        assert!(
            check(Service::Metrics, &metrics, &h).is_none(),
            "unsigned is fine"
        );
        for site in ["none", "same-origin"] {
            h.insert("sec-fetch-site", HeaderValue::from_static(site));
            assert!(check(Service::Metrics, &metrics, &h).is_none(), "{site}");
        }
        for site in ["cross-site", "same-site"] {
            h.insert("sec-fetch-site", HeaderValue::from_static(site));
            let r = crate::write_reply(check(Service::Metrics, &metrics, &h).unwrap());
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{site}");
        }
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static("https://evil.example"));
        let r = crate::write_reply(check(Service::Metrics, &metrics, &h).unwrap());
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn the_console_is_a_get_of_its_paths_and_refuses_other_sites() {
        let root: Uri = "/".parse().unwrap();
        let api: Uri = "/console/api/overview".parse().unwrap();
        assert!(web_console::is_console_request(&Method::GET, &root));
        assert!(web_console::is_console_request(&Method::GET, &api));
        // An SNS SubscribeURL (a query string) and every POST stay with the services.
        let confirm: Uri = "/?Action=ConfirmSubscription&Token=x".parse().unwrap();
        assert!(!web_console::is_console_request(&Method::GET, &confirm));
        assert!(!web_console::is_console_request(&Method::POST, &root));
        assert!(!is_lambda_path("/console/api/overview"));

        let mut h = HeaderMap::new();
        assert!(check(Service::Console, &api, &h).is_none());
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(check(Service::Console, &api, &h).is_none());
        for site in ["cross-site", "same-site"] {
            h.insert("sec-fetch-site", HeaderValue::from_static(site));
            let r = crate::write_reply(check(Service::Console, &api, &h).unwrap());
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{site}");
            assert_eq!(r.headers()["x-frame-options"], "DENY");
        }
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static("https://evil.example"));
        let r = crate::write_reply(check(Service::Console, &api, &h).unwrap());
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn json_services_refuse_browser_types_and_unsigned_calls() {
        let root: Uri = "/".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("text/plain"));
        let r = crate::write_reply(check(Service::Sqs, &root, &h).unwrap());
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.0"),
        );
        let r = crate::write_reply(check(Service::Sqs, &root, &h).unwrap());
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            r.headers()["x-amzn-query-error"],
            "MissingAuthenticationToken;Sender"
        );
        h.insert(
            "authorization",
            HeaderValue::from_static("AWS4-HMAC-SHA256 x"),
        );
        assert!(check(Service::Sqs, &root, &h).is_none());

        let lambda: Uri = "/2015-03-31/functions".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("text/plain"));
        let r = crate::write_reply(check(Service::Lambda, &lambda, &h).unwrap());
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            r.headers()["x-amzn-errortype"],
            "MissingAuthenticationTokenException"
        );
        h.insert(
            "authorization",
            HeaderValue::from_static("AWS4-HMAC-SHA256 x"),
        );
        let r = crate::write_reply(check(Service::Lambda, &lambda, &h).unwrap());
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        h.insert("content-type", HeaderValue::from_static("application/json"));
        assert!(check(Service::Lambda, &lambda, &h).is_none());
        let presigned: Uri = "/2015-03-31/functions?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            .parse()
            .unwrap();
        assert!(is_signed(&presigned, &HeaderMap::new()));
    }
}
