// Names ending in a suffix the exposition formats generate themselves are refused: one error per
// family, each at that family's name.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Ends in `_bucket`.
        latency_bucket: Gauge,
        /// Ends in `_count`.
        request_count: Gauge,
        /// Ends in `_sum` (before the counter's `_total`).
        latency_sum_total: Counter,
        /// Ends in `_created`.
        jobs_created: FloatGauge,
        /// Ends in `_info`.
        build_info: Gauge,
        /// A histogram ending in `_seconds_count`.
        #[buckets(1, 2)]
        wait_count: Histogram,
    }
}

fn main() {}
