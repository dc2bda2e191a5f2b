//! `serve --auth verify`: SDK clients with the configured keys succeed, a wrong secret, an
//! unknown key and a skewed clock get AWS's errors, for Kinesis, CloudWatch, Lambda and SQS;
//! a non-loopback `--host` is refused without verification unless explicitly allowed.

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use super::{free_port, interrupt, serve, wait_exit};

/// A clock `offset` seconds away from the system's, to sign with.
#[derive(Debug)]
struct Skewed(i64);

impl aws_smithy_async::time::TimeSource for Skewed {
    fn now(&self) -> SystemTime {
        let d = Duration::from_secs(self.0.unsigned_abs());
        if self.0 < 0 {
            SystemTime::now() - d
        } else {
            SystemTime::now() + d
        }
    }
}

/// A client of `$sdk` for `$endpoint` signing with `$key`/`$secret` at `$offset` seconds
/// from now, without retries (each call is one request).
macro_rules! client {
    ($sdk:ident, $endpoint:expr, $key:expr, $secret:expr, $offset:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .region($sdk::config::Region::new("us-east-1"))
                .credentials_provider($sdk::config::Credentials::new(
                    $key, $secret, None, None, "test",
                ))
                .retry_config($sdk::config::retry::RetryConfig::disabled())
                .time_source(Skewed($offset))
                .endpoint_url($endpoint)
                .build(),
        )
    };
}

const BAD_SIGNATURE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const UNKNOWN_KEY: &str = "The security token included in the request is invalid.";

#[tokio::test(flavor = "multi_thread")]
async fn verify_accepts_the_configured_keys_and_refuses_others_with_aws_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys");
    std::fs::write(
        &file,
        "# test keys\nAKIDOTHER othersecret\nAKIDTEST secret\n",
    )
    .unwrap();
    let port = free_port().to_string();
    let (child, endpoint) = serve(&[
        "--port",
        &port,
        "--auth",
        "verify",
        "--credentials-file",
        file.to_str().unwrap(),
    ]);
    let ep = endpoint.as_str();

    // Kinesis (AWS JSON 1.1): 400 with the JSON service codes.
    let ok = client!(aws_sdk_kinesis, ep, "AKIDTEST", "secret", 0);
    ok.list_streams().send().await.unwrap();
    client!(aws_sdk_kinesis, ep, "AKIDOTHER", "othersecret", 0)
        .list_streams()
        .send()
        .await
        .unwrap();
    let e = client!(aws_sdk_kinesis, ep, "AKIDTEST", "wrong", 0)
        .list_streams()
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&e), "InvalidSignatureException");
    assert_eq!(testkit::message(&e), BAD_SIGNATURE);
    let e = client!(aws_sdk_kinesis, ep, "AKIDNOBODY", "secret", 0)
        .list_streams()
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&e), "UnrecognizedClientException");
    assert_eq!(testkit::message(&e), UNKNOWN_KEY);
    // SubscribeToShard's event stream is behind the same door.
    let subscribe = |c: aws_sdk_kinesis::Client| async move {
        let position = aws_sdk_kinesis::types::StartingPosition::builder()
            .r#type(aws_sdk_kinesis::types::ShardIteratorType::Latest)
            .build()
            .unwrap();
        c.subscribe_to_shard()
            .consumer_arn("arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1")
            .shard_id("shardId-000000000000")
            .starting_position(position)
            .send()
            .await
            .unwrap_err()
    };
    let e = subscribe(client!(aws_sdk_kinesis, ep, "AKIDTEST", "wrong", 0)).await;
    assert_eq!(testkit::code(&e), "InvalidSignatureException");
    let e = subscribe(client!(aws_sdk_kinesis, ep, "AKIDTEST", "secret", 0)).await;
    assert_eq!(testkit::code(&e), "ResourceNotFoundException");
    let e = client!(aws_sdk_kinesis, ep, "AKIDTEST", "secret", -600)
        .list_streams()
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&e), "InvalidSignatureException");
    let m = testkit::message(&e);
    assert!(
        m.starts_with("Signature expired: ") && m.ends_with(" - 5 min.)"),
        "{m}"
    );

    // CloudWatch (query-compatible: the SDK reads the query code).
    client!(aws_sdk_cloudwatch, ep, "AKIDTEST", "secret", 0)
        .list_metrics()
        .send()
        .await
        .unwrap();
    let e = client!(aws_sdk_cloudwatch, ep, "AKIDTEST", "wrong", 0)
        .list_metrics()
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&e), "SignatureDoesNotMatch");
    let e = client!(aws_sdk_cloudwatch, ep, "AKIDNOBODY", "secret", 0)
        .list_metrics()
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&e), "InvalidClientTokenId");

    // Lambda (REST JSON): 403 with x-amzn-ErrorType.
    client!(aws_sdk_lambda, ep, "AKIDTEST", "secret", 0)
        .list_functions()
        .send()
        .await
        .unwrap();
    let e = client!(aws_sdk_lambda, ep, "AKIDTEST", "wrong", 0)
        .list_functions()
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&e), "InvalidSignatureException");
    assert_eq!(testkit::message(&e), BAD_SIGNATURE);
    let e = client!(aws_sdk_lambda, ep, "AKIDNOBODY", "secret", 0)
        .list_functions()
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&e), "UnrecognizedClientException");

    // SQS (AWS JSON 1.0, query-compatible).
    let sqs = client!(aws_sdk_sqs, ep, "AKIDTEST", "secret", 0);
    let url = sqs
        .create_queue()
        .queue_name("auth-q")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    sqs.send_message()
        .queue_url(&url)
        .message_body("signed")
        .send()
        .await
        .unwrap();
    let e = client!(aws_sdk_sqs, ep, "AKIDTEST", "wrong", 0)
        .send_message()
        .queue_url(&url)
        .message_body("forged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&e), "SignatureDoesNotMatch");
    let e = client!(aws_sdk_sqs, ep, "AKIDNOBODY", "secret", 0)
        .list_queues()
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&e), "InvalidClientTokenId");

    // The console reads through the door with the first configured key.
    ok.create_stream()
        .stream_name("auth-s")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    let addr = ep.trim_start_matches("http://");
    let (status, body) = super::get_with_host(addr, addr, "/console/api/overview");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("auth-s"), "{body}");

    interrupt(&child);
    let mut child = child;
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

#[test]
fn a_non_loopback_host_needs_verification_or_an_explicit_flag() {
    let port = free_port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["serve", "--host", "0.0.0.0", "--port", &port])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--auth verify"), "{err}");
    assert!(err.contains("--allow-unauthenticated-remote"), "{err}");
    assert!(err.contains("Lambda functions"), "{err}");

    let (mut child, endpoint) = serve(&[
        "--host",
        "0.0.0.0",
        "--port",
        &port,
        "--allow-unauthenticated-remote",
    ]);
    assert!(endpoint.contains(&port), "{endpoint}");
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());

    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["serve", "--port", &port, "--auth", "verify"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--auth verify needs keys"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (mut child, _) = super::serve_with_env(
        &["--host", "0.0.0.0", "--port", &port, "--auth", "verify"],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ],
    );
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}
