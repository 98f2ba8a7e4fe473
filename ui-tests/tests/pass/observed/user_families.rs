//! `duration = GROUP.histogram`, `calls = GROUP.counter` and `labels(...)`: an observed call also
//! records into the user's own `metrics!` families — the histogram with the given labels, the
//! counter with the given labels plus the call's `Outcome` — with or without the framework's own
//! families, and with no labels at all.

#![deny(warnings)]

use std::time::Duration;

use obs_runtime::observed::CallSite;
use obs_runtime::{Bounded, LabelValue, Outcome, metrics, observed};

/// Upstream providers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, LabelValue)]
pub enum Upstream {
    /// First choice.
    Primary,
    /// Second choice.
    Fallback,
}

metrics! {
    /// A service's own schema.
    pub MINE in "mine" {
        /// Upstream call latency, by upstream and route.
        #[buckets(0.001, 0.1, 1)]
        upstream_duration_seconds: Histogram { upstream: Upstream, route: Bounded<8> },
        /// Upstream calls, by upstream, route and outcome.
        upstream_calls_total: Counter { upstream: Upstream, route: Bounded<8>, outcome: Outcome },
        /// Jobs run, by outcome only.
        jobs_total: Counter { outcome: Outcome },
        /// Job latency.
        job_duration_seconds: Histogram,
        /// Cache lookups, by upstream and outcome.
        lookups_total: Counter { upstream: Upstream, outcome: Outcome },
    }
}

#[observed(
    duration = MINE.upstream_duration_seconds,
    calls = MINE.upstream_calls_total,
    labels(upstream, route)
)]
async fn call_upstream(upstream: Upstream, route: &str, mode: u8) -> Result<(), String> {
    tokio::task::yield_now().await;
    match mode {
        0 => Ok(()),
        1 => Err(format!("{upstream:?} failed on {route}")),
        _ => std::future::pending().await,
    }
}

#[observed(calls = MINE.jobs_total, duration = MINE.job_duration_seconds)]
fn job(n: u32) -> std::io::Result<u32> {
    if n == 0 {
        return Err(std::io::Error::other("nothing to do"));
    }
    Ok(n)
}

/// A cache in front of an upstream.
#[derive(Debug)]
pub struct Cache {
    upstream: Upstream,
}

impl Cache {
    // A label computed from `self` when the call starts; the framework families are off.
    #[observed(metrics = false, calls = MINE.lookups_total, labels(self.upstream))]
    fn lookup(&self, key: &str) -> Option<usize> {
        (!key.is_empty()).then_some(key.len())
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        call_upstream(Upstream::Primary, "/v1/chat", 0)
            .await
            .unwrap();
        call_upstream(Upstream::Primary, "/v1/chat", 1)
            .await
            .unwrap_err();
        call_upstream(Upstream::Fallback, "/v1/embed", 0)
            .await
            .unwrap();
        // Dropped while pending: a cancelled call.
        let hung = call_upstream(Upstream::Fallback, "/v1/embed", 2);
        assert!(
            tokio::time::timeout(Duration::from_millis(1), hung)
                .await
                .is_err()
        );
    });
    assert_eq!(job(2).unwrap(), 2);
    job(0).unwrap_err();
    let cache = Cache {
        upstream: Upstream::Fallback,
    };
    assert_eq!(cache.lookup("ab"), Some(2));
    assert_eq!(cache.lookup(""), None);

    let calls = |u, r, o| MINE.upstream_calls_total.with((u, r, o)).get();
    assert_eq!(calls(Upstream::Primary, "/v1/chat", Outcome::Ok), 1);
    assert_eq!(calls(Upstream::Primary, "/v1/chat", Outcome::Error), 1);
    assert_eq!(calls(Upstream::Fallback, "/v1/embed", Outcome::Ok), 1);
    assert_eq!(
        calls(Upstream::Fallback, "/v1/embed", Outcome::Cancelled),
        1
    );
    let latency = |u, r| MINE.upstream_duration_seconds.with((u, r)).count();
    assert_eq!(latency(Upstream::Primary, "/v1/chat"), 2);
    assert_eq!(latency(Upstream::Fallback, "/v1/embed"), 2);

    assert_eq!(MINE.jobs_total.with(Outcome::Ok).get(), 1);
    assert_eq!(MINE.jobs_total.with(Outcome::Error).get(), 1);
    assert_eq!(MINE.job_duration_seconds.series().count(), 2);

    assert_eq!(
        MINE.lookups_total
            .with((Upstream::Fallback, Outcome::Ok))
            .get(),
        2
    );
    // `metrics = false`: no framework call site, only the user's family.
    assert!(CallSite::all().iter().all(|s| s.function != "lookup"));
    assert!(CallSite::all().iter().any(|s| s.function == "job"));
}
