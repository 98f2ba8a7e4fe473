//! The simulation's own account of what happened, kept apart from the gateway's metrics so the
//! two can be compared: what each simulated provider did with each call (tokens by type, cost from
//! the pricing table, outcome), and what each load-generating client got back.
//!
//! Token types follow `gen_ai.usage.*`: `input` is all input (cache reads included), `cache_read`
//! a part of it; `output` is all output (reasoning included), `reasoning` a part of it. A stream
//! whose client went away counts the usage its provider had reported on the chunks it sent.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

use obs_runtime::llm::Pricing;
use serde::{Deserialize, Serialize};

use super::catalog::Provider;
use super::wire::Tokens;

/// How a provider call ended, as the provider saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallOutcome {
    /// Answered in full.
    Ok,
    /// Answered `429`.
    RateLimited,
    /// Answered `500`.
    ServerError,
    /// The caller went away mid-stream.
    Disconnected,
}

impl CallOutcome {
    /// The name in the ground truth and the report.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::RateLimited => "rate_limited",
            CallOutcome::ServerError => "server_error",
            CallOutcome::Disconnected => "disconnected",
        }
    }
}

/// Tokens by type, in `gen_ai.usage.*` terms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCounts {
    /// All input tokens.
    pub input: u64,
    /// Input tokens read from a prompt cache.
    pub cache_read: u64,
    /// All output tokens.
    pub output: u64,
    /// Output tokens spent reasoning.
    pub reasoning: u64,
}

impl TokenCounts {
    pub(crate) fn add(&mut self, t: Tokens) {
        self.input += t.prompt;
        self.cache_read += t.cached;
        self.output += t.completion;
        self.reasoning += t.reasoning;
    }
}

/// What the simulated providers and clients saw; printed, or written with `--ground-truth FILE`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Provider calls by outcome (`ok`, `rate_limited`, `server_error`, `disconnected`).
    pub provider_calls: BTreeMap<String, u64>,
    /// Tokens the providers reported, by type.
    pub tokens: TokenCounts,
    /// The same, by provider.
    pub tokens_by_provider: BTreeMap<String, TokenCounts>,
    /// What those tokens cost, in US dollars, from the bundled pricing table.
    pub cost_usd: f64,
    /// Chat requests by the outcome their client saw (the gateway's outcome names).
    pub requests: BTreeMap<String, u64>,
    /// Of the `ok` requests, those answered from the gateway's cache.
    pub cache_hits: u64,
    /// Admin routing changes tried, by result (`applied`, `refused`).
    pub admin_changes: BTreeMap<String, u64>,
}

/// The shared tally.
#[derive(Debug, Default)]
pub(crate) struct Truth {
    tally: Mutex<GroundTruth>,
}

static PRICING: LazyLock<Pricing> = LazyLock::new(Pricing::bundled);

impl Truth {
    /// A provider call ended with `outcome`, having reported `tokens` (if it reported any).
    pub(crate) fn provider_call(
        &self,
        provider: Provider,
        model: &str,
        outcome: CallOutcome,
        tokens: Option<Tokens>,
    ) {
        let mut tally = self.lock();
        *tally
            .provider_calls
            .entry(outcome.as_str().to_owned())
            .or_default() += 1;
        if let Some(tokens) = tokens {
            tally.tokens.add(tokens);
            tally
                .tokens_by_provider
                .entry(provider.name().to_owned())
                .or_default()
                .add(tokens);
            if let Some(cost) = PRICING.cost(provider.name(), model, &tokens.usage()) {
                tally.cost_usd += cost.total();
            }
        }
    }

    /// A client's request ended with `outcome` (`cache_hit`: answered from the cache).
    pub(crate) fn client_request(&self, outcome: &str, cache_hit: bool) {
        let mut tally = self.lock();
        *tally.requests.entry(outcome.to_owned()).or_default() += 1;
        tally.cache_hits += u64::from(cache_hit);
    }

    /// An admin routing change was tried.
    pub(crate) fn admin_change(&self, applied: bool) {
        let result = if applied { "applied" } else { "refused" };
        *self
            .lock()
            .admin_changes
            .entry(result.to_owned())
            .or_default() += 1;
    }

    /// The tally so far.
    pub(crate) fn snapshot(&self) -> GroundTruth {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GroundTruth> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_and_priced() {
        let truth = Truth::default();
        let tokens = Tokens {
            prompt: 1_000_000,
            cached: 400_000,
            completion: 1_000_000,
            reasoning: 0,
        };
        truth.provider_call(Provider::OpenAi, "gpt-4o", CallOutcome::Ok, Some(tokens));
        truth.provider_call(Provider::OpenAi, "gpt-4o", CallOutcome::ServerError, None);
        truth.client_request("ok", true);
        let t = truth.snapshot();
        // 0.6M fresh input at $2.50, 0.4M cached at $1.25, 1M output at $10.
        assert!(
            (t.cost_usd - (1.5 + 0.5 + 10.0)).abs() < 1e-9,
            "{}",
            t.cost_usd
        );
        assert_eq!(t.provider_calls["ok"], 1);
        assert_eq!(t.provider_calls["server_error"], 1);
        assert_eq!(t.tokens.cache_read, 400_000);
        assert_eq!(t.tokens_by_provider["openai"].output, 1_000_000);
        assert_eq!((t.requests["ok"], t.cache_hits), (1, 1));
    }
}
