//! How a simulated provider behaves: its latencies and its failure rates, set per provider on the
//! command line (`--provider openai:error_rate=0.2,latency_ms=5`).

use std::time::Duration;

use super::super::catalog::Provider;

/// One simulated provider's behaviour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ProviderConfig {
    /// Time before the response (before the stream's headers, for a stream).
    pub(crate) latency: Duration,
    /// Time from the headers to the first content (thinking time).
    pub(crate) time_to_first_token: Duration,
    /// Output speed.
    pub(crate) tokens_per_second: f64,
    /// Share of calls answered `500`.
    pub(crate) error_rate: f64,
    /// Share of calls answered `429`.
    pub(crate) rate_limit_rate: f64,
    /// Share of streams that hang after their first chunks (their clients give up).
    pub(crate) stall_rate: f64,
    /// How long a stream hangs.
    pub(crate) stall: Duration,
    /// Share of prompt tokens read from the provider's prompt cache.
    pub(crate) cached_ratio: f64,
}

impl ProviderConfig {
    /// The demo's default for `provider`: tens of milliseconds per call, a few percent of
    /// errors and rate limits (more errors at Gemini, so its circuit breaker has work).
    pub(crate) fn default_for(provider: Provider) -> Self {
        let base = ProviderConfig {
            latency: Duration::from_millis(4),
            time_to_first_token: Duration::from_millis(12),
            tokens_per_second: 4000.0,
            error_rate: 0.04,
            rate_limit_rate: 0.04,
            stall_rate: 0.08,
            stall: Duration::from_secs(3),
            cached_ratio: 0.5,
        };
        match provider {
            Provider::OpenAi => base,
            Provider::Anthropic => ProviderConfig {
                latency: Duration::from_millis(6),
                time_to_first_token: Duration::from_millis(18),
                tokens_per_second: 3000.0,
                error_rate: 0.03,
                rate_limit_rate: 0.06,
                cached_ratio: 0.6,
                ..base
            },
            Provider::Gemini => ProviderConfig {
                latency: Duration::from_millis(5),
                time_to_first_token: Duration::from_millis(15),
                tokens_per_second: 5000.0,
                error_rate: 0.2,
                rate_limit_rate: 0.02,
                cached_ratio: 0.25,
                ..base
            },
        }
    }

    /// Applies `key=value,key=value` settings.
    pub(crate) fn apply(&mut self, settings: &str) -> Result<(), String> {
        for setting in settings.split(',').filter(|s| !s.is_empty()) {
            let (key, value) = setting
                .split_once('=')
                .ok_or_else(|| format!("`{setting}` is not key=value"))?;
            let number: f64 = value
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("`{key}` takes a non-negative number, not `{value}`"))?;
            let share = |v: f64| {
                if v <= 1.0 {
                    Ok(v)
                } else {
                    Err(format!("`{key}` is a share between 0 and 1, not {v}"))
                }
            };
            let millis = Duration::from_secs_f64(number / 1000.0);
            match key {
                "latency_ms" => self.latency = millis,
                "ttft_ms" => self.time_to_first_token = millis,
                "stall_ms" => self.stall = millis,
                "tokens_per_second" if number > 0.0 => self.tokens_per_second = number,
                "error_rate" => self.error_rate = share(number)?,
                "rate_limit_rate" => self.rate_limit_rate = share(number)?,
                "stall_rate" => self.stall_rate = share(number)?,
                "cached_ratio" => self.cached_ratio = share(number)?,
                _ => return Err(format!("unknown provider setting `{key}`")),
            }
        }
        if self.error_rate + self.rate_limit_rate > 1.0 {
            return Err("error_rate + rate_limit_rate is more than 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_apply_and_bad_ones_are_named() {
        let mut c = ProviderConfig::default_for(Provider::OpenAi);
        c.apply("latency_ms=7,error_rate=0.5,cached_ratio=1")
            .unwrap();
        assert_eq!(c.latency, Duration::from_millis(7));
        assert_eq!((c.error_rate, c.cached_ratio), (0.5, 1.0));
        assert!(c.apply("error_rate=2").unwrap_err().contains("error_rate"));
        assert!(c.apply("speed=1").unwrap_err().contains("speed"));
        assert!(c.apply("latency_ms").unwrap_err().contains("key=value"));
        assert!(c.apply("rate_limit_rate=0.9").is_err());
        assert!(c.apply("tokens_per_second=0").is_err());
    }
}
