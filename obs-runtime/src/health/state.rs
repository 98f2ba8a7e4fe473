//! A check's state: the status its runs add up to under its thresholds, and what its last run
//! found.

use std::time::{Duration, Instant, SystemTime};

use super::{CheckResult, HealthStatus};

/// Runs in a row it takes to change a check's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Thresholds {
    /// Failed runs in a row that make it unhealthy.
    pub(super) unhealthy_after: u32,
    /// Runs in a row that did not fail that bring it back.
    pub(super) healthy_after: u32,
}

/// Every run decides (on-demand checks).
pub(super) const EVERY_RUN: Thresholds = Thresholds {
    unhealthy_after: 1,
    healthy_after: 1,
};

/// One run: what it found, how long it took, and when it ended.
#[derive(Debug, Clone)]
pub(super) struct Run {
    pub(super) result: CheckResult,
    pub(super) took: Duration,
    pub(super) at: SystemTime,
    pub(super) ended: Instant,
}

/// Where a check stands.
#[derive(Debug, Clone)]
pub(super) struct State {
    pub(super) status: HealthStatus,
    pub(super) last: Option<Run>,
    pub(super) consecutive_failures: u32,
    pub(super) consecutive_successes: u32,
}

impl State {
    /// Before the first run: unhealthy (nothing says it works yet).
    pub(super) fn new() -> Self {
        Self {
            status: HealthStatus::Unhealthy,
            last: None,
            consecutive_failures: 0,
            consecutive_successes: 0,
        }
    }

    /// Takes `run` in: a run fails when it answered unhealthy. The first run decides; after
    /// that, `unhealthy_after` failures in a row make the check unhealthy, and an unhealthy check
    /// comes back (to the run's own status) after `healthy_after` runs in a row that did not fail.
    pub(super) fn apply(&mut self, run: Run, thresholds: Thresholds) {
        let status = run.result.status;
        let failed = status == HealthStatus::Unhealthy;
        if failed {
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
            self.consecutive_successes = 0;
        } else {
            self.consecutive_successes = self.consecutive_successes.saturating_add(1);
            self.consecutive_failures = 0;
        }
        self.status = if self.last.is_none() {
            status
        } else if failed {
            if self.consecutive_failures >= thresholds.unhealthy_after {
                HealthStatus::Unhealthy
            } else {
                self.status
            }
        } else if self.status == HealthStatus::Unhealthy
            && self.consecutive_successes < thresholds.healthy_after
        {
            HealthStatus::Unhealthy
        } else {
            status
        };
        self.last = Some(run);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(result: CheckResult) -> Run {
        Run {
            result,
            took: Duration::ZERO,
            at: SystemTime::now(),
            ended: Instant::now(),
        }
    }

    fn statuses(results: &[HealthStatus], thresholds: Thresholds) -> Vec<HealthStatus> {
        let mut state = State::new();
        results
            .iter()
            .map(|&status| {
                let result = match status {
                    HealthStatus::Healthy => CheckResult::healthy(),
                    HealthStatus::Degraded => CheckResult::degraded("slow"),
                    HealthStatus::Unhealthy => CheckResult::unhealthy("down"),
                };
                state.apply(run(result), thresholds);
                state.status
            })
            .collect()
    }

    use HealthStatus::{Degraded as D, Healthy as H, Unhealthy as U};

    #[test]
    fn thresholds_hold_the_state_until_enough_runs_agree() {
        let t = Thresholds {
            unhealthy_after: 3,
            healthy_after: 2,
        };
        assert_eq!(
            statuses(&[H, U, U, H, U, U, U, H, U, H, H, D], t),
            [H, H, H, H, H, H, U, U, U, U, H, D]
        );
    }

    #[test]
    fn the_first_run_decides_and_degraded_is_not_a_failure() {
        let t = Thresholds {
            unhealthy_after: 3,
            healthy_after: 2,
        };
        assert_eq!(statuses(&[U, H, H], t), [U, U, H]);
        assert_eq!(statuses(&[D, U, D, U, U, U], t), [D, D, D, D, D, U]);
    }

    #[test]
    fn on_demand_checks_take_every_run_as_it_is() {
        assert_eq!(statuses(&[H, U, D, U, H], EVERY_RUN), [H, U, D, U, H]);
    }
}
