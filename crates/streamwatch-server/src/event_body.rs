//! SubscribeToShard's answer as an HTTP body: each event-stream message is sent as one data
//! frame as soon as the API crate has it (chunked over HTTP/1.1, DATA frames over HTTP/2).
//! When the server shuts down every open stream ends, so a five-minute subscription never
//! holds shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper::body::Frame;
use kinesis_api::EventStream;
use tokio::sync::watch;

type NextMessage = Pin<Box<dyn Future<Output = (EventStream, Option<Vec<u8>>)> + Send>>;

/// The body: the stream between messages, or the wait for its next message.
struct EventBody {
    idle: Option<EventStream>,
    pending: Option<NextMessage>,
    closing: Arc<watch::Sender<bool>>,
}

/// The 200 response carrying `stream`; it ends early when `closing` turns true.
pub(crate) fn response(stream: EventStream, closing: Arc<watch::Sender<bool>>) -> Response {
    let body = EventBody {
        idle: Some(stream),
        pending: None,
        closing,
    };
    let mut resp = Response::new(Body::new(body));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(kinesis_api::EVENT_STREAM_CONTENT_TYPE),
    );
    resp
}

fn next_message(mut stream: EventStream, mut closing: watch::Receiver<bool>) -> NextMessage {
    Box::pin(async move {
        let message = {
            let next = stream.next_message();
            let closed = closing.wait_for(|c| *c);
            tokio::pin!(next);
            tokio::pin!(closed);
            std::future::poll_fn(|cx| {
                if let Poll::Ready(m) = next.as_mut().poll(cx) {
                    return Poll::Ready(m);
                }
                if closed.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                Poll::Pending
            })
            .await
        };
        (stream, message)
    })
}

impl hyper::body::Body for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        if this.pending.is_none() {
            let Some(stream) = this.idle.take() else {
                return Poll::Ready(None);
            };
            this.pending = Some(next_message(stream, this.closing.subscribe()));
        }
        let Some(pending) = this.pending.as_mut() else {
            return Poll::Ready(None);
        };
        match pending.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready((stream, message)) => {
                this.pending = None;
                match message {
                    Some(m) => {
                        this.idle = Some(stream);
                        Poll::Ready(Some(Ok(Frame::data(Bytes::from(m)))))
                    }
                    None => Poll::Ready(None),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.idle.is_none() && self.pending.is_none()
    }
}
