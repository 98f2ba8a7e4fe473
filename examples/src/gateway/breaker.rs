//! A circuit breaker per provider: after `threshold` failures in a row it opens and refuses calls
//! for a cool-down; then it lets one trial call through (half-open), whose result closes or
//! reopens it. Its state is exposed as a state set (`llm_gateway_circuit_breaker_state`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use obs_runtime::LabelValue as _;
use obs_runtime::audit;

use super::catalog::Provider;
use super::families::{BreakerState, GATEWAY};

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    failures: u32,
    opened_at: Option<Instant>,
    trial_in_flight: bool,
}

/// One provider's breaker.
#[derive(Debug)]
pub(crate) struct Breaker {
    provider: Provider,
    threshold: u32,
    cool_down: Duration,
    inner: Mutex<Inner>,
}

/// Leave to make one call; report its result with [`Breaker::succeeded`] or [`Breaker::failed`].
/// A trial permit dropped unreported (the call was cancelled) frees the trial slot.
#[derive(Debug)]
#[must_use]
pub(crate) struct Permit<'a> {
    breaker: &'a Breaker,
    trial: bool,
}

impl Breaker {
    /// A closed breaker for `provider`.
    pub(crate) fn new(provider: Provider, threshold: u32, cool_down: Duration) -> Self {
        let breaker = Self {
            provider,
            threshold: threshold.max(1),
            cool_down,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                failures: 0,
                opened_at: None,
                trial_in_flight: false,
            }),
        };
        breaker.expose(BreakerState::Closed);
        breaker
    }

    /// The state now.
    #[cfg(test)]
    pub(crate) fn state(&self) -> BreakerState {
        self.lock().state
    }

    /// Leave to call, or `None` while open (or while half-open with its trial call out).
    pub(crate) fn allow(&self) -> Option<Permit<'_>> {
        let mut inner = self.lock();
        match inner.state {
            BreakerState::Closed => Some(Permit {
                breaker: self,
                trial: false,
            }),
            BreakerState::Open => {
                let cooled = inner
                    .opened_at
                    .is_none_or(|at| at.elapsed() >= self.cool_down);
                if !cooled {
                    return None;
                }
                self.set(&mut inner, BreakerState::HalfOpen);
                inner.trial_in_flight = true;
                Some(Permit {
                    breaker: self,
                    trial: true,
                })
            }
            BreakerState::HalfOpen if inner.trial_in_flight => None,
            BreakerState::HalfOpen => {
                inner.trial_in_flight = true;
                Some(Permit {
                    breaker: self,
                    trial: true,
                })
            }
        }
    }

    /// The call went through: the breaker closes.
    pub(crate) fn succeeded(&self, mut permit: Permit<'_>) {
        let trial = std::mem::replace(&mut permit.trial, false);
        let mut inner = self.lock();
        inner.failures = 0;
        if trial {
            inner.trial_in_flight = false;
        }
        self.set(&mut inner, BreakerState::Closed);
    }

    /// The call failed: a trial reopens the breaker, and so does the `threshold`-th failure in a
    /// row.
    pub(crate) fn failed(&self, mut permit: Permit<'_>) {
        let trial = std::mem::replace(&mut permit.trial, false);
        let mut inner = self.lock();
        inner.failures += 1;
        if trial {
            inner.trial_in_flight = false;
        }
        if (trial || inner.failures >= self.threshold) && inner.state != BreakerState::Open {
            inner.opened_at = Some(Instant::now());
            self.set(&mut inner, BreakerState::Open);
        }
    }

    /// Moves to `state`: exposed, and audited as the provider's health change (queued, not
    /// waited for).
    fn set(&self, inner: &mut Inner, state: BreakerState) {
        if inner.state != state {
            let from = std::mem::replace(&mut inner.state, state);
            self.expose(state);
            if let Some(log) = audit::global() {
                let event = audit::provider_health_changed(
                    self.provider.name(),
                    from.as_str(),
                    state.as_str(),
                );
                // A full queue drops and counts per the log's policy; the breaker goes on.
                let _ = log.append(event);
            }
        }
    }

    /// Writes the state set: 1 for `state`, 0 for the others.
    fn expose(&self, state: BreakerState) {
        for s in BreakerState::ALL {
            GATEWAY
                .circuit_breaker_state
                .with((self.provider, s))
                .set(i64::from(s == state));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial {
            self.breaker.lock().trial_in_flight = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauge(provider: Provider, s: BreakerState) -> i64 {
        GATEWAY.circuit_breaker_state.with((provider, s)).get()
    }

    #[test]
    fn it_opens_after_the_threshold_and_a_trial_closes_or_reopens_it() {
        // Anthropic's series are this test's own (no other unit test makes its breaker).
        let p = Provider::Anthropic;
        let b = Breaker::new(p, 2, Duration::from_millis(30));
        assert_eq!(gauge(p, BreakerState::Closed), 1);
        b.failed(b.allow().unwrap());
        assert_eq!(b.state(), BreakerState::Closed);
        b.failed(b.allow().unwrap());
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(
            (gauge(p, BreakerState::Open), gauge(p, BreakerState::Closed)),
            (1, 0)
        );
        assert!(b.allow().is_none());
        std::thread::sleep(Duration::from_millis(40));
        let trial = b.allow().unwrap();
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert_eq!(gauge(p, BreakerState::HalfOpen), 1);
        assert!(b.allow().is_none(), "one trial at a time");
        b.failed(trial);
        assert_eq!(b.state(), BreakerState::Open);
        std::thread::sleep(Duration::from_millis(40));
        let trial = b.allow().unwrap();
        drop(trial); // cancelled: the slot is free again, still half-open
        let trial = b.allow().unwrap();
        b.succeeded(trial);
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(
            BreakerState::ALL.map(|s| gauge(p, s)),
            [1, 0, 0],
            "closed, open, half-open"
        );
    }
}
