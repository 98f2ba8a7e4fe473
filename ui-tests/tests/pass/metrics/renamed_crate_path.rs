//! The runtime as a renamed dependency (`renamed_obs`): `#[obs(crate = "...")]` on the group and
//! `#[label(crate = "...")]` on the derive route every generated path through it.
//!
//! Cargo refuses one package as two dependencies of the same crate, so the rename is made here,
//! with the same effect on name resolution as `renamed_obs = { package = "obs-runtime" }`: both
//! put the name in the extern prelude. Then `obs_runtime` is taken over by `core`, so a generated
//! `::obs_runtime::...` path that ignored the `crate` option would fail to resolve.

extern crate core as obs_runtime;
extern crate obs_runtime as renamed_obs;

use renamed_obs::{Bounded, Format, LabelValue, Registry, metrics};

/// Outcome of a request.
#[derive(Clone, Copy, Debug, LabelValue)]
#[label(crate = "renamed_obs")]
pub enum Outcome {
    /// Succeeded.
    Ok,
    /// Failed.
    Error,
}

metrics! {
    /// Metrics of a service that renamed the runtime crate.
    #[obs(crate = "renamed_obs")]
    pub RENAMED in "renamed" {
        /// Requests, by outcome.
        requests_total: Counter { outcome: Outcome },
        /// Latency, by outcome and route.
        #[buckets(0.1, 1)]
        latency_seconds: Histogram { outcome: Outcome, route: Bounded<4> },
        /// Requests being handled.
        in_flight: Gauge,
    }
}

fn main() {
    RENAMED.requests_total.with(Outcome::Error).inc();
    RENAMED
        .latency_seconds
        .with((Outcome::Ok, "/v1/chat"))
        .observe(0.2);
    RENAMED.in_flight.series().inc();

    let text = Registry::global().encode(Format::Text);
    assert!(
        text.contains("renamed_requests_total{outcome=\"error\"} 1"),
        "{text}"
    );
    assert!(text.contains("renamed_in_flight 1"), "{text}");
}
