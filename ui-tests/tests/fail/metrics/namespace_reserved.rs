// The `obs` namespace belongs to the framework's own metrics.
use obs_runtime::metrics;

metrics! {
    /// Gateway metrics.
    pub GATEWAY in "obs_gateway" {
        /// Requests handled.
        requests_total: Counter,
    }
}

fn main() {}
