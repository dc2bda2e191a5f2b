//! The CloudWatch API (`GraniteServiceVersion20100801`, 2010-08-01): the metrics over the
//! [`metric_store`] (ListMetrics, GetMetricData with metric math, GetMetricStatistics,
//! PutMetricData) and the alarms over an [`alarm_engine::AlarmEngine`] (PutMetricAlarm,
//! PutCompositeAlarm, DescribeAlarms, DescribeAlarmsForMetric, DescribeAlarmHistory,
//! DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions and the alarm tags) and the
//! dashboards over a [`dashboards::Dashboards`] (PutDashboard, GetDashboard, ListDashboards,
//! DeleteDashboards).
//!
//! CloudWatch is served in the three protocols clients send today: Smithy RPC v2 CBOR
//! (aws-sdk-rust, the JS and .NET SDKs), AWS JSON 1.0 (boto3 and the AWS CLI), and the query
//! protocol with XML answers (older SDKs). The service is query-compatible, so JSON and CBOR
//! errors carry the `x-amzn-query-error` header with the query error code. Each operation
//! lives in `actions/` with its schema and a `run` that reads the store and writes the output
//! through a token writer, the same for every protocol.
//!
//! No I/O and no HTTP here beyond status codes and header values.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod actions;
mod error;
mod math;
mod shapes;

use std::sync::Arc;

use alarm_engine::{ActionRequest, AlarmEngine};
use aws_wire::{Encoding, Writer};
use dashboards::Dashboards;
use metric_store::Store;

pub use actions::Operation;
pub use error::{CwError, CwResult, ERROR_NAMESPACE};

/// The service name in RPC v2 CBOR paths and the JSON 1.0 target prefix.
pub const SERVICE: &str = "GraniteServiceVersion20100801";
/// The query protocol's API version.
pub const API_VERSION: &str = "2010-08-01";
/// The XML namespace of query answers.
pub const XML_NAMESPACE: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

/// Which wire protocol a request arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Smithy RPC v2 CBOR: `POST /service/GraniteServiceVersion20100801/operation/<Op>`.
    RpcV2Cbor,
    /// AWS JSON 1.0: `X-Amz-Target: GraniteServiceVersion20100801.<Op>`.
    Json,
    /// The query protocol: a form body with `Action` and `Version`; XML answers.
    Query,
}

/// What the HTTP layer hands over.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The protocol, from the path, the target header or the content type.
    pub protocol: Protocol,
    /// The operation named by the path or the target header (the query protocol names it in
    /// the body).
    pub operation: Option<&'a str>,
    /// Whether credentials were present (any signature is accepted).
    pub authenticated: bool,
    /// The body, already decompressed.
    pub body: &'a [u8],
    /// The request id, echoed in XML answers.
    pub request_id: &'a str,
}

/// What to send back: the reply type every API crate shares.
pub type Response = aws_wire::Reply;

/// A query request whose parameters do not read as their types: AWS answers these with
/// `InvalidParameterValue` (constraint failures keep their ValidationError).
fn query_input_error(e: &aws_wire::WireError) -> CwError {
    match e {
        aws_wire::WireError::Validation(m) => CwError::validation(m.clone()),
        aws_wire::WireError::Serialization(m) => CwError::invalid_value(if m.is_empty() {
            "The request could not be read.".to_owned()
        } else {
            m.clone()
        }),
    }
}

/// Where the actions of alarm state changes go (SNS topics, Lambda functions): the server
/// delivers them. SetAlarmState's changes come through here; the evaluation loop's are
/// returned by [`AlarmEngine::evaluate_due`] to whoever runs it.
pub type ActionSink = Arc<dyn Fn(Vec<ActionRequest>) + Send + Sync>;

/// What an action needs.
pub(crate) struct Ctx<'a> {
    pub(crate) store: &'a Store,
    pub(crate) account_id: &'a str,
    pub(crate) alarms: &'a AlarmEngine,
    pub(crate) deliver: &'a (dyn Fn(Vec<ActionRequest>) + Send + Sync),
    pub(crate) dashboards: &'a Dashboards,
}

/// The CloudWatch API over one store and its alarms.
#[derive(Clone)]
pub struct CloudWatchApi {
    store: Arc<Store>,
    account_id: String,
    alarms: AlarmEngine,
    deliver: ActionSink,
    dashboards: Dashboards,
}

impl CloudWatchApi {
    /// The API over `store`, answering for `account_id`, with the alarms of `alarms` whose
    /// actions go to `deliver`.
    pub fn new(
        store: Arc<Store>,
        account_id: impl Into<String>,
        alarms: AlarmEngine,
        deliver: ActionSink,
    ) -> CloudWatchApi {
        let account_id = account_id.into();
        let dashboards = Dashboards::new(
            &account_id,
            Arc::new(time_source::SystemClock),
            dashboards::Limits::default(),
        );
        CloudWatchApi {
            store,
            account_id,
            alarms,
            deliver,
            dashboards,
        }
    }

    /// The same API keeping its dashboards in `dashboards` (an in-memory set on the system
    /// clock otherwise).
    pub fn with_dashboards(mut self, dashboards: Dashboards) -> CloudWatchApi {
        self.dashboards = dashboards;
        self
    }

    /// The dashboards behind the API.
    pub fn dashboards(&self) -> &Dashboards {
        &self.dashboards
    }

    /// The alarms behind the API.
    pub fn alarms(&self) -> &AlarmEngine {
        &self.alarms
    }

    /// The store behind the API.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Answers one request. Never panics, whatever the bytes.
    pub fn handle(&self, req: &Request<'_>) -> Response {
        let encoding = match req.protocol {
            Protocol::RpcV2Cbor => Encoding::RpcV2Cbor,
            Protocol::Json => Encoding::Json,
            Protocol::Query => Encoding::Query,
        };
        let mut op_name = req.operation.map(str::to_owned);
        match self.run(req, &mut op_name, encoding) {
            Ok(body) => self.success(req, body),
            Err(e) => self.failure(req, encoding, &e),
        }
    }

    fn run(
        &self,
        req: &Request<'_>,
        op_name: &mut Option<String>,
        encoding: Encoding,
    ) -> CwResult<Vec<u8>> {
        let query = encoding == Encoding::Query;
        // An empty body is an empty input in RPC v2 CBOR and query; JSON needs at least `{}`.
        let body: &[u8] = if req.body.is_empty() && req.protocol == Protocol::Json {
            b"{}"
        } else {
            req.body
        };
        let decoded = if query {
            // The query protocol names the operation in the body.
            let request = aws_wire::decode_query(body).map_err(|e| query_input_error(&e))?;
            *op_name = request.action.map(|a| a.into_owned());
            if op_name.is_none() {
                return Err(CwError::missing(
                    "The request must contain the parameter Action.",
                ));
            }
            Some(request.params)
        } else {
            None
        };
        let name = op_name.clone().unwrap_or_default();
        let Some(op) = Operation::from_name(&name) else {
            return Err(CwError::unknown_operation(&name));
        };
        if !req.authenticated {
            return Err(CwError::missing_authentication());
        }
        let value = match decoded {
            Some(v) => v,
            None => aws_wire::decode(encoding, body)?,
        };
        let input = aws_wire::validate(value, op.schema(), encoding).map_err(|e| {
            if query {
                query_input_error(&e)
            } else {
                CwError::from(e)
            }
        })?;
        let mut w = Writer::new(encoding);
        let cx = Ctx {
            store: &self.store,
            account_id: &self.account_id,
            alarms: &self.alarms,
            deliver: self.deliver.as_ref(),
            dashboards: &self.dashboards,
        };
        op.run(&cx, input, &mut w)?;
        let result = op.has_output().then(|| w.finish());
        Ok(match (query, result) {
            (true, result) => aws_wire::query_response(
                op.name(),
                XML_NAMESPACE,
                result.as_deref(),
                req.request_id,
            ),
            (false, result) => result.unwrap_or_default(),
        })
    }

    /// `e` answered in `protocol` as [`CloudWatchApi::handle`] answers its own errors (the
    /// server's injected faults use it).
    pub fn error_reply(&self, protocol: Protocol, e: &CwError, request_id: &str) -> Response {
        let encoding = match protocol {
            Protocol::RpcV2Cbor => Encoding::RpcV2Cbor,
            Protocol::Json => Encoding::Json,
            Protocol::Query => Encoding::Query,
        };
        let req = Request {
            protocol,
            operation: None,
            authenticated: true,
            body: &[],
            request_id,
        };
        self.failure(&req, encoding, e)
    }

    fn success(&self, req: &Request<'_>, body: Vec<u8>) -> Response {
        let rpc = || vec![("smithy-protocol", "rpc-v2-cbor".to_owned())];
        let (content_type, headers) = match req.protocol {
            Protocol::RpcV2Cbor if body.is_empty() => (None, rpc()),
            Protocol::RpcV2Cbor => (Some("application/cbor"), rpc()),
            Protocol::Json => (Some("application/x-amz-json-1.0"), Vec::new()),
            Protocol::Query => (Some("text/xml"), Vec::new()),
        };
        Response {
            status: 200,
            content_type,
            headers,
            body,
            error_code: None,
        }
    }

    fn failure(&self, req: &Request<'_>, encoding: Encoding, e: &CwError) -> Response {
        let message = e.message.as_deref();
        let (content_type, headers, body) = match req.protocol {
            Protocol::Query => (
                "text/xml",
                Vec::new(),
                aws_wire::query_error(
                    XML_NAMESPACE,
                    e.sender,
                    e.query_code,
                    message,
                    req.request_id,
                ),
            ),
            Protocol::RpcV2Cbor | Protocol::Json => {
                let mut headers = vec![("x-amzn-query-error", e.query_error_header())];
                let content_type = if req.protocol == Protocol::RpcV2Cbor {
                    headers.push(("smithy-protocol", "rpc-v2-cbor".to_owned()));
                    "application/cbor"
                } else {
                    "application/x-amz-json-1.0"
                };
                let body = if e.validation_messages.is_empty() {
                    aws_wire::error_body(encoding, &e.type_id, message)
                } else {
                    dashboard_error_body(encoding, e)
                };
                (content_type, headers, body)
            }
        };
        Response {
            status: e.status,
            content_type: Some(content_type),
            headers,
            body,
            error_code: Some(e.query_code),
        }
    }
}

/// PutDashboard's `DashboardInvalidInputError` in JSON or CBOR: `__type`, `message` and the
/// `dashboardValidationMessages` member the model gives it.
fn dashboard_error_body(encoding: Encoding, e: &CwError) -> Vec<u8> {
    let mut w = Writer::new(encoding);
    w.begin_map(Some(3));
    w.key("__type");
    w.str(&e.type_id);
    w.key("message");
    w.str(e.message.as_deref().unwrap_or_default());
    w.key("dashboardValidationMessages");
    w.begin_array(Some(e.validation_messages.len()));
    for (path, message) in &e.validation_messages {
        w.begin_map(Some(2));
        w.key("DataPath");
        w.str(path);
        w.key("Message");
        w.str(message);
        w.end_map();
    }
    w.end_array();
    w.end_map();
    w.finish()
}
