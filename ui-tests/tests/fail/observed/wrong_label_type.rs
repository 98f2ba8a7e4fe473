// The `labels(...)` values must have the label types of the families they go to.
use obs_runtime::{LabelValue, Outcome, metrics, observed};

/// Upstreams.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Upstream {
    /// First.
    Primary,
}

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Upstream latency.
        upstream_duration_seconds: Histogram { upstream: Upstream },
        /// Upstream calls.
        upstream_calls_total: Counter { upstream: Upstream, outcome: Outcome },
    }
}

#[observed(
    duration = SERVICE.upstream_duration_seconds,
    calls = SERVICE.upstream_calls_total,
    labels(attempt)
)]
fn call(attempt: u32) -> u32 {
    attempt
}

fn main() {
    let _ = call(1);
}
