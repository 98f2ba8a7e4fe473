// Families take doc comments, `#[buckets]` and `#[max_series]` only.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled.
        #[unit("seconds")]
        requests_total: Counter,
    }
}

fn main() {}
