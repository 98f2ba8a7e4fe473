// 201 x 101 = 20,301 worst-case series exceed the default limit of 10,000.
use obs_runtime::{Bounded, metrics};

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By route and model.
        requests_total: Counter { route: Bounded<200>, model: Bounded<100> },
    }
}

fn main() {}
