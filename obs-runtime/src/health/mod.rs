//! Health checks: a registry of named async checks, each run on demand (when a report is asked
//! for, with a timeout and a cached result) or on a schedule in the background (with thresholds
//! of failed and good runs in a row), aggregated under a stated rule into one report for
//! `/health` and `/health/ready`, and exposed as metrics.
//!
//! ```no_run
//! # async fn demo() -> Result<(), obs_runtime::health::HealthError> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use obs_runtime::health::{Aggregate, CheckResult, Health, Schedule};
//!
//! // Unhealthy below 50 % healthy providers, degraded below 100 %.
//! let health = Arc::new(Health::new("1.4.0").with_aggregate(Aggregate::healthy_share(0.5, 1.0)?));
//! for provider in ["openai", "anthropic"] {
//!     let schedule = Schedule::every(Duration::from_secs(5)).unhealthy_after(3).healthy_after(2);
//!     health.add_scheduled(provider, schedule, move || async move {
//!         // A cheap call to the provider, say `GET /v1/models`.
//!         CheckResult::healthy().with_detail("models", "12")
//!     })?;
//! }
//! # Ok(()) }
//! ```
//!
//! A check answers healthy, degraded or unhealthy; a run that does not answer within its timeout,
//! or panics, is unhealthy. Every check's state is a metric (see [`families`](self#metrics)), so
//! alerts need no JSON.
//!
//! # Metrics
//!
//! [`Health::register_metrics`] (which [`serve::router`](crate::serve::router) calls) adds to a
//! registry `obs_health_check_state{check, state}` and `obs_health_status{state}` (one series
//! per state, `1` for the current one: OpenMetrics StateSets, written as gauges) and
//! `obs_health_check_duration_seconds{check}` (the last run's latency).

mod aggregate;
mod check;
mod error;
mod families;
mod report;
mod run;
mod state;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime};

pub use aggregate::Aggregate;
pub use check::{CheckOptions, CheckResult, HealthStatus, Schedule};
pub use error::HealthError;
pub use report::{CheckReport, HealthReport};

use crate::metrics::{Registry, RegistryError};
use crate::time::rfc3339;
use families::HealthFamilies;
use state::{EVERY_RUN, State, Thresholds};

type CheckFuture = Pin<Box<dyn Future<Output = CheckResult> + Send>>;
type CheckFn = Box<dyn Fn() -> CheckFuture + Send + Sync>;

/// When a check runs.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// When a report is asked for and its last result is older than this.
    OnDemand { cache_for: Duration },
    /// In the background, under these thresholds.
    Scheduled(Thresholds),
}

/// One registered check.
struct Check {
    name: String,
    run: CheckFn,
    timeout: Duration,
    mode: Mode,
    state: Mutex<State>,
}

impl Check {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a run's result in.
    fn apply(&self, run: state::Run) {
        let thresholds = match self.mode {
            Mode::OnDemand { .. } => EVERY_RUN,
            Mode::Scheduled(thresholds) => thresholds,
        };
        self.state().apply(run, thresholds);
    }

    /// Whether a report must run it: an on-demand check without a fresh result.
    fn stale(&self) -> bool {
        match self.mode {
            Mode::OnDemand { cache_for } => self
                .state()
                .last
                .as_ref()
                .is_none_or(|run| run.ended.elapsed() >= cache_for),
            Mode::Scheduled(_) => false,
        }
    }
}

/// The registry of health checks.
pub struct Health {
    version: String,
    started: Instant,
    aggregate: Aggregate,
    checks: RwLock<Vec<Arc<Check>>>,
    /// The scheduled checks' tasks, stopped when the registry is dropped.
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
    families: OnceLock<&'static HealthFamilies>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.read().iter().map(|c| c.name.clone()).collect();
        f.debug_struct("Health")
            .field("version", &self.version)
            .field("aggregate", &self.aggregate)
            .field("checks", &names)
            .finish()
    }
}

impl Health {
    /// A registry without checks, reporting `version`, aggregating by the worst status.
    pub fn new(version: impl Into<String>) -> Self {
        Self {
            version: version.into(),
            started: Instant::now(),
            aggregate: Aggregate::worst(),
            checks: RwLock::new(Vec::new()),
            tasks: Mutex::new(Vec::new()),
            families: OnceLock::new(),
        }
    }

    /// The registry, aggregating its checks by `rule`.
    pub fn with_aggregate(mut self, rule: Aggregate) -> Self {
        self.aggregate = rule;
        self
    }

    /// Adds a check named `name` that runs on demand: `check` is called when a report is asked
    /// for and its last result is older than `options.cache_for`, and its future awaited (within
    /// the timeout) on a task of its own.
    pub fn add_check<F, Fut>(&self, name: impl Into<String>, options: CheckOptions, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CheckResult> + Send + 'static,
    {
        self.push(Check {
            name: name.into(),
            run: Box::new(move || Box::pin(check())),
            timeout: options.timeout,
            mode: Mode::OnDemand {
                cache_for: options.cache_for,
            },
            state: Mutex::new(State::new()),
        });
    }

    /// Adds a check named `name` that runs on `schedule` in the background, the first time at
    /// once, on a task of the current tokio runtime, until the registry is dropped. See
    /// [`Schedule`] for how its runs make its state.
    pub fn add_scheduled<F, Fut>(
        &self,
        name: impl Into<String>,
        schedule: Schedule,
        check: F,
    ) -> Result<(), HealthError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CheckResult> + Send + 'static,
    {
        let name = name.into();
        schedule.validate(&name)?;
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(HealthError::NoRuntime { check: name });
        };
        let check = Arc::new(Check {
            name,
            run: Box::new(move || Box::pin(check())),
            timeout: schedule.timeout,
            mode: Mode::Scheduled(Thresholds {
                unhealthy_after: schedule.unhealthy_after,
                healthy_after: schedule.healthy_after,
            }),
            state: Mutex::new(State::new()),
        });
        {
            let mut checks = self.checks.write().unwrap_or_else(|p| p.into_inner());
            if checks.iter().any(|c| c.name == check.name) {
                return Err(HealthError::DuplicateCheck(check.name.clone()));
            }
            checks.push(Arc::clone(&check));
        }
        let task = runtime.spawn(run::every(Arc::downgrade(&check), schedule.every));
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task.abort_handle());
        Ok(())
    }

    fn push(&self, check: Check) {
        self.checks
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::new(check));
    }

    /// Runs every on-demand check whose cached result has expired (concurrently, each within its
    /// timeout), reads the scheduled checks' states, and aggregates them.
    pub async fn report(&self) -> HealthReport {
        let checks: Vec<Arc<Check>> = self.read().clone();
        let stale: Vec<bool> = checks.iter().map(|c| c.stale()).collect();
        let mut runs = tokio::task::JoinSet::new();
        for (check, _) in checks.iter().zip(&stale).filter(|(_, stale)| **stale) {
            let check = Arc::clone(check);
            runs.spawn(async move {
                let run = run::once(&check).await;
                check.apply(run);
            });
        }
        while runs.join_next().await.is_some() {}
        let checks: Vec<CheckReport> = checks
            .iter()
            .zip(stale)
            .map(|(check, ran)| CheckReport::of(&check.name, &check.state(), !ran))
            .collect();
        HealthReport {
            status: self.aggregate.status(checks.iter().map(|c| c.status)),
            timestamp: rfc3339(SystemTime::now()),
            version: self.version.clone(),
            uptime_seconds: self.started.elapsed().as_secs_f64(),
            checks,
        }
    }

    /// Adds this registry's families (every check's state, the aggregate, the last runs'
    /// durations) to `registry`; again into the same registry, nothing. Refused when `registry`
    /// already holds families of those names (another registry's). The families hold the
    /// registry weakly, and are made once per registry and kept for the life of the process.
    pub fn register_metrics(self: &Arc<Self>, registry: &Registry) -> Result<(), RegistryError> {
        let families: &'static HealthFamilies = self
            .families
            .get_or_init(|| Box::leak(Box::new(HealthFamilies::new(Arc::downgrade(self)))));
        registry.register(families)
    }

    /// Calls `f` with the name and state of every check that has one (scheduled checks, and
    /// on-demand checks that have run), the first of each name.
    fn visit_states(&self, mut f: impl FnMut(&str, &State)) {
        let checks = self.read();
        for (i, check) in checks.iter().enumerate() {
            let first = !checks[..i].iter().any(|c| c.name == check.name);
            let state = check.state();
            let has_state = state.last.is_some() || matches!(check.mode, Mode::Scheduled(_));
            if first && has_state {
                f(&check.name, &state);
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Check>>> {
        self.checks.read().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Health {
    fn drop(&mut self) {
        for task in self
            .tasks
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }
}
