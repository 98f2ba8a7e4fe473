// `#[buckets()]` with no bound.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Latency.
        #[buckets()]
        latency_seconds: Histogram,
    }
}

fn main() {}
