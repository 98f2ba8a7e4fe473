// The family given to `calls = ...` must have `Outcome` as its last label, which the call fills in.
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
        /// Upstream calls.
        upstream_calls_total: Counter { upstream: Upstream },
    }
}

#[observed(calls = SERVICE.upstream_calls_total, labels(upstream))]
fn call(upstream: Upstream) -> u32 {
    let _ = upstream;
    1
}

fn main() {
    let _ = call(Upstream::Primary);
}
