//! `#[max_series(N)]` raises a family's series limit: 201 x 101 = 20,301 worst-case series fit
//! under 30,000 (they would not under the default 10,000).

use obs_runtime::{Bounded, metrics};

metrics! {
    /// Routes by model.
    pub WIDE in "wide" {
        /// Requests, by route and model.
        #[max_series(30_000)]
        requests_total: Counter { route: Bounded<200>, model: Bounded<100> },
    }
}

fn main() {
    WIDE.requests_total.with(("/v1/chat", "gpt-4o")).inc();
    assert_eq!(WIDE.requests_total.with(("/v1/chat", "gpt-4o")).get(), 1);
}
