// Id types are unbounded. The check is on the type's name, so `Uuid` need not resolve: the
// macro refuses it before the compiler looks it up.
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By tenant.
        requests_total: Counter { tenant: uuid::Uuid },
    }
}

fn main() {}
