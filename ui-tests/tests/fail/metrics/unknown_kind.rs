// The kind must be one of the metric kinds.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Latency.
        latency_seconds: Summary,
    }
}

fn main() {}
