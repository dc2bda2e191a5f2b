//! SNS on the engine's one port, judged by aws-sdk-sns: topics, subscriptions and Publish,
//! with the envelope an SQS queue receives, the event a Lambda function is invoked with and
//! the POSTs an HTTP webhook gets (confirmation first); CloudWatch alarms that notify a
//! topic; the AWS/SNS metrics read back with aws-sdk-cloudwatch.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, HistoryItemType, StateValue, Statistic as CwStatistic,
};
use aws_sdk_lambda::types::{DestinationConfig, OnSuccess};
use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use testkit::Stack;

const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:000000000000:";

fn body(m: &aws_sdk_sqs::types::Message) -> Value {
    serde_json::from_str(m.body().unwrap()).unwrap()
}

async fn topic(c: &Stack, name: &str) -> String {
    let out = c.sns.create_topic().name(name).send().await.unwrap();
    out.topic_arn().unwrap().to_owned()
}

async fn subscribe_queue(c: &Stack, topic_arn: &str, queue: &str) -> String {
    c.sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(format!("{QUEUE_ARN}{queue}"))
        .send()
        .await
        .unwrap()
        .subscription_arn()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_fan_out_to_queues_as_aws_sdk_sns_sees_it() {
    let c = Stack::start().await;
    let arn = topic(&c, "orders").await;
    assert_eq!(arn, "arn:aws:sns:us-east-1:000000000000:orders");
    assert_eq!(topic(&c, "orders").await, arn, "CreateTopic is idempotent");
    let listed = c.sns.list_topics().send().await.unwrap();
    assert_eq!(listed.topics()[0].topic_arn(), Some(arn.as_str()));
    c.sns
        .set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("DisplayName")
        .attribute_value("Orders")
        .send()
        .await
        .unwrap();

    let url = c.queue("orders-copy").await;
    let sub = subscribe_queue(&c, &arn, "orders-copy").await;
    assert!(sub.starts_with(&format!("{arn}:")), "{sub}");
    let attrs = c
        .sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(attrs["DisplayName"], "Orders");
    assert_eq!(attrs["SubscriptionsConfirmed"], "1");
    assert_eq!(attrs["Owner"], "000000000000");

    // The envelope, member for member.
    let published = c
        .sns
        .publish()
        .topic_arn(&arn)
        .subject("New order")
        .message("order 42")
        .message_attributes(
            "kind",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("retail")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let message_id = published.message_id().unwrap();
    let got = c.drain(&url, 1).await;
    let text = got[0].body().unwrap();
    assert!(
        text.starts_with("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : "),
        "{text}"
    );
    let envelope = body(&got[0]);
    let members: Vec<&str> = envelope
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    ];
    expected.sort_unstable();
    let mut members_sorted = members.clone();
    members_sorted.sort_unstable();
    assert_eq!(members_sorted, expected);
    assert_eq!(envelope["MessageId"], message_id);
    assert_eq!(envelope["TopicArn"], arn.as_str());
    assert_eq!(envelope["Subject"], "New order");
    assert_eq!(envelope["Message"], "order 42");
    assert_eq!(envelope["SignatureVersion"], "1");
    assert_eq!(
        envelope["MessageAttributes"]["kind"],
        serde_json::json!({"Type": "String", "Value": "retail"})
    );
    let ts = envelope["Timestamp"].as_str().unwrap();
    assert!(ts.len() == 24 && ts.ends_with('Z'), "{ts}");
    assert_eq!(
        envelope["UnsubscribeURL"],
        format!("{}/?Action=Unsubscribe&SubscriptionArn={sub}", c.endpoint())
    );

    // Raw delivery: the message itself, its attributes as SQS message attributes.
    c.sns
        .set_subscription_attributes()
        .subscription_arn(&sub)
        .attribute_name("RawMessageDelivery")
        .attribute_value("true")
        .send()
        .await
        .unwrap();
    let sub_attrs = c
        .sns
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sub_attrs.attributes().unwrap()["RawMessageDelivery"],
        "true"
    );
    c.sns
        .publish()
        .topic_arn(&arn)
        .message("raw body")
        .message_attributes(
            "kind",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("raw")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let raw = c.drain(&url, 1).await;
    assert_eq!(raw[0].body(), Some("raw body"));
    assert_eq!(
        raw[0].message_attributes().unwrap()["kind"].string_value(),
        Some("raw")
    );

    // PublishBatch: each entry on its own.
    let batch = c
        .sns
        .publish_batch()
        .topic_arn(&arn)
        .publish_batch_request_entries(
            PublishBatchRequestEntry::builder()
                .id("a")
                .message("one")
                .build()
                .unwrap(),
        )
        .publish_batch_request_entries(
            PublishBatchRequestEntry::builder()
                .id("b")
                .message("")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(batch.successful()[0].id(), Some("a"));
    assert_eq!(batch.failed()[0].id(), "b");
    assert_eq!(batch.failed()[0].code(), "InvalidParameter");
    assert_eq!(c.drain(&url, 1).await[0].body(), Some("one"));

    // Lists, errors, unsubscribe, delete.
    let subs = c.sns.list_subscriptions().send().await.unwrap();
    assert_eq!(subs.subscriptions()[0].protocol(), Some("sqs"));
    assert_eq!(
        subs.subscriptions()[0].endpoint(),
        Some("arn:aws:sqs:us-east-1:000000000000:orders-copy")
    );
    let missing = c
        .sns
        .publish()
        .topic_arn("arn:aws:sns:us-east-1:000000000000:nope")
        .message("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("NotFound"));
    assert_eq!(missing.message(), Some("Topic does not exist"));
    assert!(matches!(
        missing.into_service_error(),
        aws_sdk_sns::operation::publish::PublishError::NotFoundException(_)
    ));
    let bad = c
        .sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("sqs")
        .endpoint("http://not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("InvalidParameter"));
    assert_eq!(bad.message(), Some("Invalid parameter: SQS endpoint ARN"));
    let bad_name = c
        .sns
        .create_topic()
        .name("no spaces")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_name.message(), Some("Invalid parameter: Topic Name"));
    let no_target = c.sns.publish().message("x").send().await.unwrap_err();
    assert_eq!(
        no_target.message(),
        Some("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
    );
    c.sns
        .unsubscribe()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap();
    let gone = c
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(gone.subscriptions().is_empty());

    // The AWS/SNS metrics: three messages published, three delivered, one failed entry not
    // published.
    let stat = |m: &'static str| {
        c.cloudwatch_stat("AWS/SNS", m, ("TopicName", "orders"), CwStatistic::Sum)
    };
    assert_eq!(stat("NumberOfMessagesPublished").await, 3.0);
    assert_eq!(stat("NumberOfNotificationsDelivered").await, 3.0);
    assert_eq!(stat("NumberOfNotificationsFailed").await, 0.0);
    assert_eq!(
        stat("PublishSize").await,
        (8 + "kind".len() + "String".len() + "retail".len() + 8 + 4 + 6 + 3 + 3) as f64
    );
    c.sns.delete_topic().topic_arn(&arn).send().await.unwrap();
    c.sns.delete_topic().topic_arn(&arn).send().await.unwrap();
    assert!(
        c.sns
            .list_topics()
            .send()
            .await
            .unwrap()
            .topics()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_subscription_is_invoked_with_the_sns_event() {
    let c = Stack::start().await;
    let arn = topic(&c, "to-lambda").await;
    let seen = c.queue("seen").await;
    c.deploy("listener", "echo_function", &[("MODE", "")]).await;
    c.lambda
        .put_function_event_invoke_config()
        .function_name("listener")
        .maximum_retry_attempts(0)
        .destination_config(
            DestinationConfig::builder()
                .on_success(
                    OnSuccess::builder()
                        .destination(format!("{QUEUE_ARN}seen"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let sub = c
        .sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("lambda")
        .endpoint("arn:aws:lambda:us-east-1:000000000000:function:listener")
        .send()
        .await
        .unwrap()
        .subscription_arn()
        .unwrap()
        .to_owned();
    let id = c
        .sns
        .publish()
        .topic_arn(&arn)
        .message("to the function")
        .send()
        .await
        .unwrap()
        .message_id()
        .unwrap()
        .to_owned();
    let record = body(&c.drain(&seen, 1).await[0]);
    let event = &record["requestPayload"]["Records"][0];
    assert_eq!(event["EventSource"], "aws:sns");
    assert_eq!(event["EventVersion"], "1.0");
    assert_eq!(event["EventSubscriptionArn"], sub.as_str());
    let sns = &event["Sns"];
    assert_eq!(sns["Type"], "Notification");
    assert_eq!(sns["MessageId"], id.as_str());
    assert_eq!(sns["TopicArn"], arn.as_str());
    assert_eq!(sns["Subject"], Value::Null);
    assert_eq!(sns["Message"], "to the function");
    assert_eq!(sns["MessageAttributes"], serde_json::json!({}));
    assert!(sns["SigningCertUrl"].is_string() && sns["UnsubscribeUrl"].is_string());
    let raw = c
        .sns
        .set_subscription_attributes()
        .subscription_arn(&sub)
        .attribute_name("RawMessageDelivery")
        .attribute_value("true")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        raw.message(),
        Some(
            "Invalid parameter: Delivery protocol [lambda] does not support raw message delivery."
        )
    );
}

/// One request a webhook received: method, target, headers (lower case) and body.
#[derive(Debug)]
struct Received {
    target: String,
    headers: HashMap<String, String>,
    body: String,
}

/// A webhook on a loopback port that answers every request with 200 and reports it.
async fn webhook() -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Some(got) = read_request(&mut conn).await {
                    let _ = tx.send(got);
                }
                let _ = conn
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, rx)
}

/// Reads one HTTP/1.1 request with a `content-length` body.
async fn read_request(conn: &mut TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let target = lines.next()?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + 4 + length {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end + 4..]).to_string();
    Some(Received {
        target,
        headers,
        body,
    })
}

/// Waits up to five seconds for the webhook's next request.
async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("the webhook is called within 5 s")
        .expect("the webhook is running")
}

/// Sends raw HTTP/1.1 text to `addr` and returns the status and body of the answer.
async fn raw_http(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_endpoint_confirms_then_receives_notifications() {
    let c = Stack::start().await;
    let arn = topic(&c, "hooks").await;
    let (url, mut rx) = webhook().await;
    let pending = c
        .sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("http")
        .endpoint(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(pending.subscription_arn(), Some("pending confirmation"));

    let confirmation = next(&mut rx).await;
    assert_eq!(confirmation.target, "POST /hook HTTP/1.1");
    assert_eq!(
        confirmation.headers["x-amz-sns-message-type"],
        "SubscriptionConfirmation"
    );
    assert_eq!(confirmation.headers["x-amz-sns-topic-arn"], arn);
    assert_eq!(
        confirmation.headers["content-type"],
        "text/plain; charset=UTF-8"
    );
    let doc: Value = serde_json::from_str(&confirmation.body).unwrap();
    assert_eq!(doc["Type"], "SubscriptionConfirmation");
    assert_eq!(
        doc["MessageId"],
        confirmation.headers["x-amz-sns-message-id"].as_str()
    );
    let token = doc["Token"].as_str().unwrap();
    assert_eq!(
        doc["Message"],
        format!(
            "You have chosen to subscribe to the topic {arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message."
        )
    );
    let subscribe_url = doc["SubscribeURL"].as_str().unwrap();
    assert_eq!(
        subscribe_url,
        format!(
            "{}/?Action=ConfirmSubscription&TopicArn={arn}&Token={token}",
            c.endpoint()
        )
    );
    // Nothing is delivered before the confirmation.
    c.sns
        .publish()
        .topic_arn(&arn)
        .message("early")
        .send()
        .await
        .unwrap();

    // Visiting the SubscribeURL (unsigned, as a browser or curl would) confirms.
    let path = subscribe_url.strip_prefix(&c.endpoint()).unwrap();
    let (status, answer) = raw_http(
        c.server.addr(),
        &format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains("<ConfirmSubscriptionResult><SubscriptionArn>"),
        "{answer}"
    );
    let subs = c
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    let sub = subs.subscriptions()[0]
        .subscription_arn()
        .unwrap()
        .to_owned();
    assert!(sub.starts_with(&format!("{arn}:")), "{sub}");

    let id = c
        .sns
        .publish()
        .topic_arn(&arn)
        .subject("Hook")
        .message("for the webhook")
        .send()
        .await
        .unwrap()
        .message_id()
        .unwrap()
        .to_owned();
    let note = next(&mut rx).await;
    assert_eq!(note.headers["x-amz-sns-message-type"], "Notification");
    assert_eq!(note.headers["x-amz-sns-message-id"], id);
    assert_eq!(note.headers["x-amz-sns-topic-arn"], arn);
    assert_eq!(note.headers["x-amz-sns-subscription-arn"], sub);
    assert_eq!(note.headers["content-type"], "text/plain; charset=UTF-8");
    let doc: Value = serde_json::from_str(&note.body).unwrap();
    assert_eq!(doc["Type"], "Notification");
    assert_eq!(doc["Message"], "for the webhook");
    assert_eq!(doc["Subject"], "Hook");
    // The delivery is counted once the webhook answered.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let delivered = c
            .cloudwatch_stat(
                "AWS/SNS",
                "NumberOfNotificationsDelivered",
                ("TopicName", "hooks"),
                CwStatistic::Sum,
            )
            .await;
        if delivered == 1.0 || Instant::now() > deadline {
            assert_eq!(delivered, 1.0);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // An unsigned call of anything else is refused as AWS refuses it.
    let form = "Action=ListTopics&Version=2010-03-31";
    let (status, answer) = raw_http(
        c.server.addr(),
        &format!(
            "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{form}",
            form.len()
        ),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer.contains("<Code>MissingAuthenticationToken</Code>"),
        "{answer}"
    );
    assert!(
        answer.contains("xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\""),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_notifies_a_topic_that_a_queue_reads() {
    let c = Stack::start().await;
    let arn = topic(&c, "pager").await;
    let url = c.queue("pages").await;
    subscribe_queue(&c, &arn, "pages").await;
    c.cloudwatch
        .put_metric_alarm()
        .alarm_name("errors-high")
        .namespace("Shop")
        .metric_name("Errors")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .alarm_actions(&arn)
        .send()
        .await
        .unwrap();
    c.cloudwatch
        .set_alarm_state()
        .alarm_name("errors-high")
        .state_value(StateValue::Alarm)
        .state_reason("testing the pager")
        .send()
        .await
        .unwrap();
    let got = c.drain(&url, 1).await;
    let envelope = body(&got[0]);
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["TopicArn"], arn.as_str());
    assert_eq!(
        envelope["Subject"],
        "ALARM: \"errors-high\" in US East (N. Virginia)"
    );
    let alarm: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(alarm["AlarmName"], "errors-high");
    assert_eq!(alarm["NewStateValue"], "ALARM");
    assert_eq!(alarm["NewStateReason"], "testing the pager");
    assert_eq!(alarm["OldStateValue"], "INSUFFICIENT_DATA");
    let history = c
        .cloudwatch
        .describe_alarm_history()
        .alarm_name("errors-high")
        .history_item_type(HistoryItemType::Action)
        .send()
        .await
        .unwrap();
    let item = &history.alarm_history_items()[0];
    assert_eq!(
        item.history_summary(),
        Some(format!("Successfully executed action {arn}").as_str())
    );
}
