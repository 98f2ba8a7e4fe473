// Two families of one group cannot share a name.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled.
        requests_total: Counter,
        /// Requests handled, again.
        requests_total: Counter { ok: bool },
    }
}

fn main() {}
