// A label name must be a valid Prometheus label name: ASCII letters, digits and `_`.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled, by success.
        requests_total: Counter { réussi: bool },
    }
}

fn main() {}
