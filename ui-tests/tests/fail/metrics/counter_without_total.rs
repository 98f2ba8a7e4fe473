// A counter's name must end in `_total`.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled.
        requests: Counter,
    }
}

fn main() {}
