// A namespace must be a valid Prometheus metric name prefix: `-` is not allowed.
use obs_runtime::metrics;

metrics! {
    /// Gateway metrics.
    pub GATEWAY in "llm-gateway" {
        /// Requests handled.
        requests_total: Counter,
    }
}

fn main() {}
