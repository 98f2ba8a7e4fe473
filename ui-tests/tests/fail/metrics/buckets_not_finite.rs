// Bucket bounds must be finite: `1e400` overflows `f64` to infinity.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Latency.
        #[buckets(0.1, 1, 1e400)]
        latency_seconds: Histogram,
    }
}

fn main() {}
