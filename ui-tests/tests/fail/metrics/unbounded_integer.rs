// Integer labels are unbounded.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By HTTP status code.
        responses_total: Counter { status: u16 },
    }
}

fn main() {}
