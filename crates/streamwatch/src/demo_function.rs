//! `streamwatch demo-function` (hidden): the Lambda function `demo` deploys, run by the engine
//! as the function's `bootstrap` (a two-line script that starts this binary). It is a
//! consumer on `lambda-kinesis-handler`: each record is forwarded to the downstream stream
//! `$OUTPUT_STREAM` with PutRecord, timed as a downstream write, and a record whose data starts
//! with `poison` fails, so the mapping's retries and its on-failure queue show at work. The
//! batch's pipeline metrics go out as EMF, as from any function built on the handler.

use anyhow::Context;
use aws_sdk_kinesis::primitives::Blob;
use lambda_kinesis_handler::{Downstream, MetricsConfig, Record};

/// The data prefix that makes the demo function fail a record.
pub const POISON: &[u8] = b"poison";

/// The zip `demo` deploys: a `bootstrap` script that runs this very binary as the function.
pub fn bootstrap_zip() -> anyhow::Result<Vec<u8>> {
    let exe = std::env::current_exe().context("finding this binary for the demo function")?;
    let exe = exe
        .to_str()
        .context("this binary's path is not UTF-8")?
        .replace('\'', r"'\''");
    let script = format!("#!/bin/sh\nexec '{exe}' demo-function\n");
    Ok(function_zip::zip_files(&[(
        "bootstrap",
        script.as_bytes(),
        0o755,
    )])?)
}

/// Runs the function against the Runtime API the engine gives it (`AWS_LAMBDA_RUNTIME_API`).
pub fn run() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let output = std::env::var("OUTPUT_STREAM").context("OUTPUT_STREAM is not set")?;
        // The engine sets the endpoint, region and credentials in the function's environment.
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let kinesis = aws_sdk_kinesis::Client::new(&config);
        let handle = |record: Record, downstream: Downstream| {
            let (kinesis, output) = (kinesis.clone(), output.clone());
            async move {
                if record.data.starts_with(POISON) {
                    return Err(format!("poison record {}", record.sequence_number));
                }
                downstream
                    .write(async {
                        kinesis
                            .put_record()
                            .stream_name(&output)
                            .partition_key(record.partition_key)
                            .data(Blob::new(record.data))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| format!("forwarding to {output}: {e}"))
                    })
                    .await
            }
        };
        lambda_kinesis_handler::run(MetricsConfig::from_env(), handle)
            .await
            .map_err(|e| anyhow::anyhow!("the demo function: {e}"))
    })
}
