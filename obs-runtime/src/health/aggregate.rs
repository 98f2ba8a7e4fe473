//! The rule that makes one status of every check's: the worst of them, or the share of healthy
//! ones against two thresholds (a gateway with several providers is degraded while one is down,
//! unhealthy when most are).

use super::{HealthError, HealthStatus};

/// How a [`Health`](super::Health) registry aggregates its checks' statuses.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Aggregate(Rule);

#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum Rule {
    #[default]
    Worst,
    HealthyShare {
        unhealthy_below: f64,
        degraded_below: f64,
    },
}

impl Aggregate {
    /// The worst status of any check (the default).
    pub const fn worst() -> Self {
        Self(Rule::Worst)
    }

    /// By the share of checks that are healthy (degraded ones are not): unhealthy below
    /// `unhealthy_below`, degraded below `degraded_below`, else healthy. `healthy_share(0.5, 1.0)`
    /// is "unhealthy below 50 % healthy, degraded below 100 %". Without checks, healthy.
    pub fn healthy_share(unhealthy_below: f64, degraded_below: f64) -> Result<Self, HealthError> {
        let ordered =
            0.0 <= unhealthy_below && unhealthy_below <= degraded_below && degraded_below <= 1.0;
        if !ordered {
            return Err(HealthError::InvalidAggregate {
                unhealthy_below,
                degraded_below,
            });
        }
        Ok(Self(Rule::HealthyShare {
            unhealthy_below,
            degraded_below,
        }))
    }

    /// The aggregate of `statuses`.
    pub fn status(&self, statuses: impl IntoIterator<Item = HealthStatus>) -> HealthStatus {
        match self.0 {
            Rule::Worst => statuses.into_iter().max().unwrap_or(HealthStatus::Healthy),
            Rule::HealthyShare {
                unhealthy_below,
                degraded_below,
            } => {
                let (mut healthy, mut total) = (0usize, 0usize);
                for status in statuses {
                    total += 1;
                    healthy += usize::from(status == HealthStatus::Healthy);
                }
                if total == 0 {
                    return HealthStatus::Healthy;
                }
                let share = healthy as f64 / total as f64;
                if share < unhealthy_below {
                    HealthStatus::Unhealthy
                } else if share < degraded_below {
                    HealthStatus::Degraded
                } else {
                    HealthStatus::Healthy
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HealthStatus::{Degraded, Healthy, Unhealthy};

    #[test]
    fn worst_is_the_worst() {
        let rule = Aggregate::worst();
        assert_eq!(rule.status([]), Healthy);
        assert_eq!(rule.status([Healthy, Degraded]), Degraded);
        assert_eq!(rule.status([Degraded, Unhealthy, Healthy]), Unhealthy);
    }

    #[test]
    fn shares_against_the_stated_thresholds() {
        let rule = Aggregate::healthy_share(0.5, 1.0).unwrap();
        assert_eq!(rule.status([]), Healthy);
        assert_eq!(rule.status([Healthy; 4]), Healthy);
        assert_eq!(
            rule.status([Healthy, Healthy, Healthy, Unhealthy]),
            Degraded
        );
        // Exactly half healthy is not below half.
        assert_eq!(
            rule.status([Healthy, Healthy, Unhealthy, Degraded]),
            Degraded
        );
        assert_eq!(
            rule.status([Healthy, Unhealthy, Unhealthy, Unhealthy]),
            Unhealthy
        );
    }

    #[test]
    fn thresholds_out_of_order_are_refused() {
        for (u, d) in [(0.6, 0.5), (-0.1, 0.5), (0.5, 1.5), (f64::NAN, 1.0)] {
            assert_eq!(
                Aggregate::healthy_share(u, d).unwrap_err().to_string(),
                format!(
                    "aggregate rule: unhealthy below {u} and degraded below {d} must satisfy \
                     0 <= unhealthy_below <= degraded_below <= 1"
                )
            );
        }
    }
}
