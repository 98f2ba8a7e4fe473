// An explicit `#[max_series(N)]` is enforced as well: 33 x 2 = 66 series exceed 50.
use obs_runtime::{Bounded, metrics};

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By model and outcome.
        #[max_series(50)]
        requests_total: Counter { model: Bounded<32>, ok: bool },
    }
}

fn main() {}
