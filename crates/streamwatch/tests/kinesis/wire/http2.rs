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

/// SubscribeToShard in CBOR over HTTP/2, as the Java SDK v2 asks for it: the event-stream
/// frames, their headers, and the events' members in CBOR (data as a byte string,
/// timestamps in epoch milliseconds).
#[tokio::test(flavor = "multi_thread")]
async fn subscribe_to_shard_in_cbor_over_h2c() {
    use aws_wire::eventstream::decode_message;
    use ciborium::Value as C;

    let server = start().await;
    let addr = server.addr();
    create_stream(addr, "h2-efo", 1).await;
    let stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/h2-efo";
    let reg = call(
        addr,
        "RegisterStreamConsumer",
        &json!({"StreamARN": stream_arn, "ConsumerName": "java"}),
    )
    .await;
    let consumer = reg.json()["Consumer"]["ConsumerARN"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = call(
        addr,
        "PutRecord",
        &json!({"StreamName": "h2-efo", "PartitionKey": "k", "Data": "aGk="}),
    )
    .await;
    let seq = put.json()["SequenceNumber"].as_str().unwrap().to_owned();

    let body = C::Map(vec![
        (C::Text("ConsumerARN".into()), C::Text(consumer)),
        (
            C::Text("ShardId".into()),
            C::Text("shardId-000000000000".into()),
        ),
        (
            C::Text("StartingPosition".into()),
            C::Map(vec![(
                C::Text("Type".into()),
                C::Text("TRIM_HORIZON".into()),
            )]),
        ),
    ]);
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(&body, &mut bytes).unwrap();
    let mut sender = h2_connect(addr).await;
    let req = Request::post(format!("http://{addr}/"))
        .version(Version::HTTP_2)
        .header("x-amz-target", target("SubscribeToShard"))
        .header("content-type", CBOR)
        .header("authorization", AUTH)
        .body(Full::new(Bytes::from(bytes)))
        .unwrap();
    sender.ready().await.unwrap();
    let resp = sender.send_request(req).await.expect("HTTP/2 response");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/vnd.amazon.eventstream"
    );
    assert!(resp.headers().contains_key("x-amzn-requestid"));

    let mut body = resp.into_body();
    let mut buf = Vec::new();
    let mut messages = Vec::new();
    while messages.len() < 2 {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("a frame within 10 s")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
        }
        while let Some((m, used)) = decode_message(&buf).unwrap() {
            buf.drain(..used);
            messages.push(m);
        }
    }
    let initial = &messages[0];
    assert_eq!(initial.header(":message-type"), Some("event"));
    assert_eq!(initial.header(":event-type"), Some("initial-response"));
    assert_eq!(initial.header(":content-type"), Some(CBOR));
    let event = &messages[1];
    assert_eq!(event.header(":message-type"), Some("event"));
    assert_eq!(event.header(":event-type"), Some("SubscribeToShardEvent"));
    let doc: C = ciborium::de::from_reader(&event.payload[..]).unwrap();
    let get = |v: &C, k: &str| -> C {
        v.as_map()
            .unwrap()
            .iter()
            .find(|(key, _)| key.as_text() == Some(k))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k} in {v:?}"))
    };
    let records = get(&doc, "Records");
    let record = &records.as_array().unwrap()[0];
    assert_eq!(get(record, "Data"), C::Bytes(b"hi".to_vec()));
    assert_eq!(get(record, "SequenceNumber"), C::Text(seq.clone()));
    assert_eq!(get(record, "PartitionKey"), C::Text("k".into()));
    let C::Tag(1, ts) = get(record, "ApproximateArrivalTimestamp") else {
        panic!("timestamp is not tagged epoch time");
    };
    let ms = ts.as_integer().map(i128::from).unwrap();
    assert!(
        (ms - time_source::now_ms() as i128).abs() < 60_000,
        "{ms} is not epoch ms"
    );
    assert_eq!(get(&doc, "ContinuationSequenceNumber"), C::Text(seq));
    assert_eq!(get(&doc, "MillisBehindLatest"), C::Integer(0.into()));
}
