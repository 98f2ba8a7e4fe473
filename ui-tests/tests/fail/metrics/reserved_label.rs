// `le`, `quantile` and names starting `__` are reserved by Prometheus: one error per label.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Uses `le`.
        a_total: Counter { le: bool },
        /// Uses `quantile`.
        b_total: Counter { quantile: bool },
        /// Uses a name starting `__`.
        c_total: Counter { __x: bool },
    }
}

fn main() {}
