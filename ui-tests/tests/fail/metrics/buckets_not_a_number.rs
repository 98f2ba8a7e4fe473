// Bucket bounds must be number literals.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Latency.
        #[buckets(0.1, "1", 10)]
        latency_seconds: Histogram,
    }
}

fn main() {}
