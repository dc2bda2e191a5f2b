//! An HTTP endpoint serving a [`PrometheusCollector`] at `GET /metrics`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::prometheus::{OPENMETRICS_CONTENT_TYPE, PrometheusCollector};

/// How long [`MetricsServer::shutdown`] waits for open connections before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `collector` at `GET /metrics` on `addr` (port 0 picks a free port; see
/// [`MetricsServer::addr`]), with content type [`OPENMETRICS_CONTENT_TYPE`]. Other paths answer
/// 404, other methods 405.
///
/// The server runs on a task spawned onto the current tokio runtime until
/// [`MetricsServer::shutdown`] is called or the [`MetricsServer`] is dropped. Errors only
/// when binding fails.
pub async fn serve_metrics(
    addr: SocketAddr,
    collector: Arc<PrometheusCollector>,
) -> io::Result<MetricsServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .with_state(collector);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                // Either a shutdown request or the handle being dropped.
                let _ = stopped.await;
            })
            .await
    });
    tracing::debug!(%addr, "serving metrics at /metrics");
    Ok(MetricsServer {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

async fn metrics(State(collector): State<Arc<PrometheusCollector>>) -> Response {
    match collector.try_encode() {
        Ok(body) => ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], body).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "encoding Prometheus metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A running metrics endpoint, from [`serve_metrics`]. Dropping it stops the server too,
/// without waiting.
#[derive(Debug)]
#[must_use = "dropping the MetricsServer stops it"]
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl MetricsServer {
    /// The address the server listens on (with the actual port when bound to port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, lets open ones finish (aborting them after 5 s) and
    /// waits for the server task; returns the server's I/O error, if it failed.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(io::Error::other(join)),
            Err(_elapsed) => {
                task.abort();
                Ok(())
            }
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;
    use crate::metrics::{MetricsCollector, labels, names};

    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write request");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .expect("read response");
        String::from_utf8(response).expect("utf-8 response")
    }

    #[tokio::test]
    async fn serves_metrics_over_http() {
        let collector = Arc::new(PrometheusCollector::new("streamwatch"));
        collector.increment(
            names::PRODUCER_RECORDS_SENT_TOTAL,
            3,
            &[(labels::STREAM_NAME, "s")],
        );
        let server = serve_metrics(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            Arc::clone(&collector),
        )
        .await
        .expect("bind");
        assert_ne!(server.addr().port(), 0);

        let response = get(server.addr(), "/metrics").await;
        let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.lines().any(|l| l.eq_ignore_ascii_case(
                "content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"
            )),
            "{head}"
        );
        assert!(
            body.lines()
                .any(|l| l == r#"streamwatch_producer_records_sent_total{stream_name="s"} 3"#),
            "{body}"
        );
        assert!(body.ends_with("# EOF\n"), "{body}");

        // Scrapes see fresh values.
        collector.increment(
            names::PRODUCER_RECORDS_SENT_TOTAL,
            1,
            &[(labels::STREAM_NAME, "s")],
        );
        let response = get(server.addr(), "/metrics").await;
        assert!(
            response.contains(r#"streamwatch_producer_records_sent_total{stream_name="s"} 4"#),
            "{response}"
        );

        let response = get(server.addr(), "/other").await;
        assert!(response.starts_with("HTTP/1.1 404"), "{response}");

        let addr = server.addr();
        server.shutdown().await.expect("clean shutdown");
        assert!(TcpStream::connect(addr).await.is_err(), "still listening");
    }

    #[tokio::test]
    async fn dropping_the_handle_stops_the_server() {
        let collector = Arc::new(PrometheusCollector::new(""));
        let server = serve_metrics(SocketAddr::from(([127, 0, 0, 1], 0)), collector)
            .await
            .expect("bind");
        let addr = server.addr();
        drop(server);
        let mut stopped = false;
        for _ in 0..100 {
            if TcpStream::connect(addr).await.is_err() {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(stopped, "server still listening after drop");
    }
}
