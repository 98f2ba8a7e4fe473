//! What a check answers, and how it runs: on demand ([`CheckOptions`]) or on a schedule
//! ([`Schedule`]).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::HealthError;

/// How healthy something is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Working.
    Healthy,
    /// Working, with reduced capacity or a failing optional part.
    Degraded,
    /// Not working.
    Unhealthy,
}

impl HealthStatus {
    /// Every status, from best to worst: the states of the `obs_health_*` state sets.
    pub const ALL: [HealthStatus; 3] = [Self::Healthy, Self::Degraded, Self::Unhealthy];

    /// `healthy`, `degraded` or `unhealthy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Unhealthy => "unhealthy",
        }
    }
}

/// What one run of a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The status.
    pub status: HealthStatus,
    /// Why, when not healthy (or any detail worth showing).
    pub message: Option<String>,
    /// Named details for the `/health` report (`"models": "12"`, `"p95_ms": "840"`); never
    /// metric labels.
    pub details: BTreeMap<String, String>,
}

impl CheckResult {
    /// Healthy.
    pub fn healthy() -> Self {
        Self {
            status: HealthStatus::Healthy,
            message: None,
            details: BTreeMap::new(),
        }
    }
    /// Degraded, because of `why`.
    pub fn degraded(why: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Degraded,
            message: Some(why.into()),
            details: BTreeMap::new(),
        }
    }
    /// Unhealthy, because of `why`.
    pub fn unhealthy(why: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Unhealthy,
            message: Some(why.into()),
            details: BTreeMap::new(),
        }
    }
    /// The result, with the detail `key` set to `value`.
    pub fn with_detail(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}

/// How a check run on demand (when a report is asked for) runs.
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

/// How a scheduled check runs: every [`every`](Schedule::every) in the background, whether or
/// not anyone asks, and how many runs in a row it takes to change its state.
///
/// A run fails when it answers unhealthy, takes longer than its timeout, or panics. The check
/// turns unhealthy after [`unhealthy_after`](Schedule::unhealthy_after) failures in a row, and
/// back (to what its last run answered) after [`healthy_after`](Schedule::healthy_after) runs in
/// a row that did not fail; in between it keeps its state, so one lost probe does not flap it.
/// Its first run sets its state directly; until that run ends it is unhealthy, `not checked yet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time between the start of one run and the next (a run that overruns delays the next).
    pub every: Duration,
    /// Longest a run may take before it counts as failed.
    pub timeout: Duration,
    /// Failed runs in a row that make the check unhealthy.
    pub unhealthy_after: u32,
    /// Runs in a row that did not fail that bring an unhealthy check back.
    pub healthy_after: u32,
}

impl Schedule {
    /// Every `interval`, with a timeout of `interval` (at most 2 s), unhealthy after 3 failed
    /// runs in a row and back after 2 good ones.
    pub fn every(interval: Duration) -> Self {
        Self {
            every: interval,
            timeout: interval.min(Duration::from_secs(2)),
            unhealthy_after: 3,
            healthy_after: 2,
        }
    }

    /// With runs that fail past `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Unhealthy after `runs` failed runs in a row.
    pub fn unhealthy_after(mut self, runs: u32) -> Self {
        self.unhealthy_after = runs;
        self
    }

    /// Back after `runs` runs in a row that did not fail.
    pub fn healthy_after(mut self, runs: u32) -> Self {
        self.healthy_after = runs;
        self
    }

    /// Checks the schedule of the check `check`.
    pub(super) fn validate(&self, check: &str) -> Result<(), HealthError> {
        let invalid = |reason| {
            Err(HealthError::InvalidSchedule {
                check: check.to_owned(),
                reason,
            })
        };
        if self.every.is_zero() {
            return invalid("the interval is zero");
        }
        if self.timeout.is_zero() {
            return invalid("the timeout is zero");
        }
        if self.unhealthy_after == 0 {
            return invalid("`unhealthy_after` is zero: it counts failed runs, at least one");
        }
        if self.healthy_after == 0 {
            return invalid("`healthy_after` is zero: it counts good runs, at least one");
        }
        Ok(())
    }
}
