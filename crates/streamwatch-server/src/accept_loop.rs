//! The accept loop used when the port also speaks TLS: each connection's first byte decides
//! whether it is a TLS handshake or plain HTTP; both reach the same router, so the Host check
//! and every other front-door rule apply alike.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::tls::HANDSHAKE_RECORD;

/// How long a connection may take to finish its requests once the server stops.
const CLOSE_WITHIN: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests finish
/// (idle connections are closed) before returning.
pub(crate) async fn serve_sniffing(
    listener: TcpListener,
    app: Router,
    acceptor: TlsAcceptor,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_sender, stop) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            app.clone(),
            acceptor.clone(),
            stop.clone(),
        ));
    }
    drop(listener);
    drop(stop);
    let _ = stop_sender.send(true);
    // Every connection task holds a receiver; this returns once the last one has finished.
    stop_sender.closed().await;
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    acceptor: TlsAcceptor,
    mut stop: watch::Receiver<bool>,
) {
    let mut first = [0u8; 1];
    let is_tls = tokio::select! {
        peeked = stream.peek(&mut first) => matches!(peeked, Ok(1)) && first[0] == HANDSHAKE_RECORD,
        _ = stop.changed() => return,
    };
    if !is_tls {
        drive(TokioIo::new(stream), app, stop).await;
        return;
    }
    let handshake = tokio::select! {
        handshake = acceptor.accept(stream) => handshake,
        _ = stop.changed() => return,
    };
    match handshake {
        Ok(stream) => drive(TokioIo::new(stream), app, stop).await,
        // A client that does not trust the certificate ends here; nothing to answer.
        Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
    }
}

/// Serves one connection, HTTP/1.1 or HTTP/2 (by ALPN over TLS, by preface in the clear).
async fn drive<I>(io: TokioIo<I>, app: Router, mut stop: watch::Receiver<bool>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(app));
    tokio::pin!(connection);
    tokio::select! {
        served = connection.as_mut() => {
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            // An HTTP/2 client that never answers the GOAWAY's ping would hold shutdown forever.
            let _ = tokio::time::timeout(CLOSE_WITHIN, connection).await;
        }
    }
}
