//! CloudWatch dashboards for the embedded engine, and the dashboards streamwatch generates.
//!
//! - [`Dashboards`] keeps the account's dashboards as PutDashboard, GetDashboard,
//!   ListDashboards and DeleteDashboards see them: names checked as CloudWatch does, bodies
//!   checked by [`validate`], entries listed by name 1,000 a page, and, with
//!   [`Dashboards::with_data_dir`], every change written to `dashboards.json`. Bounded: at
//!   most [`Limits::max_dashboards`] dashboards and [`Limits::max_body_bytes`] a body.
//! - `generate` (feature `generate`) builds streamwatch's dashboard for a stream and its consumer function: a
//!   CloudWatch body (`generate::cloudwatch`) and Grafana dashboards over Prometheus or
//!   Grafana's CloudWatch data source (`generate::grafana`), every metric name from
//!   [`metric_store::catalog`].
//!
//! No I/O beyond the data file, no HTTP, no wire encoding: `cloudwatch-api` speaks for it.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod error;
#[cfg(feature = "generate")]
pub mod generate;
mod persist;
pub mod validate;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use time_source::Clock;

pub use error::DashboardError;
pub use validate::ValidationMessage;

/// ListDashboards' page size (CloudWatch's).
pub const PAGE_SIZE: usize = 1000;
/// The longest dashboard name (CloudWatch's).
pub const MAX_NAME_CHARS: usize = 255;
/// DeleteDashboards takes at most this many names (CloudWatch's).
pub const MAX_DELETE: usize = 100;

/// The bounds on what the engine keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Dashboards kept; a PutDashboard creating one more is refused with `LimitExceeded`.
    pub max_dashboards: usize,
    /// The largest body in bytes; a larger one is refused with `InvalidParameterValue`.
    pub max_body_bytes: usize,
}

/// Default [`Limits::max_dashboards`]: 5,000 dashboards.
pub const DEFAULT_MAX_DASHBOARDS: usize = 5000;
/// Default [`Limits::max_body_bytes`]: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_dashboards: DEFAULT_MAX_DASHBOARDS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// One dashboard as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Its name.
    pub name: String,
    /// The body exactly as put.
    pub body: String,
    /// When it was last put, in milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
}

impl Dashboard {
    /// The body's size in bytes (ListDashboards' `Size`).
    pub fn size(&self) -> usize {
        self.body.len()
    }
}

/// A page of ListDashboards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The dashboards, by name.
    pub dashboards: Vec<Dashboard>,
    /// Where the next page starts, if there is one.
    pub next_token: Option<String>,
}

struct Inner {
    dashboards: BTreeMap<String, Dashboard>,
    data_dir: Option<PathBuf>,
}

/// The dashboards of one account. Cheap to clone: clones share the dashboards.
#[derive(Clone)]
pub struct Dashboards {
    inner: Arc<Mutex<Inner>>,
    clock: Arc<dyn Clock>,
    account_id: Arc<str>,
    limits: Limits,
    refused: Arc<AtomicU64>,
}

impl std::fmt::Debug for Dashboards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboards")
            .field("account_id", &self.account_id)
            .field("limits", &self.limits)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// CloudWatch's text for a name outside `A-Za-z0-9-_` (the trailing line break is AWS's).
const INVALID_NAME: &str = "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).\n";

fn name_is_valid(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Dashboards {
    /// No dashboards yet, for `account_id`, timed by `clock`.
    pub fn new(account_id: &str, clock: Arc<dyn Clock>, limits: Limits) -> Dashboards {
        Dashboards {
            inner: Arc::new(Mutex::new(Inner {
                dashboards: BTreeMap::new(),
                data_dir: None,
            })),
            clock,
            account_id: account_id.into(),
            limits,
            refused: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Loads the dashboards kept in `dir/dashboards.json` (if any) and keeps every later
    /// change there.
    pub fn with_data_dir(self, dir: &Path) -> Result<Dashboards, DashboardError> {
        let loaded = persist::load(dir)?;
        {
            let mut inner = self.inner.lock();
            for d in loaded {
                inner.dashboards.insert(d.name.clone(), d);
            }
            inner.data_dir = Some(dir.to_owned());
        }
        Ok(self)
    }

    /// The bounds in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// PutDashboard calls refused because [`Limits::max_dashboards`] were kept.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// How many dashboards are kept.
    pub fn len(&self) -> usize {
        self.inner.lock().dashboards.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A dashboard's ARN: `arn:aws:cloudwatch::ACCOUNT:dashboard/NAME` (dashboards are
    /// global, so no region).
    pub fn arn(&self, name: &str) -> String {
        format!("arn:aws:cloudwatch::{}:dashboard/{name}", self.account_id)
    }

    /// PutDashboard: creates or replaces `name` with `body`. An invalid body changes nothing
    /// and is [`DashboardError::InvalidBody`]; a valid one returns the warnings (none today).
    pub fn put(&self, name: &str, body: &str) -> Result<Vec<ValidationMessage>, DashboardError> {
        if !name_is_valid(name) {
            return Err(DashboardError::InvalidParameterValue(INVALID_NAME.into()));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(DashboardError::InvalidParameterValue(format!(
                "The value for field DashboardName must be at most {MAX_NAME_CHARS} characters long."
            )));
        }
        if body.len() > self.limits.max_body_bytes {
            return Err(DashboardError::InvalidParameterValue(format!(
                "The dashboard body is {} bytes; this engine keeps bodies of at most {} bytes.",
                body.len(),
                self.limits.max_body_bytes
            )));
        }
        let messages = validate::body(body);
        if !messages.is_empty() {
            return Err(DashboardError::InvalidBody {
                message: validate::error_message(&messages),
                messages,
            });
        }
        let mut inner = self.inner.lock();
        if !inner.dashboards.contains_key(name)
            && inner.dashboards.len() >= self.limits.max_dashboards
        {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(DashboardError::LimitExceeded(format!(
                "This engine keeps at most {} dashboards (--max-dashboards).",
                self.limits.max_dashboards
            )));
        }
        let dashboard = Dashboard {
            name: name.to_owned(),
            body: body.to_owned(),
            last_modified_ms: self.clock.now_ms(),
        };
        let old = inner.dashboards.insert(name.to_owned(), dashboard);
        if let Err(e) = save(&inner) {
            match old {
                Some(old) => inner.dashboards.insert(name.to_owned(), old),
                None => inner.dashboards.remove(name),
            };
            return Err(e);
        }
        Ok(Vec::new())
    }

    /// GetDashboard.
    pub fn get(&self, name: &str) -> Result<Dashboard, DashboardError> {
        self.inner
            .lock()
            .dashboards
            .get(name)
            .cloned()
            .ok_or_else(|| DashboardError::NotFound(format!("Dashboard {name} does not exist")))
    }

    /// ListDashboards: the dashboards whose names start with `prefix`, by name, a page of
    /// [`PAGE_SIZE`] from after the name `next_token` carries.
    pub fn list(&self, prefix: Option<&str>, next_token: Option<&str>) -> Page {
        self.list_paged(prefix, next_token, PAGE_SIZE)
    }

    fn list_paged(&self, prefix: Option<&str>, next_token: Option<&str>, size: usize) -> Page {
        let prefix = prefix.unwrap_or("");
        let inner = self.inner.lock();
        let start = match next_token {
            Some(after) => Bound::Excluded(after.to_owned()),
            None => Bound::Included(prefix.to_owned()),
        };
        let mut matching = inner
            .dashboards
            .range((start, Bound::Unbounded))
            .map(|(_, d)| d)
            .skip_while(|d| !d.name.starts_with(prefix) && d.name.as_str() < prefix)
            .take_while(|d| d.name.starts_with(prefix));
        let dashboards: Vec<Dashboard> = matching.by_ref().take(size).cloned().collect();
        let next_token = match (matching.next(), dashboards.last()) {
            (Some(_), Some(last)) => Some(last.name.clone()),
            _ => None,
        };
        Page {
            dashboards,
            next_token,
        }
    }

    /// DeleteDashboards: deletes every named dashboard that exists; if any does not,
    /// [`DashboardError::NotFound`] names them after the others are gone.
    pub fn delete(&self, names: &[&str]) -> Result<(), DashboardError> {
        let mut inner = self.inner.lock();
        let mut missing = Vec::new();
        let mut removed = Vec::new();
        for name in names {
            match inner.dashboards.remove(*name) {
                Some(d) => removed.push(d),
                None => missing.push(*name),
            }
        }
        if !removed.is_empty()
            && let Err(e) = save(&inner)
        {
            for d in removed {
                inner.dashboards.insert(d.name.clone(), d);
            }
            return Err(e);
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(DashboardError::NotFound(format!(
                "The specified dashboard does not exist. [{}]",
                missing.join(", ")
            )))
        }
    }
}

fn save(inner: &Inner) -> Result<(), DashboardError> {
    match &inner.data_dir {
        Some(dir) => persist::save(dir, inner.dashboards.values()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time_source::ManualClock;

    const BODY: &str = r#"{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":2,"properties":{"markdown":"hi"}}]}"#;

    fn store() -> (Dashboards, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        (
            Dashboards::new("123456789012", clock.clone(), Limits::default()),
            clock,
        )
    }

    #[test]
    fn put_get_list_delete() {
        let (d, _) = store();
        assert_eq!(d.put("ops-1", BODY), Ok(vec![]));
        let got = d.get("ops-1").unwrap();
        assert_eq!(got.body, BODY);
        assert_eq!(got.last_modified_ms, 1_700_000_000_000);
        assert_eq!(
            d.arn("ops-1"),
            "arn:aws:cloudwatch::123456789012:dashboard/ops-1"
        );
        assert!(matches!(d.get("nope"), Err(DashboardError::NotFound(_))));
        assert_eq!(
            d.put("bad name", BODY),
            Err(DashboardError::InvalidParameterValue(INVALID_NAME.into()))
        );
        assert!(matches!(
            d.put("x", "{}"),
            Err(DashboardError::InvalidBody { .. })
        ));
        assert_eq!(d.len(), 1);
        assert_eq!(
            d.delete(&["ops-1", "gone"]),
            Err(DashboardError::NotFound(
                "The specified dashboard does not exist. [gone]".into()
            ))
        );
        assert!(d.is_empty());
    }

    #[test]
    fn lists_by_prefix_a_page_at_a_time() {
        let (d, _) = store();
        for name in ["a1", "b1", "b2", "b3", "c1"] {
            d.put(name, BODY).unwrap();
        }
        let names = |p: &Page| {
            p.dashboards
                .iter()
                .map(|d| d.name.clone())
                .collect::<Vec<_>>()
        };
        let first = d.list_paged(Some("b"), None, 2);
        assert_eq!(names(&first), ["b1", "b2"]);
        assert_eq!(first.next_token.as_deref(), Some("b2"));
        let second = d.list_paged(Some("b"), first.next_token.as_deref(), 2);
        assert_eq!(names(&second), ["b3"]);
        assert_eq!(second.next_token, None);
        assert_eq!(d.list(None, None).dashboards.len(), 5);
        assert_eq!(d.list(Some("z"), None).dashboards.len(), 0);
    }

    #[test]
    fn bounded() {
        let clock = Arc::new(ManualClock::new(0));
        let d = Dashboards::new(
            "1",
            clock,
            Limits {
                max_dashboards: 1,
                max_body_bytes: 200,
            },
        );
        d.put("a", BODY).unwrap();
        d.put("a", BODY).unwrap();
        assert!(matches!(
            d.put("b", BODY),
            Err(DashboardError::LimitExceeded(_))
        ));
        let big = format!(r#"{{"widgets":[],"x":"{}"}}"#, "y".repeat(300));
        assert!(matches!(
            d.put("a", &big),
            Err(DashboardError::InvalidParameterValue(_))
        ));
    }

    #[test]
    fn kept_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let (d, clock) = store();
        let d = d.with_data_dir(dir.path()).unwrap();
        d.put("kept", BODY).unwrap();
        clock.advance(5000);
        d.put("kept2", BODY).unwrap();
        d.delete(&["kept"]).unwrap();
        let (again, _) = store();
        let again = again.with_data_dir(dir.path()).unwrap();
        let got = again.get("kept2").unwrap();
        assert_eq!(got.last_modified_ms, 1_700_000_005_000);
        assert!(again.get("kept").is_err());
    }
}
