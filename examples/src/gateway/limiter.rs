//! The gateway's rate limiter: two token buckets per API key, one of requests and one of
//! estimated prompt tokens; a request goes through only when both have room, and takes from both.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::families::LimitType;

/// A bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate {
    /// Most it holds (the burst).
    pub(crate) capacity: f64,
    /// Refill per second.
    pub(crate) per_second: f64,
}

/// One key's limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limits {
    /// Requests.
    pub(crate) requests: Rate,
    /// Estimated prompt tokens.
    pub(crate) tokens: Rate,
}

#[derive(Debug)]
struct Bucket {
    rate: Rate,
    level: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: Rate, now: Instant) -> Self {
        Self {
            rate,
            level: rate.capacity,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + elapsed * self.rate.per_second).min(self.rate.capacity);
        self.at = now;
    }
}

/// The limiter over a fixed set of keys (the gateway's API keys, so its memory is bounded).
#[derive(Debug)]
pub(crate) struct Limiter {
    buckets: Mutex<HashMap<String, [Bucket; 2]>>,
    limits: HashMap<String, Limits>,
}

impl Limiter {
    /// A limiter for these keys (client ids) and their limits.
    pub(crate) fn new(limits: impl IntoIterator<Item = (String, Limits)>) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            limits: limits.into_iter().collect(),
        }
    }

    /// Takes one request and `tokens` estimated tokens from `client`'s buckets, or names the
    /// limit that refuses (taking nothing). A client without limits is not limited.
    pub(crate) fn check(&self, client: &str, tokens: u64) -> Result<(), LimitType> {
        self.check_at(client, tokens, Instant::now())
    }

    fn check_at(&self, client: &str, tokens: u64, now: Instant) -> Result<(), LimitType> {
        let Some(limits) = self.limits.get(client) else {
            return Ok(());
        };
        let mut all = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let [requests, budget] = all.entry(client.to_owned()).or_insert_with(|| {
            [
                Bucket::new(limits.requests, now),
                Bucket::new(limits.tokens, now),
            ]
        });
        requests.refill(now);
        budget.refill(now);
        // The token budget first: a request too large for it is refused as such, whatever the
        // request count.
        if budget.level < tokens as f64 {
            return Err(LimitType::Tokens);
        }
        if requests.level < 1.0 {
            return Err(LimitType::Requests);
        }
        requests.level -= 1.0;
        budget.level -= tokens as f64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_refuse_when_empty_and_refill_over_time() {
        let limits = Limits {
            requests: Rate {
                capacity: 2.0,
                per_second: 10.0,
            },
            tokens: Rate {
                capacity: 100.0,
                per_second: 100.0,
            },
        };
        let limiter = Limiter::new([("a".to_owned(), limits)]);
        let t0 = Instant::now();
        assert_eq!(limiter.check_at("a", 10, t0), Ok(()));
        assert_eq!(limiter.check_at("a", 10, t0), Ok(()));
        assert_eq!(limiter.check_at("a", 10, t0), Err(LimitType::Requests));
        assert_eq!(limiter.check_at("a", 500, t0), Err(LimitType::Tokens));
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(limiter.check_at("a", 500, t1), Err(LimitType::Tokens));
        // The refusal took nothing: the request it refused is still available.
        assert_eq!(limiter.check_at("a", 80, t1), Ok(()));
        assert_eq!(limiter.check_at("other", 10_000, t1), Ok(()));
    }
}
