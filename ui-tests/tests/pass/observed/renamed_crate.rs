//! `#[observed(crate = "renamed_obs")]` with the runtime as a renamed dependency: every generated
//! path goes through the given path, `duration`/`calls` and a derived `ErrorKind` included.
//!
//! As in `renamed_crate.rs`, the rename is made here with the same effect on name resolution as
//! `renamed_obs = { package = "obs-runtime" }`, and `obs_runtime` is then taken over by `core`, so
//! a generated `::obs_runtime::...` path that ignored the `crate` option would fail to resolve.

#![deny(warnings)]

extern crate core as obs_runtime;
extern crate obs_runtime as renamed_obs;

use renamed_obs::observed::CallSite;
use renamed_obs::{ErrorKind, Outcome, metrics, observed};

/// An error with kinds.
#[derive(Debug, ErrorKind)]
#[error_kind(crate = "renamed_obs")]
pub enum Failure {
    /// Too slow.
    Timeout,
}

metrics! {
    /// A renamed crate's own families.
    #[obs(crate = "renamed_obs")]
    pub RENAMED_OBSERVED in "renamed_observed" {
        /// Calls by outcome.
        calls_total: Counter { outcome: Outcome },
        /// Latency.
        duration_seconds: Histogram,
    }
}

#[observed(crate = "renamed_obs", error_kind, err(Debug), record(n))]
fn sync_call(n: u8) -> Result<u8, Failure> {
    if n == 0 { Err(Failure::Timeout) } else { Ok(n) }
}

#[observed(
    crate = "renamed_obs",
    calls = RENAMED_OBSERVED.calls_total,
    duration = RENAMED_OBSERVED.duration_seconds
)]
async fn async_call(n: u8) -> u8 {
    n + 1
}

#[observed(crate = "renamed_obs", stream)]
fn a_stream() -> impl futures_util::Stream<Item = u8> {
    futures_util::stream::iter([1, 2])
}

fn main() {
    use futures_util::{FutureExt, StreamExt};

    assert_eq!(sync_call(1).unwrap(), 1);
    sync_call(0).unwrap_err();
    assert_eq!(async_call(1).now_or_never(), Some(2));
    assert_eq!(
        a_stream().collect::<Vec<_>>().now_or_never(),
        Some(vec![1, 2])
    );

    let site = |f: &str| {
        CallSite::all()
            .into_iter()
            .find(|s| s.function == f)
            .unwrap()
    };
    assert_eq!(site("sync_call").snapshot().outcomes, [1, 1, 0, 0]);
    assert_eq!(site("sync_call").error_kinds().unwrap().1, [1]);
    assert_eq!(site("async_call").snapshot().outcomes, [1, 0, 0, 0]);
    assert_eq!(site("a_stream").snapshot().outcomes, [1, 0, 0, 0]);
    assert_eq!(RENAMED_OBSERVED.calls_total.with(Outcome::Ok).get(), 1);
    assert_eq!(RENAMED_OBSERVED.duration_seconds.series().count(), 1);
}
