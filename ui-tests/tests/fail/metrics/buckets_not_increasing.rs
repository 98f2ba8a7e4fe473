// Bucket bounds must strictly increase: the error is at the first bound out of order.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Latency.
        #[buckets(0.1, 0.5, 0.5, 2, 1)]
        latency_seconds: Histogram,
    }
}

fn main() {}
