// `#[buckets]` applies only to histograms.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled.
        #[buckets(0.1, 1, 10)]
        requests_total: Counter,
    }
}

fn main() {}
