//! The Lambda Runtime API (2018-06-01) over HTTP, for lambda-engine's instances.
//!
//! [`RuntimeApiServer`] is the [`RuntimeApiHost`] a server plugs into the engine
//! ([`lambda_engine::LambdaEngine::set_runtime_api`]): for each instance it binds a free
//! port of 127.0.0.1 and serves that instance's [`RuntimeEndpoint`] there, the address the
//! instance's bootstrap finds in `AWS_LAMBDA_RUNTIME_API`. The runtime asks
//! `GET /runtime/invocation/next` for work and answers on `/response` or `/error`, or
//! reports a failed start on `/runtime/init/error`; what those mean is the engine's, the
//! routes, headers and status codes are this crate's.
//!
//! Only the instance may call: a request whose `Host` is not a loopback address or
//! `localhost`, or that carries a header only browsers send (`Origin`, `Sec-Fetch-*`), is
//! refused with 403 before it reaches a route, so that no web page (cross-origin or through
//! DNS rebinding) can take an instance's events or answer for it.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lambda_engine::runtime_api::{RuntimeApiHost, RuntimeEndpoint, RuntimeError, ServedRuntimeApi};

/// Serves each instance's Runtime API on its own loopback port.
#[derive(Debug, Default, Clone, Copy)]
pub struct RuntimeApiServer;

impl RuntimeApiHost for RuntimeApiServer {
    fn serve(&self, endpoint: RuntimeEndpoint) -> std::io::Result<ServedRuntimeApi> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router(endpoint)).await;
        });
        Ok(ServedRuntimeApi::new(address, task))
    }
}

/// The Runtime API's routes over one instance's endpoint.
pub fn router(endpoint: RuntimeEndpoint) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .layer(middleware::from_fn(only_the_instance))
        .with_state(endpoint)
}

/// Refuses what did not come from the instance's runtime (see the crate's documentation).
async fn only_the_instance(request: Request, next: Next) -> Response {
    if from_a_runtime(request.headers()) {
        next.run(request).await
    } else {
        api_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Only the function instance may call its Runtime API",
        )
    }
}

/// Whether the headers are a runtime's: a loopback `Host` and nothing only a browser sends.
fn from_a_runtime(headers: &HeaderMap) -> bool {
    let browser_only = headers.contains_key("origin")
        || headers
            .keys()
            .any(|name| name.as_str().starts_with("sec-fetch-"));
    let host = headers.get("host").and_then(|v| v.to_str().ok());
    !browser_only && host.is_some_and(is_loopback_host)
}

/// `127.0.0.1:9001`, `[::1]:9001`, `localhost:9001` (a port is optional).
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((inside, after)) if after.is_empty() || after.starts_with(':') => inside,
            _ => return false,
        },
        None => host.split_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

async fn next(State(endpoint): State<RuntimeEndpoint>) -> Response {
    let Some(invocation) = endpoint.next().await else {
        // The instance is being shut down.
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put("lambda-runtime-aws-request-id", &invocation.request_id);
    put(
        "lambda-runtime-deadline-ms",
        &invocation.deadline_ms.to_string(),
    );
    put(
        "lambda-runtime-invoked-function-arn",
        &invocation.function_arn,
    );
    put("lambda-runtime-trace-id", &invocation.trace_id);
    put("content-type", "application/json");
    (StatusCode::OK, headers, invocation.payload).into_response()
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [("content-type", "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

fn api_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = serde_json::json!({"errorMessage": message, "errorType": error_type});
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The answer to an answer the endpoint refused.
fn refused(e: RuntimeError) -> Response {
    match e {
        RuntimeError::UnknownRequest => api_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "Invalid request ID",
        ),
        RuntimeError::ResponseTooLarge => api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "response payload too large",
        ),
    }
}

async fn response(
    State(endpoint): State<RuntimeEndpoint>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    match endpoint.respond(&id, body) {
        Ok(()) => accepted(),
        Err(e) => refused(e),
    }
}

async fn error(
    State(endpoint): State<RuntimeEndpoint>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match endpoint.fail(&id, error_type, body) {
        Ok(()) => accepted(),
        Err(e) => refused(e),
    }
}

async fn init_error(State(endpoint): State<RuntimeEndpoint>, body: Bytes) -> Response {
    endpoint.init_error(body);
    accepted()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    axum::http::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn runtimes_pass_and_browsers_and_foreign_hosts_do_not() {
        for host in [
            "127.0.0.1:9001",
            "[::1]:9001",
            "localhost:9001",
            "127.0.0.1",
        ] {
            assert!(from_a_runtime(&headers(&[("host", host)])), "{host}");
        }
        for host in [
            "evil.example:9001",
            "10.0.0.1:9001",
            "[::1",
            "127.0.0.1.evil.example",
        ] {
            assert!(!from_a_runtime(&headers(&[("host", host)])), "{host}");
        }
        assert!(!from_a_runtime(&HeaderMap::new()), "no Host at all");
        assert!(!from_a_runtime(&headers(&[
            ("host", "127.0.0.1:9001"),
            ("origin", "https://evil.example"),
        ])));
        assert!(!from_a_runtime(&headers(&[
            ("host", "127.0.0.1:9001"),
            ("sec-fetch-mode", "no-cors"),
        ])));
    }
}
