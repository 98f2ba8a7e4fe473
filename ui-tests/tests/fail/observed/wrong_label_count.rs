// `labels(...)` must give one value per label of the family (for `calls`, all but the outcome).
use obs_runtime::{LabelValue, metrics, observed};

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
    }
}

#[observed(duration = SERVICE.upstream_duration_seconds, labels(upstream, upstream))]
fn call(upstream: Upstream) -> u32 {
    let _ = upstream;
    1
}

fn main() {
    let _ = call(Upstream::Primary);
}
