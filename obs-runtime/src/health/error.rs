//! Why a health check or rule was refused.

use std::fmt;

/// Why [`Health`](super::Health) refused a check or an aggregate rule.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthError {
    /// A schedule that cannot run.
    InvalidSchedule {
        /// The check's name.
        check: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Shares of an aggregate rule that are not `0 <= unhealthy_below <= degraded_below <= 1`.
    InvalidAggregate {
        /// The share of healthy checks below which the aggregate is unhealthy.
        unhealthy_below: f64,
        /// The share below which it is degraded.
        degraded_below: f64,
    },
    /// A check of that name is already registered (names are metric label values, so unique).
    DuplicateCheck(String),
    /// A scheduled check was added outside a tokio runtime, which its runs need.
    NoRuntime {
        /// The check's name.
        check: String,
    },
}

impl fmt::Display for HealthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSchedule { check, reason } => {
                write!(f, "health check `{check}`: invalid schedule: {reason}")
            }
            Self::InvalidAggregate {
                unhealthy_below,
                degraded_below,
            } => write!(
                f,
                "aggregate rule: unhealthy below {unhealthy_below} and degraded below \
                 {degraded_below} must satisfy 0 <= unhealthy_below <= degraded_below <= 1"
            ),
            Self::DuplicateCheck(check) => {
                write!(f, "a health check named `{check}` is already registered")
            }
            Self::NoRuntime { check } => write!(
                f,
                "health check `{check}`: a scheduled check must be added inside a tokio runtime"
            ),
        }
    }
}

impl std::error::Error for HealthError {}
