// Labels take `#[allow_entity_label(reason = "...")]` only.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled.
        requests_total: Counter { #[optional] ok: bool },
    }
}

fn main() {}
