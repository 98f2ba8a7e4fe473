// `&str` labels are unbounded.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By model.
        requests_total: Counter { model: &'static str },
    }
}

fn main() {}
