//! A function that feeds its own queue: for each SQS record it receives, it sends the body
//! back to `$QUEUE_URL` with aws-sdk-sqs, the unintended loop Lambda's recursion detection
//! stops. It logs each event (`EVENT <json>`). The client is configured from the
//! environment Lambda sets (region, credentials, `AWS_ENDPOINT_URL`); the SDK carries the
//! invocation's trace header (`_X_AMZN_TRACE_ID`) on its calls by itself.

use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

async fn handler(client: &aws_sdk_sqs::Client, event: LambdaEvent<Value>) -> Result<(), Error> {
    let (payload, _) = event.into_parts();
    println!("EVENT {payload}");
    let queue = std::env::var("QUEUE_URL")?;
    for record in payload["Records"].as_array().into_iter().flatten() {
        let body = record["body"].as_str().unwrap_or_default();
        client
            .send_message()
            .queue_url(&queue)
            .message_body(body)
            .send()
            .await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let mut config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(env("AWS_REGION")))
        .credentials_provider(Credentials::new(
            env("AWS_ACCESS_KEY_ID"),
            env("AWS_SECRET_ACCESS_KEY"),
            None,
            None,
            "lambda-environment",
        ));
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(endpoint);
    }
    let client = aws_sdk_sqs::Client::from_conf(config.build());
    lambda_runtime::run(service_fn(|e| handler(&client, e))).await
}
