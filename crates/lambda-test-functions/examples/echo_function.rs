//! A Lambda function built on the `lambda_runtime` crate, as users write them: the engine's
//! tests deploy it as the `bootstrap` of a `provided.al2023` function. What it does depends on
//! the event's `action`: echo (default), `fail` (an error), `sleep` (for `ms` milliseconds),
//! `crash` (exits mid-invocation), `env` (returns the Lambda environment variables it sees),
//! `write_tmp` (writes `bytes` bytes to a file in its temporary directory).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    println!("handling {}", context.request_id);
    match payload.get("action").and_then(Value::as_str) {
        Some("fail") => Err("asked to fail".into()),
        Some("sleep") => {
            let ms = payload.get("ms").and_then(Value::as_u64).unwrap_or(0);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(json!({"slept_ms": ms}))
        }
        Some("crash") => std::process::exit(3),
        Some("write_tmp") => {
            let bytes = payload.get("bytes").and_then(Value::as_u64).unwrap_or(0);
            let path = std::env::temp_dir().join("scratch");
            std::fs::write(&path, vec![0u8; bytes as usize])?;
            Ok(json!({"wrote": bytes, "path": path}))
        }
        Some("env") => {
            let names = [
                "AWS_LAMBDA_FUNCTION_NAME",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                "AWS_LAMBDA_FUNCTION_VERSION",
                "AWS_LAMBDA_INITIALIZATION_TYPE",
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "AWS_REGION",
                "_HANDLER",
                "LAMBDA_TASK_ROOT",
                "AWS_ENDPOINT_URL",
                "GREETING",
            ];
            let env: serde_json::Map<String, Value> = names
                .iter()
                .filter_map(|n| Some((n.to_string(), Value::from(std::env::var(n).ok()?))))
                .collect();
            Ok(Value::Object(env))
        }
        _ => Ok(json!({
            "echo": payload,
            "request_id": context.request_id,
            "function_arn": context.invoked_function_arn,
            "deadline_ms": context.deadline,
        })),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    println!("echo_function initialising");
    lambda_runtime::run(service_fn(handler)).await
}
