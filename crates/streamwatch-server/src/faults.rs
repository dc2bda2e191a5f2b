//! Fault injection at the front of every service (`--fault`, `--faults FILE`, the admin
//! endpoint): which action a request is, an injected error in the service's own protocol, a
//! connection closed without an answer, and `/_streamwatch/faults` to read and change the
//! rules at run time. The rules and decisions are the `fault-injection` crate's.

use std::pin::Pin;
use std::task::{Context, Poll};

use aws_wire::{Encoding, Reply};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use cloudwatch_api::{CloudWatchApi, CwError, Protocol};
use fault_injection::{ErrorCode, FaultFile, Faults};

use crate::front_door::Service;

/// The admin endpoint's path.
pub(crate) const ADMIN_PATH: &str = "/_streamwatch/faults";

/// The rule set's name for a service the front door told apart (none for streamwatch's own
/// pages).
pub(crate) fn service_of(service: Service) -> Option<fault_injection::Service> {
    Some(match service {
        Service::Kinesis => fault_injection::Service::Kinesis,
        Service::CloudWatch => fault_injection::Service::CloudWatch,
        Service::Lambda => fault_injection::Service::Lambda,
        Service::Sqs => fault_injection::Service::Sqs,
        Service::Sns => fault_injection::Service::Sns,
        Service::Logs => fault_injection::Service::Logs,
        _ => return None,
    })
}

/// The action a request calls, as rules name it: the target's operation, CloudWatch's path
/// operation, a query body's `Action`, Lambda's route. Empty when it cannot be told (only
/// `*` rules match it then).
pub(crate) fn action_of(
    service: Service,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> String {
    let target_op = || {
        headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.rsplit_once('.'))
            .map(|(_, op)| op.to_owned())
    };
    let query_action = |form: &[u8]| {
        aws_wire::decode_query(form)
            .ok()
            .and_then(|q| q.action.map(|a| a.into_owned()))
    };
    let found = match service {
        Service::Kinesis | Service::Logs => target_op(),
        Service::Sqs => target_op().or_else(|| query_action(body)),
        Service::CloudWatch => match crate::cloudwatch_route(uri, headers) {
            Some((Protocol::Query, _)) => query_action(body),
            Some((_, op)) => op.map(str::to_owned),
            None => None,
        },
        Service::Sns => {
            query_action(body).or_else(|| uri.query().and_then(|q| query_action(q.as_bytes())))
        }
        Service::Lambda => {
            lambda_api::operation(method.as_str(), uri.path()).map(|o| o.name().to_owned())
        }
        _ => None,
    };
    found.unwrap_or_default()
}

/// `code` answered in `service`'s protocol, as its API crate answers its own errors.
pub(crate) fn error_reply(
    service: Service,
    code: &'static ErrorCode,
    cloudwatch: &CloudWatchApi,
    uri: &Uri,
    headers: &HeaderMap,
    request_id: &str,
) -> Reply {
    let message = Some(code.message);
    match service {
        Service::CloudWatch => {
            let protocol = crate::cloudwatch_route(uri, headers)
                .map(|(p, _)| p)
                .unwrap_or(Protocol::Query);
            let e = CwError {
                type_id: format!("{}#{}", cloudwatch_api::ERROR_NAMESPACE, code.code),
                query_code: code.query_code,
                status: code.status,
                sender: code.sender,
                message: message.map(str::to_owned),
                validation_messages: Vec::new(),
            };
            cloudwatch.error_reply(protocol, &e, request_id)
        }
        Service::Sqs if crate::front_door::is_form(headers) => Reply::new(
            code.status,
            sqs_api::XML_CONTENT_TYPE,
            aws_wire::query_error(
                sqs_api::XML_NAMESPACE,
                code.sender,
                code.query_code,
                message,
                request_id,
            ),
        )
        .with_error_code(code.code),
        Service::Sqs => {
            let (body, header) = aws_wire::query_compatible_error(
                Encoding::Json,
                "com.amazonaws.sqs",
                code.code,
                code.query_code,
                code.sender,
                message,
            );
            Reply::new(code.status, sqs_api::CONTENT_TYPE, body)
                .with_header(aws_wire::QUERY_ERROR_HEADER, header)
                .with_error_code(code.code)
        }
        Service::Sns => Reply::new(
            code.status,
            sns_api::CONTENT_TYPE,
            aws_wire::query_error(
                sns_api::XML_NAMESPACE,
                code.sender,
                code.query_code,
                message,
                request_id,
            ),
        )
        .with_error_code(code.code),
        Service::Lambda => {
            if code.status == 429 {
                // Lambda's throttle names its reason and when to come back.
                aws_wire::rest_json_error(
                    code.status,
                    code.code,
                    code.message,
                    &[("Reason", "CallerRateLimitExceeded")],
                )
                .with_header("Retry-After", "1")
            } else {
                aws_wire::rest_json_error(code.status, code.code, code.message, &[])
            }
        }
        Service::Logs => aws_wire::error_reply(
            Encoding::Json,
            logs_api::CONTENT_TYPE,
            code.status,
            code.code,
            message,
        ),
        _ => {
            // Kinesis answers in the encoding it was asked in: JSON 1.1 or CBOR 1.1.
            let enc = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .and_then(Encoding::from_content_type)
                .filter(|e| *e == Encoding::Cbor)
                .unwrap_or(Encoding::Json);
            aws_wire::error_reply(
                enc,
                enc.content_type("1.1"),
                code.status,
                code.code,
                message,
            )
        }
    }
}

/// A body that fails at once: hyper then closes the connection (HTTP/1.1) or resets the
/// stream (HTTP/2) before anything of the response is sent, so the client sees the
/// connection closed without an answer.
struct Aborted;

impl http_body::Body for Aborted {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by fault injection",
        ))))
    }
}

/// The response that drops the connection instead of answering.
pub(crate) fn dropped_connection() -> Response {
    Response::new(Body::new(Aborted))
}

/// What the admin endpoint answers: the seed, the rules in force and the counts so far.
fn state_json(faults: &Faults) -> Vec<u8> {
    serde_json::json!({
        "seed": faults.seed(),
        "rules": faults.rules(),
        "injected": faults.injected(),
    })
    .to_string()
    .into_bytes()
}

fn json_reply(status: u16, body: Vec<u8>) -> Reply {
    Reply::new(status, "application/json", body)
}

fn refusal(status: u16, message: &str) -> Reply {
    json_reply(
        status,
        serde_json::json!({ "message": message })
            .to_string()
            .into_bytes(),
    )
}

/// `/_streamwatch/faults`: GET reads the rules and counts; PUT replaces the rules (and the
/// seed, when given) with a JSON body `{"seed": 7, "rules": [...]}`, POST adds its rules,
/// DELETE removes every rule. A body must be `application/json`, which no web page can send
/// across origins without asking first (and the front door refuses web pages anyway).
pub(crate) fn admin(faults: &Faults, method: &Method, headers: &HeaderMap, body: &[u8]) -> Reply {
    if method == Method::GET {
        return json_reply(200, state_json(faults));
    }
    if method == Method::DELETE {
        faults.clear();
        return json_reply(200, state_json(faults));
    }
    if method != Method::PUT && method != Method::POST {
        return refusal(405, "use GET, PUT, POST or DELETE");
    }
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.trim_start().starts_with("application/json"));
    if !json {
        return refusal(415, "send the rules as application/json");
    }
    let text = String::from_utf8_lossy(body);
    let file = match FaultFile::parse(&text, true) {
        Ok(f) => f,
        Err(e) => return refusal(400, &e.to_string()),
    };
    let seed = file.seed;
    let rules = match file.into_rules() {
        Ok(r) => r,
        Err(e) => return refusal(400, &e.to_string()),
    };
    if let Some(seed) = seed {
        faults.reseed(seed);
    }
    if method == Method::PUT {
        faults.replace(rules);
    } else {
        faults.add(rules);
    }
    json_reply(200, state_json(faults))
}
