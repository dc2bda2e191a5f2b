//! `GET /health` (also `/healthcheck` and `/_localstack/health`): the answer to a container
//! healthcheck. It is 200 once the server accepts requests, since every engine lives in this
//! process and is open before the port is bound; the body names the services in LocalStack's
//! shape (`{"services": {"kinesis": "running", ...}}`) so scripts that read it keep working,
//! and counts what the engines hold, which is cheap and tells a probe that state was
//! restored from `--data-dir`.

use crate::AppState;

/// The services on the port, as the body names them.
const SERVICES: [&str; 6] = ["kinesis", "cloudwatch", "lambda", "sqs", "sns", "logs"];

/// The body, a JSON object, written at the time of the request.
pub(crate) fn render(state: &AppState) -> String {
    let services: serde_json::Map<String, serde_json::Value> = SERVICES
        .iter()
        .map(|s| ((*s).to_owned(), "running".into()))
        .collect();
    serde_json::json!({
        "status": "running",
        "version": env!("CARGO_PKG_VERSION"),
        "services": services,
        "streams": state.engine.list_streams().len(),
        "queues": state.tenants.own().sqs.list_queues(None).len(),
        "functions": state.tenants.own().lambda.list_functions().len(),
    })
    .to_string()
}
