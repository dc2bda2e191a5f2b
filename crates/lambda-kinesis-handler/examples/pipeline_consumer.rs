//! A Kinesis consumer built on `lambda-kinesis-handler`, deployable as is to AWS or to the
//! embedded engine (`streamwatch function deploy --name orders --bin
//! target/release/examples/pipeline_consumer --kinesis-stream orders`).
//!
//! Each record's data is text. `poison` fails the record, and so does a JSON object with
//! `"poison": true` (as `streamwatch load --template '{"poison": true}'` sends); anything else
//! is "written downstream": appended to the file `$SINK_FILE` if it is set (standing in for a
//! database), a write that fails for records starting with `unwritable`. Run the mapping with
//! `FunctionResponseTypes=ReportBatchItemFailures` so the failed records are retried.

use std::io::Write as _;

use lambda_kinesis_handler::{Downstream, MetricsConfig, Record};

async fn handle(record: Record, downstream: Downstream) -> Result<(), String> {
    let text = String::from_utf8(record.data).map_err(|e| format!("not UTF-8: {e}"))?;
    let poison_json =
        || serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v["poison"] == true);
    if text == "poison" || poison_json() {
        return Err(format!("poison record {}", record.sequence_number));
    }
    downstream
        .write(async {
            if text.starts_with("unwritable") {
                return Err(format!("the store refused {text}"));
            }
            if let Ok(path) = std::env::var("SINK_FILE") {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| e.to_string())?;
                writeln!(file, "{} {text}", record.partition_key).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .await
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_kinesis_handler::run(MetricsConfig::from_env(), handle).await
}
