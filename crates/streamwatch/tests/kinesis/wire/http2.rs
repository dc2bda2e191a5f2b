//! HTTP/2 over cleartext with prior knowledge, as the AWS SDK for JavaScript v3 speaks to an
//! `http://` endpoint: no upgrade, the connection preface straight away.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::SendRequest;
use hyper::{Request, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;

use super::*;

async fn h2_connect(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .expect("HTTP/2 handshake with prior knowledge");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
}

async fn h2_call(
    sender: &mut SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    action: &str,
    body: serde_json::Value,
) -> (u16, hyper::HeaderMap, serde_json::Value) {
    let req = Request::post(format!("http://{addr}/"))
        .version(Version::HTTP_2)
        .header("x-amz-target", target(action))
        .header("content-type", JSON)
        .header("authorization", AUTH)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    sender.ready().await.unwrap();
    let resp = sender.send_request(req).await.expect("HTTP/2 response");
    assert_eq!(resp.version(), Version::HTTP_2);
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    // Actions without output answer 200 with an empty body.
    let doc = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, doc)
}

#[tokio::test(flavor = "multi_thread")]
async fn list_streams_over_h2c_prior_knowledge() {
    let server = start().await;
    let addr = server.addr();
    create_stream(addr, "h2-stream", 1).await;
    let mut sender = h2_connect(addr).await;
    let (status, headers, doc) = h2_call(&mut sender, addr, "ListStreams", json!({})).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["StreamNames"], json!(["h2-stream"]));
    assert_eq!(doc["HasMoreStreams"], json!(false));
    assert!(headers.contains_key("x-amzn-requestid"));
    assert_eq!(headers.get("content-type").unwrap(), JSON);

    // Errors keep their shape, and the connection carries on.
    let (status, headers, doc) = h2_call(
        &mut sender,
        addr,
        "DescribeStream",
        json!({"StreamName": "missing"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(headers.contains_key("x-amzn-requestid"));
    assert_eq!(doc["__type"], json!("ResourceNotFoundException"));

    // Several streams on the one connection at once.
    let calls = (0..8).map(|i| {
        let mut s = sender.clone();
        async move {
            let body = json!({"StreamName": format!("h2-{i}"), "ShardCount": 1});
            h2_call(&mut s, addr, "CreateStream", body).await.0
        }
    });
    let statuses = futures_join_all(calls).await;
    assert_eq!(statuses, vec![200; 8]);
    let (_, _, doc) = h2_call(&mut sender, addr, "ListStreams", json!({})).await;
    assert_eq!(doc["StreamNames"].as_array().unwrap().len(), 9, "{doc}");
    assert_serving(addr).await;
}

/// Runs futures concurrently on the runtime and collects their outputs in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
