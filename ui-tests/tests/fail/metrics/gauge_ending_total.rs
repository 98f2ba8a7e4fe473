// `_total` is for counters: a gauge whose name ends in it would read as a counter.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests being handled.
        in_flight_total: Gauge,
    }
}

fn main() {}
