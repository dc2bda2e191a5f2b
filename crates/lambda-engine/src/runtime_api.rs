//! The Lambda Runtime API (2018-06-01) as one function instance sees it, without its HTTP:
//! the instance's bootstrap asks for work ([`RuntimeEndpoint::next`]), answers with a
//! response or an error, or reports a failed start. Each instance has its own endpoint, as
//! each Lambda execution environment has its own `AWS_LAMBDA_RUNTIME_API`.
//!
//! The HTTP server is plugged in as a [`RuntimeApiHost`] (the `lambda-runtime-api` crate):
//! asked to serve one instance's endpoint on a loopback port, it returns the address the
//! instance is given.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

/// Largest response payload a function may return (6 MiB), as the Runtime API enforces.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// Serves the Runtime API of instances: the HTTP side the engine is given.
pub trait RuntimeApiHost: Send + Sync {
    /// Serves `endpoint` on a free port of 127.0.0.1 until the returned value is dropped.
    /// Called inside a Tokio runtime.
    fn serve(&self, endpoint: RuntimeEndpoint) -> std::io::Result<ServedRuntimeApi>;
}

/// One instance's Runtime API being served; dropping it stops the serving task.
#[derive(Debug)]
pub struct ServedRuntimeApi {
    address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl ServedRuntimeApi {
    /// The API served on `address` by `task`, which is aborted on drop.
    pub fn new(address: SocketAddr, task: tokio::task::JoinHandle<()>) -> ServedRuntimeApi {
        ServedRuntimeApi { address, task }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for ServedRuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One invocation handed to the instance.
#[derive(Debug)]
pub(crate) struct Invocation {
    pub(crate) next: NextInvocation,
    /// Where the outcome goes.
    pub(crate) reply: oneshot::Sender<Outcome>,
}

/// An invocation as `GET /runtime/invocation/next` returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct NextInvocation {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// The event (the response body).
    pub payload: Bytes,
    /// `Lambda-Runtime-Deadline-Ms`: epoch ms by which the function must answer.
    pub deadline_ms: i64,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub function_arn: String,
    /// `Lambda-Runtime-Trace-Id`.
    pub trace_id: String,
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
pub(crate) enum Lifecycle {
    /// The runtime asked for its first invocation: initialisation is over.
    Ready,
    /// `POST /runtime/init/error` with its body.
    InitError(Bytes),
}

/// Why the endpoint refused an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// No invocation with that request id is waiting for an answer.
    #[error("Invalid request ID")]
    UnknownRequest,
    /// The response was over [`MAX_RESPONSE_BYTES`]; the invocation ended with a
    /// `Function.ResponseSizeTooLarge` error instead.
    #[error("response payload too large")]
    ResponseTooLarge,
}

struct EndpointState {
    next: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    lifecycle: mpsc::UnboundedSender<Lifecycle>,
    ready_sent: Mutex<bool>,
}

/// One instance's Runtime API: what its HTTP routes call. Clones share the endpoint.
#[derive(Clone)]
pub struct RuntimeEndpoint {
    state: Arc<EndpointState>,
}

impl std::fmt::Debug for RuntimeEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeEndpoint")
            .field("pending", &self.state.pending.lock().len())
            .finish()
    }
}

/// The instance's side of an endpoint: where invocations are queued and lifecycle signals
/// arrive.
pub(crate) struct InstanceSide {
    pub(crate) invocations: mpsc::Sender<Invocation>,
    pub(crate) lifecycle: mpsc::UnboundedReceiver<Lifecycle>,
}

impl RuntimeEndpoint {
    /// A new endpoint and the instance's side of it.
    pub(crate) fn new() -> (RuntimeEndpoint, InstanceSide) {
        let (tx, rx) = mpsc::channel(1);
        let (life_tx, life_rx) = mpsc::unbounded_channel();
        let endpoint = RuntimeEndpoint {
            state: Arc::new(EndpointState {
                next: tokio::sync::Mutex::new(rx),
                pending: Mutex::new(HashMap::new()),
                lifecycle: life_tx,
                ready_sent: Mutex::new(false),
            }),
        };
        let side = InstanceSide {
            invocations: tx,
            lifecycle: life_rx,
        };
        (endpoint, side)
    }

    /// `GET /runtime/invocation/next`: waits for the next invocation; `None` once the
    /// instance is being shut down. The first call tells the engine the runtime has
    /// initialised.
    pub async fn next(&self) -> Option<NextInvocation> {
        {
            let mut sent = self.state.ready_sent.lock();
            if !*sent {
                *sent = true;
                let _ = self.state.lifecycle.send(Lifecycle::Ready);
            }
        }
        let invocation = {
            let mut rx = self.state.next.lock().await;
            rx.recv().await
        }?;
        self.state
            .pending
            .lock()
            .insert(invocation.next.request_id.clone(), invocation.reply);
        Some(invocation.next)
    }

    /// `POST /runtime/invocation/{id}/response`.
    pub fn respond(&self, request_id: &str, body: Bytes) -> Result<(), RuntimeError> {
        let reply = self
            .state
            .pending
            .lock()
            .remove(request_id)
            .ok_or(RuntimeError::UnknownRequest)?;
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
            return Err(RuntimeError::ResponseTooLarge);
        }
        let _ = reply.send(Outcome::Response(body));
        Ok(())
    }

    /// `POST /runtime/invocation/{id}/error`, with the `Lambda-Runtime-Function-Error-Type`
    /// header if sent.
    pub fn fail(
        &self,
        request_id: &str,
        error_type: Option<String>,
        body: Bytes,
    ) -> Result<(), RuntimeError> {
        let reply = self
            .state
            .pending
            .lock()
            .remove(request_id)
            .ok_or(RuntimeError::UnknownRequest)?;
        let _ = reply.send(Outcome::Error { body, error_type });
        Ok(())
    }

    /// `POST /runtime/init/error`: the runtime failed to initialise.
    pub fn init_error(&self, body: Bytes) {
        let _ = self.state.lifecycle.send(Lifecycle::InitError(body));
    }
}
