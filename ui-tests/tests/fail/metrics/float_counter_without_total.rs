// A float counter's name must end in `_total` too.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Dollars spent.
        cost_dollars: FloatCounter,
    }
}

fn main() {}
