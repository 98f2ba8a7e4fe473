//! A [`Health`] registry's families, read from its checks' states at scrape time (a scrape never
//! runs a check):
//!
//! - `obs_health_check_state{check, state}`: one series per check and state, `1` for the state
//!   the check is in and `0` for the others (an OpenMetrics StateSet, written as a gauge), so an
//!   alert is `obs_health_check_state{state="unhealthy"} == 1`;
//! - `obs_health_status{state}`: the aggregate, the same way;
//! - `obs_health_check_duration_seconds{check}`: how long each check's last run took.
//!
//! A check that runs on demand and has not run yet has no series. Two checks of one name (which
//! only [`Health::add_check`] lets happen) show as the first.

use std::sync::Weak;

use super::{Health, HealthStatus};
use crate::metrics::{
    Collector, ComputedFamily, FamilyDesc, FamilyView, LabelDesc, MetricType, Sample,
};

const STATES: &[&str] = &["healthy", "degraded", "unhealthy"];

const CHECK: LabelDesc = LabelDesc::bounded("check", usize::MAX);
const STATE: LabelDesc = LabelDesc::fixed("state", STATES);

/// The families of one registry, which they hold weakly: once it is gone they have no series.
pub(super) struct HealthFamilies {
    families: [ComputedFamily<Weak<Health>>; 3],
}

impl HealthFamilies {
    pub(super) fn new(health: Weak<Health>) -> Self {
        let family = |name, help, labels, samples| {
            let desc = FamilyDesc::new(name, help, MetricType::Gauge, labels);
            ComputedFamily::new(desc, health.clone(), samples)
        };
        Self {
            families: [
                family(
                    "obs_health_check_state",
                    "State of each health check: 1 for the state it is in, 0 for the others.",
                    &[CHECK, STATE],
                    check_state,
                ),
                family(
                    "obs_health_status",
                    "Aggregate health under the registry's rule: 1 for its state, 0 for the others.",
                    &[STATE],
                    status,
                ),
                family(
                    "obs_health_check_duration_seconds",
                    "How long each health check's last run took.",
                    &[CHECK],
                    duration,
                ),
            ],
        }
    }
}

impl Collector for HealthFamilies {
    fn visit_families<'a>(&'a self, f: &mut dyn FnMut(&'a dyn FamilyView)) {
        for family in &self.families {
            f(family);
        }
    }
}

/// One sample per state: 1 for `current`, 0 for the others.
fn state_set(current: HealthStatus, mut f: impl FnMut(&str, Sample<'_>)) {
    for state in HealthStatus::ALL {
        f(state.as_str(), Sample::Signed(i64::from(state == current)));
    }
}

fn check_state(health: &Weak<Health>, f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    if let Some(health) = health.upgrade() {
        health.visit_states(|name, state| {
            state_set(state.status, |s, sample| f(&[name, s], sample));
        });
    }
}

fn status(health: &Weak<Health>, f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    if let Some(health) = health.upgrade() {
        let mut statuses = Vec::new();
        health.visit_states(|_, state| statuses.push(state.status));
        state_set(health.aggregate.status(statuses), |s, sample| {
            f(&[s], sample)
        });
    }
}

fn duration(health: &Weak<Health>, f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    if let Some(health) = health.upgrade() {
        health.visit_states(|name, state| {
            if let Some(run) = &state.last {
                f(&[name], Sample::Float(run.took.as_secs_f64()));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_states_are_the_statuses() {
        let names: Vec<&str> = super::HealthStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!(names, super::STATES);
    }
}
