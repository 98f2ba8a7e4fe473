//! Health checks: a registry of named async checks, each with a timeout and a cached result,
//! aggregated into one JSON report for `/health/ready`.
//!
//! A check answers healthy, degraded or unhealthy; the report is as bad as its worst check. A check
//! that does not answer within its timeout is unhealthy. Results are cached for a per-check time to
//! live, so frequent probes do not hammer what they check.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use crate::time::rfc3339;

use serde::Serialize;

/// How healthy something is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Working.
    Healthy,
    /// Working, with reduced capacity or a failing optional part.
    Degraded,
    /// Not working.
    Unhealthy,
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The status.
    pub status: HealthStatus,
    /// Why, when not healthy (or any detail worth showing).
    pub message: Option<String>,
}

impl CheckResult {
    /// Healthy.
    pub fn healthy() -> Self {
        Self {
            status: HealthStatus::Healthy,
            message: None,
        }
    }
    /// Degraded, because of `why`.
    pub fn degraded(why: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Degraded,
            message: Some(why.into()),
        }
    }
    /// Unhealthy, because of `why`.
    pub fn unhealthy(why: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Unhealthy,
            message: Some(why.into()),
        }
    }
}

/// How a check runs.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Longest a run may take before the check counts as unhealthy.
    pub timeout: Duration,
    /// How long a result is reused before the check runs again.
    pub cache_for: Duration,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            cache_for: Duration::from_secs(1),
        }
    }
}

type CheckFuture = Pin<Box<dyn Future<Output = CheckResult> + Send>>;
type CheckFn = Box<dyn Fn() -> CheckFuture + Send + Sync>;

struct Check {
    name: String,
    options: CheckOptions,
    run: CheckFn,
    cached: Mutex<Option<(Instant, CheckResult, Duration)>>,
}

/// One check in a [`HealthReport`].
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The check's name.
    pub name: String,
    /// Its status.
    pub status: HealthStatus,
    /// Why, when it has something to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How long its last run took, in milliseconds.
    pub duration_ms: f64,
    /// Whether this is a cached result.
    pub cached: bool,
}

/// The aggregated report, as `/health/ready` serves it.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    /// The worst status of any check (healthy without checks).
    pub status: HealthStatus,
    /// When the report was made, RFC 3339 in UTC.
    pub timestamp: String,
    /// The service's version.
    pub version: String,
    /// Seconds since the [`Health`] registry was created.
    pub uptime_seconds: f64,
    /// Every check, in registration order.
    pub checks: Vec<CheckReport>,
}

/// The registry of health checks.
pub struct Health {
    version: String,
    started: Instant,
    checks: RwLock<Vec<Arc<Check>>>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.read().iter().map(|c| c.name.clone()).collect();
        f.debug_struct("Health")
            .field("version", &self.version)
            .field("checks", &names)
            .finish()
    }
}

impl Health {
    /// A registry without checks, reporting `version`.
    pub fn new(version: impl Into<String>) -> Self {
        Self {
            version: version.into(),
            started: Instant::now(),
            checks: RwLock::new(Vec::new()),
        }
    }

    /// Adds a check named `name`: `check` is called for each run and its future awaited (within
    /// the timeout) on the reporting task.
    pub fn add_check<F, Fut>(&self, name: impl Into<String>, options: CheckOptions, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CheckResult> + Send + 'static,
    {
        let check = Check {
            name: name.into(),
            options,
            run: Box::new(move || Box::pin(check())),
            cached: Mutex::new(None),
        };
        self.checks
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::new(check));
    }

    /// Runs every check whose cached result has expired (concurrently, each within its
    /// timeout) and aggregates the results.
    pub async fn report(&self) -> HealthReport {
        let checks: Vec<Arc<Check>> = self.read().clone();
        let mut tasks = tokio::task::JoinSet::new();
        for (i, check) in checks.iter().enumerate() {
            let check = check.clone();
            tasks.spawn(async move { (i, run(&check).await) });
        }
        let mut reports: Vec<Option<CheckReport>> = vec![None; checks.len()];
        while let Some(joined) = tasks.join_next().await {
            if let Ok((i, report)) = joined {
                reports[i] = Some(report);
            }
        }
        let checks: Vec<CheckReport> = reports
            .into_iter()
            .zip(&checks)
            .map(|(report, check)| {
                report.unwrap_or_else(|| CheckReport {
                    name: check.name.clone(),
                    status: HealthStatus::Unhealthy,
                    message: Some("the check panicked".into()),
                    duration_ms: 0.0,
                    cached: false,
                })
            })
            .collect();
        HealthReport {
            status: checks
                .iter()
                .map(|c| c.status)
                .max()
                .unwrap_or(HealthStatus::Healthy),
            timestamp: rfc3339(SystemTime::now()),
            version: self.version.clone(),
            uptime_seconds: self.started.elapsed().as_secs_f64(),
            checks,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Check>>> {
        self.checks.read().unwrap_or_else(|p| p.into_inner())
    }
}

/// One check's result: cached while fresh, else a run bounded by its timeout.
async fn run(check: &Check) -> CheckReport {
    let fresh = {
        let cached = check.cached.lock().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .filter(|(at, _, _)| at.elapsed() < check.options.cache_for)
            .map(|(_, result, took)| (result.clone(), *took))
    };
    if let Some((result, took)) = fresh {
        return report(check, result, took, true);
    }
    let started = Instant::now();
    let result = match tokio::time::timeout(check.options.timeout, (check.run)()).await {
        Ok(result) => result,
        Err(_) => CheckResult::unhealthy(format!(
            "no answer within {} ms",
            check.options.timeout.as_millis()
        )),
    };
    let took = started.elapsed();
    *check.cached.lock().unwrap_or_else(|p| p.into_inner()) =
        Some((Instant::now(), result.clone(), took));
    report(check, result, took, false)
}

fn report(check: &Check, result: CheckResult, took: Duration, cached: bool) -> CheckReport {
    CheckReport {
        name: check.name.clone(),
        status: result.status,
        message: result.message,
        duration_ms: took.as_secs_f64() * 1e3,
        cached,
    }
}
