//! Accounts and regions kept apart, as AWS keeps them. A request's region is the one its
//! SigV4 credential scope names (`--region` when it names none), and its account the access
//! key id when that is 12 digits (`--account-id` otherwise), as other local AWS engines
//! choose. Each (account, region) pair gets its own engines, made at its first request:
//! streams, metrics, alarms, dashboards, functions, mappings, queues and topics of one pair
//! are invisible to every other, and their ARNs and queue URLs name the pair. The pair of
//! `--account-id` and `--region` is the server's own (the console and `/metrics` show it);
//! with `--data-dir`, another pair keeps its state under `accounts/<account>/<region>/` and
//! is opened again at start.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::{HeaderMap, Uri};
use cloudwatch_api::CloudWatchApi;
use kinesis_api::KinesisApi;
use kinesis_engine::{Engine, EngineConfig};
use lambda_engine::LambdaEngine;
use metric_store::Store;
use sns_engine::SnsEngine;
use sqs_engine::SqsEngine;
use tokio::task::JoinHandle;

use crate::{Bounds, ServerError, Services};

/// Account and region pairs a server keeps at once, its own included: a bound on what a
/// stream of requests naming new regions or keys can make it hold.
pub const MAX_TENANTS: usize = 64;

/// One account and region's services.
#[derive(Clone)]
pub(crate) struct Tenant {
    pub(crate) engine: Engine,
    pub(crate) kinesis: KinesisApi,
    pub(crate) cloudwatch: CloudWatchApi,
    pub(crate) lambda: LambdaEngine,
    pub(crate) sqs: SqsEngine,
    pub(crate) sns: SnsEngine,
    pub(crate) logs: logs_engine::LogsEngine,
    /// The pair's metric store, saved at shutdown.
    pub(crate) metrics: Arc<Store>,
}

/// Why a request could not be given its account and region.
#[derive(Debug)]
pub(crate) enum TenantError {
    /// [`MAX_TENANTS`] pairs are open already.
    Full,
    /// Opening the pair's engines failed.
    Open(ServerError),
}

/// Every account and region pair the server has served, made on demand.
pub(crate) struct Tenants {
    own: (String, String),
    default: Arc<Tenant>,
    others: Mutex<HashMap<(String, String), Arc<Tenant>>>,
    /// Each other pair's housekeeping and alarm evaluation, stopped at shutdown.
    tasks: Mutex<Vec<JoinHandle<()>>>,
    base: EngineConfig,
    addr: SocketAddr,
    bounds: Bounds,
    function_keys: Option<(String, String)>,
    max_series: usize,
    /// The server's fault rules, which other pairs' in-process reads pass too.
    faults: Arc<fault_injection::Faults>,
}

/// Whether `region` reads as a region name (`us-east-1`, `eu-west-1`, `local`).
fn is_region(region: &str) -> bool {
    (1..=32).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `key` is an access key id that names an account (12 digits).
fn is_account(key: &str) -> bool {
    key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit())
}

impl Tenants {
    /// The registry around the server's own services; others are opened as they are named,
    /// and, with a data directory, the ones kept there are opened now.
    pub(crate) fn new(
        engine: &Engine,
        metrics: &Arc<Store>,
        services: &Services,
        cloudwatch: CloudWatchApi,
        addr: SocketAddr,
    ) -> Tenants {
        let base = engine.config().clone();
        let tenants = Tenants {
            own: (base.account_id.clone(), base.region.clone()),
            default: Arc::new(Tenant {
                engine: engine.clone(),
                kinesis: services.kinesis.clone(),
                cloudwatch,
                lambda: services.lambda.clone(),
                sqs: services.sqs.clone(),
                sns: services.sns.clone(),
                logs: services.logs.clone(),
                metrics: metrics.clone(),
            }),
            others: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
            addr,
            bounds: services.bounds.clone(),
            function_keys: services.function_keys.clone(),
            max_series: metrics.max_series(),
            faults: services.faults.clone(),
            base,
        };
        if let Some(dir) = tenants.base.data_dir.clone() {
            for (account, region) in kept_pairs(&dir) {
                if let Err(e) = tenants.get(&account, &region) {
                    tracing::error!(account, region, error = ?e, "reopening an account and region failed");
                }
            }
        }
        tenants
    }

    /// The server's own pair's services.
    pub(crate) fn own(&self) -> &Tenant {
        &self.default
    }

    /// The services of the account and region a request names.
    pub(crate) fn for_request(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Arc<Tenant>, TenantError> {
        let Some((key, region)) = crate::sigv4::credential_scope(uri.query(), headers) else {
            return Ok(self.default.clone());
        };
        let account = if is_account(&key) {
            key
        } else {
            self.own.0.clone()
        };
        let region = if is_region(&region) {
            region
        } else {
            self.own.1.clone()
        };
        self.get(&account, &region)
    }

    /// The services of `account` in `region`, opened if they are not yet.
    pub(crate) fn get(&self, account: &str, region: &str) -> Result<Arc<Tenant>, TenantError> {
        if (account, region) == (self.own.0.as_str(), self.own.1.as_str()) {
            return Ok(self.default.clone());
        }
        let key = (account.to_owned(), region.to_owned());
        let mut others = lock(&self.others);
        if let Some(t) = others.get(&key) {
            return Ok(t.clone());
        }
        if others.len() + 1 >= MAX_TENANTS {
            return Err(TenantError::Full);
        }
        let tenant = Arc::new(self.open(account, region).map_err(TenantError::Open)?);
        others.insert(key, tenant.clone());
        Ok(tenant)
    }

    fn open(&self, account: &str, region: &str) -> Result<Tenant, ServerError> {
        let config = EngineConfig {
            account_id: account.to_owned(),
            region: region.to_owned(),
            data_dir: self
                .base
                .data_dir
                .as_ref()
                .map(|d| pair_dir(d, account, region)),
            ..self.base.clone()
        };
        if let Some(dir) = &config.data_dir {
            std::fs::create_dir_all(dir)?;
        }
        let engine = Engine::open_with_clock(config, self.default.engine.clock())
            .map_err(|e| ServerError::Io(std::io::Error::other(e.to_string())))?;
        let metrics = Arc::new(Store::with_clock(engine.clock()).with_max_series(self.max_series));
        // A function in another account signs its own calls with that account's id as its
        // key, so they land back here (with `--auth verify`, the server's first key).
        let keys = self
            .function_keys
            .clone()
            .or_else(|| Some((account.to_owned(), "streamwatch".to_owned())));
        let services =
            crate::services_with_keys(&engine, self.addr, metrics.clone(), &self.bounds, keys)?;
        // Mappings' in-process reads pass the server's fault rules, as requests do.
        services
            .lambda
            .set_kinesis(Arc::new(crate::lambda_plugs::KinesisReads(
                services.kinesis.clone(),
                self.faults.clone(),
            )));
        let cloudwatch = crate::cloudwatch_api_for(&engine, &metrics, &services);
        let mut tasks = lock(&self.tasks);
        tasks.push(tokio::spawn(crate::maintain(
            engine.clone(),
            metrics.clone(),
            services.sqs.clone(),
            services.logs.clone(),
        )));
        tasks.push(tokio::spawn(crate::alarm_actions::evaluate(
            services.alarms.clone(),
            services.lambda.clone(),
            services.sns.clone(),
        )));
        tracing::info!(account, region, "serving another account and region");
        Ok(Tenant {
            engine,
            kinesis: services.kinesis,
            cloudwatch,
            lambda: services.lambda,
            sqs: services.sqs,
            sns: services.sns,
            logs: services.logs,
            metrics,
        })
    }

    /// Stops the other pairs: their tasks, their functions, a last journal sync and their
    /// metric stores' snapshots.
    pub(crate) fn shutdown(&self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        for tenant in lock(&self.others).values() {
            tenant.lambda.shutdown();
            let _ = std::fs::remove_dir_all(&tenant.lambda.config().code_root);
            if let Err(e) = tenant.engine.sync() {
                tracing::error!(error = %e, "final journal sync failed");
            }
            if let Err(e) = tenant.sqs.maintain_journal() {
                tracing::error!(error = %e, "final SQS journal sync failed");
            }
            crate::keep_at_shutdown(&tenant.engine, &tenant.metrics, &tenant.logs);
        }
    }
}

/// Locks a registry mutex; a panic elsewhere while it was held leaves the data usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where another pair keeps its state under the data directory.
fn pair_dir(data_dir: &Path, account: &str, region: &str) -> PathBuf {
    data_dir.join("accounts").join(account).join(region)
}

/// The pairs kept under a data directory's `accounts/`.
fn kept_pairs(data_dir: &Path) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let Ok(accounts) = std::fs::read_dir(data_dir.join("accounts")) else {
        return pairs;
    };
    for account in accounts.flatten() {
        let account_name = account.file_name().to_string_lossy().into_owned();
        let Ok(regions) = std::fs::read_dir(account.path()) else {
            continue;
        };
        for region in regions.flatten() {
            let region_name = region.file_name().to_string_lossy().into_owned();
            if is_account(&account_name) && is_region(&region_name) {
                pairs.push((account_name.clone(), region_name));
            }
        }
    }
    pairs.sort();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_twelve_digits_name_an_account() {
        assert!(is_account("111122223333"));
        assert!(!is_account("AKIAIOSFODNN7EXAMPLE"));
        assert!(!is_account("11112222333"));
        assert!(!is_account("11112222333x"));
    }

    #[test]
    fn region_names_are_lowercase_words() {
        assert!(is_region("eu-west-1"));
        assert!(is_region("local"));
        assert!(!is_region("EU-WEST-1"));
        assert!(!is_region("../etc"));
        assert!(!is_region(""));
    }

    #[test]
    fn kept_pairs_are_read_back_from_the_data_directory() {
        let dir = std::env::temp_dir().join(format!("sw-tenants-{}", std::process::id()));
        std::fs::create_dir_all(pair_dir(&dir, "111122223333", "eu-west-1")).unwrap();
        std::fs::create_dir_all(dir.join("accounts/not-an-account/us-east-1")).unwrap();
        let pairs = kept_pairs(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(pairs, [("111122223333".to_owned(), "eu-west-1".to_owned())]);
    }
}
