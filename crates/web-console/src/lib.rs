//! The web console: a whole Kinesis + Lambda pipeline in a browser, live.
//!
//! [`Console`] is the backend. It reads everything through the public AWS APIs with the AWS SDK
//! for Rust (ListStreams, DescribeStreamSummary, ListShards, ListFunctions,
//! ListEventSourceMappings, GetMetricData, DescribeAlarms, DescribeAlarmHistory,
//! FilterLogEvents, ListDashboards, GetDashboard), so one code path shows a pipeline on the
//! embedded engine and on AWS. Each page's view model is JSON, kept for a short while in a
//! cache (`cache.rs`), so many browsers refreshing every second cost one set of API calls per
//! second. [`Console::router`] serves the page, its embedded assets (`assets/`, uPlot for the
//! charts) and the view models:
//!
//! - `GET /` — the single-page app (pages: overview, stream, function, alarms, dashboards);
//! - `GET /console/assets/<file>` — script, style, uPlot;
//! - `GET /console/api/<view>` — the view models.
//!
//! The engine runs users' code, so no web page a developer visits may reach it: every
//! response passes [`guard`], which takes GET only, refuses a request a web page sent
//! ([`refusal`]: `Sec-Fetch-Site` other than `none`/`same-origin`, or a foreign `Origin`),
//! checks the Host when the console serves its own port, and forbids framing (CSP
//! `frame-ancestors 'none'`, `X-Frame-Options: DENY`) and any source but its own
//! (`default-src 'self'`).
//!
//! ```no_run
//! # async fn run() {
//! let console = web_console::Console::new(
//!     web_console::Clients::for_endpoint("http://127.0.0.1:4567", "us-east-1"),
//!     web_console::Options::local("us-east-1"),
//! );
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:4568").await.unwrap();
//! axum::serve(listener, console.router()).await.unwrap();
//! # }
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod assets;
mod backend;
mod cache;
pub mod dashboard;
mod guard;
mod metrics;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use guard::{HostCheck, refusal};
pub use metrics::TimeRange;

/// The prefix of every console path but `/`.
pub const PATH_PREFIX: &str = "/console/";

/// Whether a request is the console's: a GET of `/` without a query string (an SDK never sends
/// one; SNS's SubscribeURL carries a query) or of a path under [`PATH_PREFIX`].
pub fn is_console_request(method: &Method, uri: &Uri) -> bool {
    method == Method::GET
        && ((uri.path() == "/" && uri.query().is_none()) || uri.path().starts_with(PATH_PREFIX))
}

/// Errors of the console's backend.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An AWS API call failed.
    #[error("{operation}: {message}")]
    Aws {
        /// The operation, e.g. `ListStreams`.
        operation: &'static str,
        /// The error code, when the service sent one.
        code: Option<String>,
        /// What went wrong.
        message: String,
    },
    /// A dashboard body is not valid JSON or not a dashboard.
    #[error("dashboard body: {0}")]
    Dashboard(String),
}

impl Error {
    /// Whether the service does not know the operation at all (an engine without it).
    pub fn is_unknown_operation(&self) -> bool {
        matches!(self, Error::Aws { code: Some(c), .. } if c.contains("UnknownOperation") || c == "InvalidAction" || c == "UnrecognizedClientException")
    }
}

/// The SDK clients the console reads through.
#[derive(Clone, Debug)]
pub struct Clients {
    /// Kinesis: streams and shards.
    pub kinesis: aws_sdk_kinesis::Client,
    /// CloudWatch: metrics, alarms, dashboards.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Lambda: functions and event source mappings.
    pub lambda: aws_sdk_lambda::Client,
    /// CloudWatch Logs: the functions' log lines.
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

macro_rules! local_config {
    ($sdk:ident, $endpoint:expr, $region:expr, $key:expr, $secret:expr) => {
        $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new($region.to_owned()))
            .credentials_provider($sdk::config::Credentials::new(
                $key.to_owned(),
                $secret.to_owned(),
                None,
                None,
                "streamwatch-console",
            ))
            .endpoint_url($endpoint)
            .build()
    };
}

impl Clients {
    /// Clients for an engine at `endpoint` (static credentials: the engine takes any
    /// signature, but requires one).
    pub fn for_endpoint(endpoint: &str, region: &str) -> Clients {
        Clients::for_endpoint_with_keys(endpoint, region, "streamwatch", "streamwatch")
    }

    /// Clients for an engine at `endpoint` signing with `key` and `secret` (for a server
    /// that verifies signatures).
    pub fn for_endpoint_with_keys(
        endpoint: &str,
        region: &str,
        key: &str,
        secret: &str,
    ) -> Clients {
        Clients {
            kinesis: aws_sdk_kinesis::Client::from_conf(local_config!(
                aws_sdk_kinesis,
                endpoint,
                region,
                key,
                secret
            )),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(local_config!(
                aws_sdk_cloudwatch,
                endpoint,
                region,
                key,
                secret
            )),
            lambda: aws_sdk_lambda::Client::from_conf(local_config!(
                aws_sdk_lambda,
                endpoint,
                region,
                key,
                secret
            )),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(local_config!(
                aws_sdk_cloudwatchlogs,
                endpoint,
                region,
                key,
                secret
            )),
        }
    }
}

/// How the console reads.
#[derive(Clone, Debug)]
pub struct Options {
    /// The region shown (and the one the clients call).
    pub region: String,
    /// The shortest metric period asked for, in seconds: 1 on the engine (it keeps 1-second
    /// aggregates), 60 on AWS (Kinesis and Lambda publish per minute).
    pub min_period: i32,
    /// The window a node's live rate is averaged over, in seconds.
    pub rate_window: i32,
    /// How long a view model is reused, in milliseconds.
    pub cache_ms: u64,
    /// How long the inventory (streams, functions, mappings) is reused, in milliseconds.
    pub inventory_cache_ms: u64,
    /// The Host check of a console on its own port; `None` when a front door in front of it
    /// has already checked the Host (the engine's port).
    pub host_check: Option<HostCheck>,
    /// Whether the backend is the embedded engine (shown on the page).
    pub local: bool,
}

impl Options {
    /// The options for the embedded engine: 1-second periods, a 5-second rate window.
    pub fn local(region: &str) -> Options {
        Options {
            region: region.to_owned(),
            min_period: 1,
            rate_window: 5,
            cache_ms: 900,
            inventory_cache_ms: 2_000,
            host_check: None,
            local: true,
        }
    }

    /// The options for AWS: 1-minute periods and rate window, a longer inventory cache.
    pub fn aws(region: &str) -> Options {
        Options {
            region: region.to_owned(),
            min_period: 60,
            rate_window: 60,
            cache_ms: 5_000,
            inventory_cache_ms: 30_000,
            host_check: None,
            local: false,
        }
    }

    /// These options with the Host check of a console on its own port.
    pub fn with_host_check(mut self, check: HostCheck) -> Options {
        self.host_check = Some(check);
        self
    }
}

type MakeClients = Box<dyn Fn() -> Clients + Send + Sync>;

struct Inner {
    clients: OnceLock<Clients>,
    make: MakeClients,
    options: Options,
    cache: cache::Cache<serde_json::Value>,
    inventory: cache::Cache<backend::Inventory>,
}

/// The console's backend and its router; cheap to clone.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console reading through `clients`.
    pub fn new(clients: Clients, options: Options) -> Console {
        let clients_once = OnceLock::new();
        let _ = clients_once.set(clients.clone());
        Console {
            inner: Arc::new(Inner {
                clients: clients_once,
                make: Box::new(move || clients.clone()),
                options,
                cache: cache::Cache::default(),
                inventory: cache::Cache::default(),
            }),
        }
    }

    /// A console whose clients are made by `make` at its first request (a server that may
    /// never be visited builds no SDK client).
    pub fn lazy(make: impl Fn() -> Clients + Send + Sync + 'static, options: Options) -> Console {
        Console {
            inner: Arc::new(Inner {
                clients: OnceLock::new(),
                make: Box::new(make),
                options,
                cache: cache::Cache::default(),
                inventory: cache::Cache::default(),
            }),
        }
    }

    fn clients(&self) -> &Clients {
        self.inner.clients.get_or_init(|| (self.inner.make)())
    }

    fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The router serving the page, its assets and its view models, behind [`guard`].
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(assets::index))
            .route("/console/assets/{file}", get(assets::asset))
            .route("/console/api/overview", get(overview))
            .route("/console/api/stream/{name}", get(stream))
            .route("/console/api/function/{name}", get(function))
            .route("/console/api/alarms", get(alarms))
            .route("/console/api/dashboards", get(dashboards))
            .route("/console/api/dashboard/{name}", get(dashboard))
            .route("/console/api/dashboard-preview", get(dashboard_preview))
            .fallback(not_found)
            .with_state(self.clone())
            .layer(axum::middleware::from_fn_with_state(
                self.options().host_check.clone(),
                guard::guard,
            ))
    }

    /// The overview's view model (the pipeline graph), as JSON.
    pub async fn overview(&self) -> Result<Arc<serde_json::Value>, Error> {
        let key = "overview".to_owned();
        let ttl = self.options().cache_ms;
        self.inner
            .cache
            .get_or(key, ttl, backend::overview(self))
            .await
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not a console page\n").into_response()
}

fn json(result: Result<Arc<serde_json::Value>, Error>) -> Response {
    match result {
        Ok(value) => {
            let mut resp = axum::Json(value.as_ref()).into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => {
            tracing::debug!(error = %e, "console view failed");
            let body = serde_json::json!({"error": e.to_string()});
            (StatusCode::BAD_GATEWAY, axum::Json(body)).into_response()
        }
    }
}

async fn overview(State(console): State<Console>) -> Response {
    json(console.overview().await)
}

async fn stream(
    State(console): State<Console>,
    Path(name): Path<String>,
    Query(range): Query<metrics::RangeQuery>,
) -> Response {
    let range = range.resolve(console.options().min_period);
    let key = format!("stream/{name}/{}", range.key());
    let ttl = console.options().cache_ms;
    json(
        console
            .inner
            .cache
            .get_or(key, ttl, backend::stream(&console, &name, range))
            .await,
    )
}

async fn function(
    State(console): State<Console>,
    Path(name): Path<String>,
    Query(range): Query<metrics::RangeQuery>,
) -> Response {
    let range = range.resolve(console.options().min_period);
    let key = format!("function/{name}/{}", range.key());
    let ttl = console.options().cache_ms;
    json(
        console
            .inner
            .cache
            .get_or(key, ttl, backend::function(&console, &name, range))
            .await,
    )
}

async fn alarms(State(console): State<Console>) -> Response {
    let ttl = console.options().cache_ms;
    json(
        console
            .inner
            .cache
            .get_or("alarms".to_owned(), ttl, backend::alarms(&console))
            .await,
    )
}

async fn dashboards(State(console): State<Console>) -> Response {
    let ttl = console.options().cache_ms;
    json(
        console
            .inner
            .cache
            .get_or("dashboards".to_owned(), ttl, backend::dashboards(&console))
            .await,
    )
}

async fn dashboard(
    State(console): State<Console>,
    Path(name): Path<String>,
    Query(range): Query<metrics::RangeQuery>,
) -> Response {
    let range = range.resolve(console.options().min_period);
    let key = format!("dashboard/{name}/{}", range.key());
    let ttl = console.options().cache_ms;
    json(
        console
            .inner
            .cache
            .get_or(key, ttl, backend::dashboard(&console, &name, range))
            .await,
    )
}

/// A dashboard body given inline (`?body=<JSON>`), rendered like a stored one: how the
/// renderer is tested without the dashboards API.
#[derive(serde::Deserialize)]
struct PreviewQuery {
    body: String,
    range: Option<i64>,
    start: Option<i64>,
    end: Option<i64>,
}

async fn dashboard_preview(
    State(console): State<Console>,
    Query(q): Query<PreviewQuery>,
) -> Response {
    let range = metrics::RangeQuery {
        range: q.range,
        start: q.start,
        end: q.end,
    }
    .resolve(console.options().min_period);
    json(
        dashboard::render(&console, "(preview)", &q.body, range)
            .await
            .map(Arc::new),
    )
}
