// Every family needs a doc comment: it becomes the HELP text.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled.
        requests_total: Counter,
        errors_total: Counter,
    }
}

fn main() {}
