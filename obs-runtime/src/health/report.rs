//! The report `/health` and `/health/ready` serve.

use std::collections::BTreeMap;

use serde::Serialize;

use super::HealthStatus;
use super::state::State;
use crate::time::rfc3339;

/// One check in a [`HealthReport`].
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The check's name.
    pub name: String,
    /// Its status: for a scheduled check, what its runs add up to under its thresholds.
    pub status: HealthStatus,
    /// What its last run said (`not checked yet` before the first run ends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Its last run's details.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    /// How long its last run took, in milliseconds (its latency).
    pub duration_ms: f64,
    /// When its last run ended, RFC 3339 in UTC (absent before the first run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_checked: Option<String>,
    /// Runs in a row that failed, up to the last.
    pub consecutive_failures: u32,
    /// Runs in a row that did not fail, up to the last.
    pub consecutive_successes: u32,
    /// Whether the result comes from an earlier run rather than one made for this report
    /// (always, for a scheduled check).
    pub cached: bool,
}

impl CheckReport {
    /// The report of the check `name` in `state`.
    pub(super) fn of(name: &str, state: &State, cached: bool) -> Self {
        let (message, details, duration_ms, last_checked) = match &state.last {
            Some(run) => (
                run.result.message.clone(),
                run.result.details.clone(),
                run.took.as_secs_f64() * 1e3,
                Some(rfc3339(run.at)),
            ),
            None => (
                Some("not checked yet".to_owned()),
                BTreeMap::new(),
                0.0,
                None,
            ),
        };
        Self {
            name: name.to_owned(),
            status: state.status,
            message,
            details,
            duration_ms,
            last_checked,
            consecutive_failures: state.consecutive_failures,
            consecutive_successes: state.consecutive_successes,
            cached,
        }
    }
}

/// The aggregated report.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    /// The checks' statuses under the registry's [`Aggregate`](super::Aggregate) rule (healthy
    /// without checks).
    pub status: HealthStatus,
    /// When the report was made, RFC 3339 in UTC.
    pub timestamp: String,
    /// The service's version.
    pub version: String,
    /// Seconds since the [`Health`](super::Health) registry was created.
    pub uptime_seconds: f64,
    /// Every check, in registration order.
    pub checks: Vec<CheckReport>,
}
