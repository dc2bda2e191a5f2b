//! Published versions, aliases and provisioned concurrency.
//!
//! PublishVersion freezes `$LATEST`'s configuration and code as version 1, 2, ... An alias
//! names one version. An invocation qualified with a version or an alias runs that version's
//! code in that version's own instances. It is counted under the `Resource` dimension
//! (`name:qualifier`) and under `ExecutedVersion` as well as under FunctionName.
//!
//! Provisioned concurrency on a version or alias starts that many instances ahead of time
//! (`AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency`); the status is `IN_PROGRESS`
//! until all are up, then `READY`. An invocation takes an idle provisioned instance when
//! there is one (ProvisionedConcurrencyInvocations, with no cold start), else spills over to
//! on-demand instances (ProvisionedConcurrencySpilloverInvocations).
//!
//! Versions and aliases live in memory: unlike functions, they are not kept with
//! `--data-dir`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::instance::Instance;
use crate::{FunctionConfig, LambdaEngine, LambdaError, last_modified};

/// A published version: a frozen configuration and a copy of the code.
pub(crate) struct Version {
    pub(crate) config: FunctionConfig,
    pub(crate) code_dir: PathBuf,
    /// Idle on-demand instances.
    pub(crate) idle: Mutex<Vec<Instance>>,
    pub(crate) provisioned: Mutex<Provisioned>,
}

/// Provisioned concurrency of one version.
#[derive(Default)]
pub(crate) struct Provisioned {
    /// What was asked for.
    pub(crate) requested: u32,
    /// Instances started so far.
    pub(crate) allocated: u32,
    /// Provisioned instances waiting for an invocation.
    pub(crate) idle: Vec<Instance>,
    /// Provisioned instances running an invocation.
    pub(crate) busy: u32,
    /// Which qualifier it was put on (an alias or the version number).
    pub(crate) qualifier: String,
    /// When it was put.
    pub(crate) last_modified: String,
    /// Bumped by every put or delete, so a superseded start stops its instances.
    pub(crate) epoch: u64,
}

/// An alias: a name for one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The alias name.
    pub name: String,
    /// The version it points at.
    pub function_version: String,
    /// The description.
    pub description: String,
    /// Changes with every update.
    pub revision_id: String,
}

/// A provisioned concurrency configuration, as GetProvisionedConcurrencyConfig shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedConfig {
    /// Instances asked for.
    pub requested: u32,
    /// Instances started.
    pub allocated: u32,
    /// Started instances not running an invocation now.
    pub available: u32,
    /// `IN_PROGRESS` while instances start, then `READY`.
    pub status: &'static str,
    /// When it was put.
    pub last_modified: String,
}

/// What a qualifier resolved to.
pub(crate) enum Resolved {
    /// `$LATEST` (or no qualifier).
    Latest,
    /// A published version, through `resource` (`name:qualifier`).
    Version {
        version: Arc<Version>,
        resource: String,
    },
}

/// Splits `name:qualifier`.
pub(crate) fn split_qualifier(name: &str) -> (&str, Option<&str>) {
    match name.split_once(':') {
        Some((n, q)) => (n, Some(q)),
        None => (name, None),
    }
}

fn valid_alias_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && !name.bytes().all(|b| b.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl LambdaEngine {
    /// Publishes `$LATEST` as the next version and returns its configuration.
    pub fn publish_version(
        &self,
        name: &str,
        description: Option<String>,
    ) -> Result<FunctionConfig, LambdaError> {
        let f = self.function(name)?;
        let latest = f.config.read().clone();
        let mut versions = f.versions.lock();
        // Publishing unchanged code and configuration returns the newest version.
        if let Some(newest) = versions.values().next_back()
            && newest.config.code_sha256 == latest.code_sha256
            && newest.config.revision_id == latest.revision_id
        {
            return Ok(newest.config.clone());
        }
        let number = versions.keys().next_back().map_or(1, |n| n + 1);
        let dir = self.new_code_dir(&format!("{name}-v{number}"));
        copy_dir(&f.code_dir.read(), &dir)?;
        let mut config = latest;
        config.version = number.to_string();
        if let Some(d) = description {
            config.description = d;
        }
        config.last_modified = last_modified(self.inner.time.now_ms());
        versions.insert(
            number,
            Arc::new(Version {
                config: config.clone(),
                code_dir: dir,
                idle: Mutex::new(Vec::new()),
                provisioned: Mutex::new(Provisioned::default()),
            }),
        );
        Ok(config)
    }

    /// `$LATEST` and every published version, in order.
    pub fn list_versions(&self, name: &str) -> Result<Vec<FunctionConfig>, LambdaError> {
        let f = self.function(name)?;
        let mut out = vec![f.config.read().clone()];
        out.extend(f.versions.lock().values().map(|v| v.config.clone()));
        Ok(out)
    }

    fn version_of(&self, name: &str, version: &str) -> Result<Arc<Version>, LambdaError> {
        let f = self.function(name)?;
        let found = version
            .parse::<u32>()
            .ok()
            .and_then(|n| f.versions.lock().get(&n).cloned());
        found.ok_or_else(|| LambdaError::NotFound(format!("{}:{version}", self.function_arn(name))))
    }

    /// Creates an alias of a published version (or `$LATEST`).
    pub fn create_alias(
        &self,
        name: &str,
        alias: &str,
        version: &str,
        description: String,
    ) -> Result<Alias, LambdaError> {
        if !valid_alias_name(alias) {
            return Err(LambdaError::InvalidParameter(format!(
                "1 validation error detected: Value '{alias}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
            )));
        }
        if version != "$LATEST" {
            self.version_of(name, version)?;
        }
        let f = self.function(name)?;
        let mut aliases = f.aliases.lock();
        if aliases.contains_key(alias) {
            return Err(LambdaError::Exists(format!(
                "Alias already exists: {}:{alias}",
                self.function_arn(name)
            )));
        }
        let a = Alias {
            name: alias.to_string(),
            function_version: version.to_string(),
            description,
            revision_id: uuid::Uuid::new_v4().to_string(),
        };
        aliases.insert(alias.to_string(), a.clone());
        Ok(a)
    }

    fn alias_not_found(&self, name: &str, alias: &str) -> LambdaError {
        LambdaError::NotFound(format!(
            "Cannot find alias arn: {}:{alias}",
            self.function_arn(name)
        ))
    }

    /// An alias.
    pub fn get_alias(&self, name: &str, alias: &str) -> Result<Alias, LambdaError> {
        self.function(name)?
            .aliases
            .lock()
            .get(alias)
            .cloned()
            .ok_or_else(|| self.alias_not_found(name, alias))
    }

    /// A function's aliases, by name.
    pub fn list_aliases(&self, name: &str) -> Result<Vec<Alias>, LambdaError> {
        Ok(self
            .function(name)?
            .aliases
            .lock()
            .values()
            .cloned()
            .collect())
    }

    /// Points an alias at another version and/or changes its description.
    pub fn update_alias(
        &self,
        name: &str,
        alias: &str,
        version: Option<String>,
        description: Option<String>,
    ) -> Result<Alias, LambdaError> {
        if let Some(v) = version.as_deref().filter(|v| *v != "$LATEST") {
            self.version_of(name, v)?;
        }
        let f = self.function(name)?;
        let mut aliases = f.aliases.lock();
        let a = aliases
            .get_mut(alias)
            .ok_or_else(|| self.alias_not_found(name, alias))?;
        if let Some(v) = version {
            a.function_version = v;
        }
        if let Some(d) = description {
            a.description = d;
        }
        a.revision_id = uuid::Uuid::new_v4().to_string();
        Ok(a.clone())
    }

    /// Deletes an alias.
    pub fn delete_alias(&self, name: &str, alias: &str) -> Result<(), LambdaError> {
        self.function(name)?
            .aliases
            .lock()
            .remove(alias)
            .map(|_| ())
            .ok_or_else(|| self.alias_not_found(name, alias))
    }

    /// The configuration of `$LATEST` (no qualifier), of a version, or of an alias's version.
    pub fn get_function_qualified(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionConfig, LambdaError> {
        match self.resolve(name, qualifier)? {
            Resolved::Latest => self.get_function(name),
            Resolved::Version { version, .. } => Ok(version.config.clone()),
        }
    }

    /// What a qualifier of function `name` names.
    pub(crate) fn resolve(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<Resolved, LambdaError> {
        let Some(q) = qualifier.filter(|q| *q != "$LATEST") else {
            return Ok(Resolved::Latest);
        };
        let version = if q.bytes().all(|b| b.is_ascii_digit()) {
            q.to_string()
        } else {
            let alias = self
                .get_alias(name, q)
                .map_err(|_| LambdaError::NotFound(format!("{}:{q}", self.function_arn(name))))?;
            if alias.function_version == "$LATEST" {
                return Ok(Resolved::Latest);
            }
            alias.function_version
        };
        Ok(Resolved::Version {
            version: self.version_of(name, &version)?,
            resource: format!("{name}:{q}"),
        })
    }

    /// Sets provisioned concurrency on a version or alias and starts its instances in the
    /// background.
    pub fn put_provisioned_concurrency(
        &self,
        name: &str,
        qualifier: &str,
        executions: u32,
    ) -> Result<ProvisionedConfig, LambdaError> {
        let Resolved::Version { version, .. } = self.resolve(name, Some(qualifier))? else {
            return Err(LambdaError::InvalidParameter(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
                    .into(),
            ));
        };
        if executions == 0 {
            return Err(LambdaError::InvalidParameter(
                "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1".into(),
            ));
        }
        let f = self.function(name)?;
        if let Some(reserved) = *f.reserved.read()
            && executions > reserved
        {
            return Err(LambdaError::InvalidParameter(format!(
                "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function: {reserved}"
            )));
        }
        let epoch = {
            let mut p = version.provisioned.lock();
            for i in p.idle.drain(..) {
                i.stop();
            }
            p.requested = executions;
            p.allocated = 0;
            p.qualifier = qualifier.to_string();
            p.last_modified = crate::iso_time(self.inner.time.now_ms());
            p.epoch += 1;
            p.epoch
        };
        let engine = self.clone();
        let logs = f.logs.clone();
        let (function_name, v) = (name.to_string(), version.clone());
        tokio::spawn(async move {
            for _ in 0..executions {
                let started =
                    Instance::start(&engine, &v.config, &v.code_dir, 0, true, logs.clone()).await;
                match started {
                    Ok(instance) => {
                        let mut p = v.provisioned.lock();
                        if p.epoch != epoch {
                            instance.stop();
                            return;
                        }
                        p.idle.push(instance);
                        p.allocated += 1;
                    }
                    Err(e) => {
                        tracing::warn!(function = function_name, error = ?e, "provisioned instance failed to start");
                        return;
                    }
                }
            }
        });
        self.get_provisioned_concurrency(name, qualifier)
    }

    /// A version's or alias's provisioned concurrency.
    pub fn get_provisioned_concurrency(
        &self,
        name: &str,
        qualifier: &str,
    ) -> Result<ProvisionedConfig, LambdaError> {
        let missing = || {
            LambdaError::NotFound(format!(
                "No Provisioned Concurrency Config found for this function: {}:{qualifier}",
                self.function_arn(name)
            ))
        };
        let Resolved::Version { version, .. } = self.resolve(name, Some(qualifier))? else {
            return Err(missing());
        };
        let p = version.provisioned.lock();
        if p.requested == 0 || p.qualifier != qualifier {
            return Err(missing());
        }
        Ok(ProvisionedConfig {
            requested: p.requested,
            allocated: p.allocated,
            available: p.idle.len() as u32,
            status: if p.allocated >= p.requested {
                "READY"
            } else {
                "IN_PROGRESS"
            },
            last_modified: p.last_modified.clone(),
        })
    }

    /// Removes provisioned concurrency; its idle instances stop.
    pub fn delete_provisioned_concurrency(
        &self,
        name: &str,
        qualifier: &str,
    ) -> Result<(), LambdaError> {
        self.get_provisioned_concurrency(name, qualifier)?;
        if let Resolved::Version { version, .. } = self.resolve(name, Some(qualifier))? {
            let mut p = version.provisioned.lock();
            for i in p.idle.drain(..) {
                i.stop();
            }
            *p = Provisioned {
                epoch: p.epoch + 1,
                ..Provisioned::default()
            };
        }
        Ok(())
    }

    /// Stops every instance of every version (engine shutdown, function deletion).
    pub(crate) fn stop_versions(versions: &BTreeMap<u32, Arc<Version>>) {
        for v in versions.values() {
            for i in v.idle.lock().drain(..) {
                i.stop();
            }
            let mut p = v.provisioned.lock();
            p.epoch += 1;
            for i in p.idle.drain(..) {
                i.stop();
            }
        }
    }
}

/// Copies a code directory (a version keeps its own copy of the code it was published with).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result<(), LambdaError> {
    let io = |e: std::io::Error| LambdaError::Io(format!("copying code: {e}"));
    std::fs::create_dir_all(to).map_err(io)?;
    for entry in std::fs::read_dir(from).map_err(io)? {
        let entry = entry.map_err(io)?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(io)?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io)?;
        }
    }
    Ok(())
}
