//! Requests no SDK sends (SDKs check required members before sending): the server's own
//! answers to them, over raw HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::harness::start;

/// Sends one HTTP/1.1 request and returns the status line, headers and body.
fn post(addr: std::net::SocketAddr, headers: &[(&str, &str)], body: &[u8]) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (head.to_owned(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_namespace_is_missing_parameter() {
    let h = start(false).await;
    let addr = h.server.addr();
    let (head, body) = tokio::task::spawn_blocking(move || {
        post(
            addr,
            &[
                (
                    "X-Amz-Target",
                    "GraniteServiceVersion20100801.PutMetricData",
                ),
                ("Content-Type", "application/x-amz-json-1.0"),
                ("x-amzn-query-mode", "true"),
            ],
            br#"{"MetricData":[{"MetricName":"m","Value":1}]}"#,
        )
    })
    .await
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-amzn-query-error: missingparameter;sender"),
        "{head}"
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["__type"],
        "com.amazonaws.cloudwatch.v2010_08_01#MissingRequiredParameterException"
    );
    assert_eq!(v["message"], "The parameter Namespace is required.");

    // The same in the query protocol, answered in XML.
    let (head, body) = tokio::task::spawn_blocking(move || {
        post(
            addr,
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            b"Action=GetMetricStatistics&Version=2010-08-01&MetricName=m",
        )
    })
    .await
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
    assert!(
        body.contains("<Message>The parameter Namespace is required.</Message>"),
        "{body}"
    );
    assert!(
        body.starts_with(
            "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
        ),
        "{body}"
    );

    let (_, body) = tokio::task::spawn_blocking(move || {
        post(
            addr,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"Action=DescribeAnomalyDetectors&Version=2010-08-01",
        )
    })
    .await
    .unwrap();
    // An operation the engine does not serve (DescribeAlarms is served since the alarms).
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
}

/// Alarm requests the SDKs would refuse to send: a missing AlarmName and an unknown StateValue
/// get the "1 validation error detected" texts (the second as AWS sends it to SetAlarmState).
#[tokio::test(flavor = "multi_thread")]
async fn alarm_members_are_validated_with_aws_texts() {
    let h = start(false).await;
    let addr = h.server.addr();
    let call = |op: &'static str, body: &'static [u8]| {
        tokio::task::spawn_blocking(move || {
            let target = format!("GraniteServiceVersion20100801.{op}");
            post(
                addr,
                &[
                    ("X-Amz-Target", target.as_str()),
                    ("Content-Type", "application/x-amz-json-1.0"),
                ],
                body,
            )
        })
    };
    let (head, body) = call(
        "PutMetricAlarm",
        br#"{"Namespace":"Shop","MetricName":"Errors","Statistic":"Sum","Period":60,"EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold"}"#,
    )
    .await
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["message"],
        "1 validation error detected: Value null at 'alarmName' failed to satisfy constraint: Member must not be null"
    );
    let (head, body) = call(
        "SetAlarmState",
        br#"{"AlarmName":"a","StateValue":"INVALID","StateReason":"x"}"#,
    )
    .await
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["message"],
        "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
    );
}
