// Two labels of one family cannot share a name.
// (`Bounded` is written as a path: a refused `metrics!` expands to nothing, so an import of it
// would be reported unused as well.)
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// Requests handled.
        requests_total: Counter {
            model: obs_runtime::Bounded<8>,
            ok: bool,
            model: obs_runtime::Bounded<4>,
        },
    }
}

fn main() {}
