// A family name must be a valid Prometheus metric name: ASCII letters, digits and `_`.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled.
        requêtes_total: Counter,
    }
}

fn main() {}
