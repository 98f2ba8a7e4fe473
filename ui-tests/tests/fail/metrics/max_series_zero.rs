// `#[max_series]` takes a positive integer.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By outcome.
        #[max_series(0)]
        requests_total: Counter { ok: bool },
    }
}

fn main() {}
