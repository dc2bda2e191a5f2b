//! The Lambda Runtime API (2018-06-01) one function instance talks to: its bootstrap asks
//! `GET /runtime/invocation/next` for work and answers on `/response` or `/error`, or reports
//! a failed start on `/runtime/init/error`. Each instance has its own listener, as each Lambda
//! execution environment has its own `AWS_LAMBDA_RUNTIME_API`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

/// Largest response payload a function may return (6 MiB), as the Runtime API enforces.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// One invocation handed to the instance.
#[derive(Debug)]
pub struct Invocation {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// The event.
    pub payload: Bytes,
    /// `Lambda-Runtime-Deadline-Ms`: epoch ms by which the function must answer.
    pub deadline_ms: i64,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub function_arn: String,
    /// `Lambda-Runtime-Trace-Id`.
    pub trace_id: String,
    /// Where the outcome goes.
    pub reply: oneshot::Sender<Outcome>,
}

/// How an invocation ended, as the function reported it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST /response`: the function's result.
    Response(Bytes),
    /// `POST /error`: the error document and `Lambda-Runtime-Function-Error-Type`.
    Error {
        /// The JSON error document (`errorMessage`, `errorType`, ...).
        body: Bytes,
        /// The error type header, if sent.
        error_type: Option<String>,
    },
}

/// Signals from the instance's runtime: its first `next` (it has initialised) or an init
/// error.
#[derive(Debug, Clone, PartialEq)]
pub enum Lifecycle {
    /// The runtime asked for its first invocation: initialisation is over.
    Ready,
    /// `POST /runtime/init/error` with its body.
    InitError(Bytes),
}

struct ApiState {
    next: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    lifecycle: mpsc::UnboundedSender<Lifecycle>,
    ready_sent: Mutex<bool>,
}

/// A running Runtime API endpoint for one instance.
pub struct RuntimeApi {
    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub address: SocketAddr,
    /// Where invocations are queued for the instance.
    pub invocations: mpsc::Sender<Invocation>,
    /// Lifecycle signals.
    pub lifecycle: mpsc::UnboundedReceiver<Lifecycle>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Binds a listener on a free loopback port and serves the API on it.
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(1);
        let (life_tx, life_rx) = mpsc::unbounded_channel();
        let state = Arc::new(ApiState {
            next: tokio::sync::Mutex::new(rx),
            pending: Mutex::new(HashMap::new()),
            lifecycle: life_tx,
            ready_sent: Mutex::new(false),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(state);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi {
            address,
            invocations: tx,
            lifecycle: life_rx,
            server,
        })
    }
}

async fn next(State(state): State<Arc<ApiState>>) -> Response {
    {
        let mut sent = state.ready_sent.lock();
        if !*sent {
            *sent = true;
            let _ = state.lifecycle.send(Lifecycle::Ready);
        }
    }
    let invocation = {
        let mut rx = state.next.lock().await;
        rx.recv().await
    };
    let Some(inv) = invocation else {
        // The instance is being shut down.
        return StatusCode::GONE.into_response();
    };
    state
        .pending
        .lock()
        .insert(inv.request_id.clone(), inv.reply);
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put("lambda-runtime-aws-request-id", &inv.request_id);
    put("lambda-runtime-deadline-ms", &inv.deadline_ms.to_string());
    put("lambda-runtime-invoked-function-arn", &inv.function_arn);
    put("lambda-runtime-trace-id", &inv.trace_id);
    put("content-type", "application/json");
    (StatusCode::OK, headers, inv.payload).into_response()
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

/// The answer to a response or error for a request id that is not waiting.
fn unknown_request() -> Response {
    api_error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID",
    )
}

async fn response(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(reply) = state.pending.lock().remove(&id) else {
        return unknown_request();
    };
    if body.len() > MAX_RESPONSE_BYTES {
        let error = serde_json::json!({
            "errorMessage": format!(
                "Response payload size ({} bytes) exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
                body.len()
            ),
            "errorType": "Function.ResponseSizeTooLarge",
        });
        let _ = reply.send(Outcome::Error {
            body: Bytes::from(error.to_string()),
            error_type: Some("Function.ResponseSizeTooLarge".into()),
        });
        return api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "response payload too large",
        );
    }
    let _ = reply.send(Outcome::Response(body));
    accepted()
}

async fn error(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(reply) = state.pending.lock().remove(&id) else {
        return unknown_request();
    };
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let _ = reply.send(Outcome::Error { body, error_type });
    accepted()
}

async fn init_error(State(state): State<Arc<ApiState>>, body: Bytes) -> Response {
    let _ = state.lifecycle.send(Lifecycle::InitError(body));
    accepted()
}
