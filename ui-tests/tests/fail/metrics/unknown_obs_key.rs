// `#[obs(...)]` on a group knows only `crate`.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    #[obs(krate = "obs_runtime")]
    pub SERVICE in "svc" {
        /// Requests handled.
        requests_total: Counter,
    }
}

fn main() {}
