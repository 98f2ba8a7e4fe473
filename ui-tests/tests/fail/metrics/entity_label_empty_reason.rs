// The opt-out of the per-entity name rule needs a reason.
// (`Bounded` is written as a path: a refused `metrics!` expands to nothing, so an import of it
// would be reported unused as well.)
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By tenant.
        by_tenant_total: Counter {
            #[allow_entity_label(reason = "  ")]
            tenant_id: obs_runtime::Bounded<4>,
        },
    }
}

fn main() {}
