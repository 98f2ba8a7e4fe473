// Float labels are unbounded.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By temperature setting.
        requests_total: Counter { temperature: f64 },
    }
}

fn main() {}
