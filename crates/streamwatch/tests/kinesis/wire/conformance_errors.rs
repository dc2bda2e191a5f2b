//! Issue 19 item 4: error documents and headers. Every response of every service carries
//! `x-amz-id-2` beside `x-amzn-RequestId`; a structurally broken SigV4 `Authorization`
//! header (a missing part, an unknown algorithm, a credential without five elements) is a
//! 400 IncompleteSignatureException with AWS's text, in each service's shape, while any
//! well-formed signature is still accepted; a request whose target names Kinesis is
//! answered by Kinesis whatever its content type, path or method.

use super::*;

/// Asserts `x-amz-id-2` is there and is what AWS sends: base64 of 72 bytes.
fn assert_id_2(resp: &client::Resp, what: &str) -> String {
    use base64::Engine as _;
    let id = resp
        .header("x-amz-id-2")
        .unwrap_or_else(|| panic!("{what}: no x-amz-id-2 on {resp:?}"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(id)
        .unwrap_or_else(|e| panic!("{what}: x-amz-id-2 {id:?} is not base64: {e}"));
    assert_eq!(bytes.len(), 72, "{what}: {id}");
    id.to_owned()
}

/// What is sent (name, headers, body) and the status expected.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [u8], u16);

/// A GET on a fresh connection.
async fn get(addr: SocketAddr, path_and_headers: &str) -> client::Resp {
    let mut conn = client::Conn::open(addr).await.expect("connect");
    conn.raw(format!("GET {path_and_headers}Host: {addr}\r\n\r\n").as_bytes())
        .await
        .expect("an HTTP response")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_service_answers_with_an_extended_request_id() {
    let server = start().await;
    let addr = server.addr();
    let sign = |service: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        )
    };
    let (sqs, logs, monitoring, sns) = (sign("sqs"), sign("logs"), sign("monitoring"), sign("sns"));
    let cases: Vec<Case> = vec![
        (
            "kinesis ok",
            vec![
                ("X-Amz-Target", "Kinesis_20131202.ListStreams"),
                ("Content-Type", JSON),
                ("Authorization", AUTH),
            ],
            b"{}",
            200,
        ),
        (
            "kinesis error",
            vec![
                ("X-Amz-Target", "Kinesis_20131202.DescribeStream"),
                ("Content-Type", CBOR),
                ("Authorization", AUTH),
            ],
            b"\xa0",
            400,
        ),
        (
            "sqs",
            vec![
                ("X-Amz-Target", "AmazonSQS.ListQueues"),
                ("Content-Type", "application/x-amz-json-1.0"),
                ("Authorization", &sqs),
            ],
            b"{}",
            200,
        ),
        (
            "logs",
            vec![
                ("X-Amz-Target", "Logs_20140328.DescribeLogGroups"),
                ("Content-Type", "application/x-amz-json-1.1"),
                ("Authorization", &logs),
            ],
            b"{}",
            200,
        ),
        (
            "cloudwatch json",
            vec![
                ("X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics"),
                ("Content-Type", "application/x-amz-json-1.0"),
                ("Authorization", &monitoring),
            ],
            b"{}",
            200,
        ),
        (
            "cloudwatch query",
            vec![
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", &monitoring),
            ],
            b"Action=ListMetrics&Version=2010-08-01",
            200,
        ),
        (
            "sns",
            vec![
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", &sns),
            ],
            b"Action=ListTopics&Version=2010-03-31",
            200,
        ),
        (
            "unsigned sqs",
            vec![
                ("X-Amz-Target", "AmazonSQS.ListQueues"),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            b"{}",
            403,
        ),
    ];
    let mut seen = std::collections::HashSet::new();
    for (what, headers, body, status) in cases {
        let resp = send(addr, &headers, body).await;
        assert_eq!(resp.status, status, "{what}: {resp:?}");
        assert!(seen.insert(assert_id_2(&resp, what)), "{what}: id repeated");
    }
    let lambda = get(
        addr,
        &format!(
            "/2015-03-31/functions/ HTTP/1.1\r\nAuthorization: {}\r\n",
            sign("lambda")
        ),
    )
    .await;
    assert_eq!(lambda.status, 200, "{lambda:?}");
    assert_request_id(&lambda);
    assert!(seen.insert(assert_id_2(&lambda, "lambda")));
    for path in ["/health", "/metrics", "/"] {
        let resp = get(addr, &format!("{path} HTTP/1.1\r\n")).await;
        assert_eq!(resp.status, 200, "{path}");
        assert!(seen.insert(assert_id_2(&resp, path)));
    }
}

/// The texts AWS writes for a structurally broken `Authorization` header (recorded in
/// kinesalite's and dynalite's front ends).
fn incomplete_cases() -> Vec<(&'static str, String)> {
    let missing = |parts: &[&str], auth: &str, date: bool| {
        let mut m: String = parts
            .iter()
            .map(|p| format!("Authorization header requires '{p}' parameter. "))
            .collect();
        if !date {
            m.push_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
            );
        }
        format!("{m}Authorization={auth}")
    };
    vec![
        (
            "a",
            missing(&["Credential", "Signature", "SignedHeaders"], "a", false),
        ),
        (
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
            missing(
                &["Credential"],
                "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
                false,
            ),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, Signature=00",
            missing(
                &["SignedHeaders"],
                "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, Signature=00",
                false,
            ),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=",
            missing(
                &["Signature"],
                "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=",
                false,
            ),
        ),
        (
            "AWS4-HMAC-SHA25 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). "
                .to_owned(),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=00",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'"
                .to_owned(),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request/extra, SignedHeaders=host, Signature=00",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20240101/us-east-1/kinesis/aws4_request/extra'"
                .to_owned(),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_authorization_header_is_an_incomplete_signature() {
    let server = start().await;
    let addr = server.addr();
    let t = target("ListStreams");
    for (auth, message) in incomplete_cases() {
        // A date header is sent (the missing-parameter texts then leave its sentence out)
        // except for the first case, which shows the whole text.
        let mut headers = vec![
            ("X-Amz-Target", t.as_str()),
            ("Content-Type", JSON),
            ("Authorization", auth),
        ];
        let message = if auth == "a" {
            message
        } else {
            headers.push(("X-Amz-Date", "20240101T000000Z"));
            message.replace(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
                "",
            )
        };
        let resp = send(addr, &headers, b"{}").await;
        assert_error(&resp, 400, "IncompleteSignatureException", Some(&message));
        assert_id_2(&resp, auth);
        // The same in CBOR.
        headers[1] = ("Content-Type", CBOR);
        let resp = send(addr, &headers, b"\xa0").await;
        assert_eq!(resp.status, 400, "{auth}");
        assert_eq!(resp.header("content-type"), Some(CBOR));
        let doc = resp.cbor();
        let field = |k: &str| {
            doc.as_map()
                .and_then(|m| m.iter().find(|(key, _)| key.as_text() == Some(k)))
                .and_then(|(_, v)| v.as_text().map(str::to_owned))
        };
        assert_eq!(
            field("__type").as_deref(),
            Some("IncompleteSignatureException")
        );
        assert_eq!(field("message").as_deref(), Some(message.as_str()));
    }
    // Kinesis checks the operation first and authentication after, as AWS does.
    let resp = send(
        addr,
        &[
            ("X-Amz-Target", "Kinesis_20131202.Nope"),
            ("Content-Type", JSON),
            ("Authorization", "a"),
        ],
        b"{}",
    )
    .await;
    assert_error(&resp, 400, "UnknownOperationException", None);
    // A missing date alone is let through (the signature is not checked by default), and
    // so is any well-formed signature.
    for auth in [
        AUTH,
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request/, SignedHeaders=host, Signature=zz",
    ] {
        let resp = send(
            addr,
            &[
                ("X-Amz-Target", t.as_str()),
                ("Content-Type", JSON),
                ("Authorization", auth),
            ],
            b"{}",
        )
        .await;
        assert_eq!(resp.status, 200, "{auth}: {resp:?}");
    }
    // Presigned query parameters, each missing one named.
    let mut conn = client::Conn::open(addr).await.unwrap();
    let resp = conn
        .raw(
            format!(
                "POST /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: {t}\r\nContent-Type: {JSON}\r\nContent-Length: 2\r\n\r\n{{}}"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    assert_error(
        &resp,
        400,
        "IncompleteSignatureException",
        Some(
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
        ),
    );
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn other_services_answer_an_incomplete_signature_in_their_shapes() {
    let server = start().await;
    let addr = server.addr();
    let message = "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/us-east-1'";
    let auth = "AWS4-HMAC-SHA256 Credential=AKID/us-east-1, SignedHeaders=host, Signature=00";
    // SQS (JSON 1.0, query-compatible): 400, the query code in x-amzn-query-error.
    let resp = send(
        addr,
        &[
            ("X-Amz-Target", "AmazonSQS.ListQueues"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Authorization", auth),
        ],
        b"{}",
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["__type"], "IncompleteSignatureException");
    assert_eq!(resp.json()["message"], message);
    assert_eq!(
        resp.header("x-amzn-query-error"),
        Some("IncompleteSignature;Sender")
    );
    assert_id_2(&resp, "sqs");
    // Logs (JSON 1.1): 400 with __type.
    let resp = send(
        addr,
        &[
            ("X-Amz-Target", "Logs_20140328.DescribeLogGroups"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Authorization", auth),
        ],
        b"{}",
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["__type"], "IncompleteSignatureException");
    assert_eq!(resp.json()["message"], message);
    // CloudWatch's and SNS's query protocol: an ErrorResponse with code IncompleteSignature.
    for body in [
        &b"Action=ListMetrics&Version=2010-08-01"[..],
        b"Action=ListTopics&Version=2010-03-31",
    ] {
        let resp = send(
            addr,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", auth),
            ],
            body,
        )
        .await;
        let text = String::from_utf8_lossy(&resp.body);
        assert_eq!(resp.status, 400, "{text}");
        assert!(text.contains("<Code>IncompleteSignature</Code>"), "{text}");
        let escaped = message.replace('\'', "&apos;");
        assert!(
            text.contains(&format!("<Message>{escaped}</Message>")),
            "{text}"
        );
        assert_id_2(&resp, "query");
    }
    // Lambda (REST JSON): the error type in x-amzn-ErrorType.
    let lambda = get(
        addr,
        &format!("/2015-03-31/functions/ HTTP/1.1\r\nAuthorization: {auth}\r\n"),
    )
    .await;
    assert_eq!(
        lambda.header("x-amzn-errortype"),
        Some("IncompleteSignatureException")
    );
    assert_eq!(lambda.json()["message"], message);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kinesis_target_is_answered_by_kinesis_whatever_its_content_type() {
    let server = start().await;
    let addr = server.addr();
    let list = target("ListStreams");
    // No (or an unknown) content type: with a body, Kinesis's 404; with none, a CBOR 400
    // SerializationException (an UnknownOperationException for an unknown operation), as
    // kinesalite's connection tests record Kinesis answering.
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut headers = vec![("X-Amz-Target", list.as_str()), ("Authorization", AUTH)];
        if let Some(ct) = ct {
            headers.push(("Content-Type", ct));
        }
        let resp = send(addr, &headers, b"{}").await;
        assert_eq!(resp.status, 404, "{ct:?}");
        assert_eq!(resp.header("content-type"), Some("application/xml"));
        assert_eq!(resp.body, b"<UnknownOperationException/>\n");
        assert_id_2(&resp, "no content type");
        let empty = send(addr, &headers, b"").await;
        assert_eq!(empty.status, 400, "{ct:?}");
        assert_eq!(empty.header("content-type"), Some(CBOR));
        let doc: ciborium::Value = ciborium::de::from_reader(&empty.body[..]).expect("CBOR");
        assert_eq!(
            doc,
            ciborium::Value::Map(vec![(
                ciborium::Value::Text("__type".into()),
                ciborium::Value::Text("SerializationException".into())
            )])
        );
        assert_id_2(&empty, "no content type, no body");
        let mut unknown = headers.clone();
        let whatever = target("Whatever");
        unknown[0] = ("X-Amz-Target", whatever.as_str());
        let resp = send(addr, &unknown, b"").await;
        assert_eq!(resp.status, 400);
        let doc: ciborium::Value = ciborium::de::from_reader(&resp.body[..]).expect("CBOR");
        assert_eq!(
            doc,
            ciborium::Value::Map(vec![(
                ciborium::Value::Text("__type".into()),
                ciborium::Value::Text("UnknownOperationException".into())
            )])
        );
    }
    // A body in a form encoding that CloudWatch or SNS would read, or signed for SNS: still
    // Kinesis's 404.
    for (ct, auth, body) in [
        (
            "application/x-www-form-urlencoded",
            AUTH,
            &b"Action=ListMetrics&Version=2010-08-01"[..],
        ),
        (
            "application/x-www-form-urlencoded",
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=00",
            b"Action=ListTopics&Version=2010-03-31",
        ),
    ] {
        let resp = send(
            addr,
            &[
                ("X-Amz-Target", list.as_str()),
                ("Content-Type", ct),
                ("Authorization", auth),
            ],
            body,
        )
        .await;
        assert_eq!(resp.status, 404, "{resp:?}");
        assert_eq!(resp.body, b"<UnknownOperationException/>\n");
    }
    // A Lambda path does not make it Lambda's: Kinesis ignores the path.
    let mut conn = client::Conn::open(addr).await.unwrap();
    let resp = conn
        .raw(
            format!(
                "POST /2015-03-31/functions HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: {list}\r\nContent-Type: {JSON}\r\nAuthorization: {AUTH}\r\nContent-Length: 2\r\n\r\n{{}}"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200, "{resp:?}");
    assert!(resp.json()["StreamNames"].is_array());
    // Nor does a GET of `/` make it the console's: Kinesis refuses a GET.
    let resp = get(addr, &format!("/ HTTP/1.1\r\nX-Amz-Target: {list}\r\n")).await;
    assert_eq!(resp.status, 403, "{resp:?}");
    assert_eq!(
        String::from_utf8_lossy(&resp.body),
        "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n"
    );
    assert_id_2(&resp, "get");
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_sees_the_extended_request_id_and_incomplete_signatures() {
    let server = start().await;
    let endpoint = server.endpoint();
    let script = r#"
import sys, boto3, botocore
c = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test")
out = c.list_streams()
print(len(out["ResponseMetadata"]["HTTPHeaders"]["x-amz-id-2"]))
def break_signature(request, **kwargs):
    auth = request.headers["Authorization"]
    if isinstance(auth, bytes):
        auth = auth.decode()
    request.headers["Authorization"] = auth.split(", Signature=")[0]
c.meta.events.register("before-send.kinesis.ListStreams", break_signature)
try:
    c.list_streams()
    print("accepted")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
    print(e.response["Error"]["Message"].split(" Authorization=")[0])
    print(e.response["ResponseMetadata"]["HTTPStatusCode"])
"#;
    let stdout = python_lines(script, &endpoint).await;
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "96",
            "IncompleteSignatureException",
            "Authorization header requires 'Signature' parameter.",
            "400",
        ]
    );
}
