//! Provider calls with retries: up to three tries with a short backoff, each through the
//! provider's circuit breaker; retries counted by which try they are.

use std::future::Future;
use std::time::Duration;

use super::breaker::Breaker;
use super::catalog::Provider;
use super::families::{Attempt, GATEWAY};
use super::upstream::UpstreamError;

/// Tries per call.
pub(crate) const MAX_TRIES: u32 = 3;

/// Why a call gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The breaker refused before any try reached the provider.
    CircuitOpen,
    /// The last try's error.
    Upstream(UpstreamError),
}

/// Runs `call` until it succeeds, fails in a way a retry cannot mend, runs out of tries, or the
/// breaker refuses (then the last error stands, or [`Failure::CircuitOpen`] when nothing was
/// tried). Server errors and unreachable providers count against the breaker; a rate limit does
/// not.
pub(crate) async fn with_retries<T, F, Fut>(
    breaker: &Breaker,
    provider: Provider,
    backoff: Duration,
    mut call: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let mut last = None;
    for try_index in 0..MAX_TRIES {
        let retry = match try_index {
            0 => None,
            1 => Some(Attempt::Second),
            _ => Some(Attempt::Third),
        };
        if retry.is_some() {
            tokio::time::sleep(backoff * try_index).await;
        }
        let Some(permit) = breaker.allow() else { break };
        if let Some(attempt) = retry {
            GATEWAY.retries_total.with((provider, attempt)).inc();
        }
        match call().await {
            Ok(value) => {
                breaker.succeeded(permit);
                return Ok(value);
            }
            Err(e) if e.trips_breaker() => {
                breaker.failed(permit);
                last = Some(e);
            }
            Err(e) => last = Some(e),
        }
        if last.is_some_and(|e| !e.retryable()) {
            break;
        }
    }
    Err(last.map_or(Failure::CircuitOpen, Failure::Upstream))
}
