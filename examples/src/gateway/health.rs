//! The providers' health: each simulated provider is probed (`GET /{provider}/v1/models`) on a
//! schedule in the background; two failed probes in a row make it unhealthy, two good ones bring
//! it back. The gateway is unhealthy below half its providers healthy and degraded below all.

use std::sync::Arc;
use std::time::Duration;

use obs_runtime::health::{Aggregate, CheckResult, Health, HealthError, Schedule};

use super::catalog::Provider;
use super::upstream::Upstream;

/// The health registry, with a scheduled check per provider, run every `every`.
pub(crate) fn provider_checks(
    version: &str,
    upstream: Arc<Upstream>,
    every: Duration,
) -> Result<Arc<Health>, HealthError> {
    let health = Arc::new(Health::new(version).with_aggregate(Aggregate::healthy_share(0.5, 1.0)?));
    for provider in Provider::ALL {
        let schedule = Schedule::every(every)
            .timeout(Duration::from_millis(500))
            .unhealthy_after(2)
            .healthy_after(2);
        let upstream = Arc::clone(&upstream);
        health.add_scheduled(provider.name(), schedule, move || {
            let upstream = Arc::clone(&upstream);
            async move {
                match upstream.probe(provider).await {
                    Ok(models) => CheckResult::healthy().with_detail("models", models.to_string()),
                    Err(e) => CheckResult::unhealthy(e.to_string()),
                }
            }
        })?;
    }
    Ok(health)
}
