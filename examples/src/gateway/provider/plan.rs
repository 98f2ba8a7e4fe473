//! What a simulated provider does with one call, decided from the seed, the request and how many
//! times this provider has seen the same request before (so a retry can succeed where the first
//! try failed), never from the order calls arrive in.

use std::time::Duration;

use super::super::catalog::Model;
use super::super::rng::{Rng, hash};
use super::super::wire::{ChatRequest, Tokens};
use super::config::ProviderConfig;

/// Words the simulated models answer with (one token each).
const WORDS: &[&str] = &[
    "the", "gateway", "routes", "each", "request", "to", "a", "provider", "and", "records",
    "tokens", "cost", "latency", "for", "every", "call", "while", "traces", "follow", "it",
];

/// Words per stream chunk.
pub(crate) const WORDS_PER_CHUNK: usize = 4;

/// What a call gets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plan {
    /// `429`.
    RateLimited,
    /// `500`.
    ServerError,
    /// An answer.
    Answer(Answer),
}

/// A planned answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    /// The whole call's token counts.
    pub(crate) tokens: Tokens,
    /// The visible words (`tokens.completion - tokens.reasoning` of them).
    pub(crate) words: Vec<&'static str>,
    /// For a stream: it hangs after this many content chunks.
    pub(crate) stall_after: Option<usize>,
}

impl Answer {
    /// The visible text.
    pub(crate) fn text(&self) -> String {
        self.words.join(" ")
    }

    /// Time to generate it, after the first token.
    pub(crate) fn generation_time(&self, config: &ProviderConfig) -> Duration {
        Duration::from_secs_f64(self.tokens.completion as f64 / config.tokens_per_second)
    }
}

/// Prompt tokens of a request: about four characters a token, plus four per message.
pub(crate) fn prompt_tokens(request: &ChatRequest) -> u64 {
    (request.text_len() as u64).div_ceil(4) + 4 * request.messages.len() as u64
}

/// The plan for `request` to `model`, the `attempt`-th time (from 0) this provider sees a request
/// hashing to `request_hash`.
pub(crate) fn plan(
    config: &ProviderConfig,
    model: &Model,
    seed: u64,
    request: &ChatRequest,
    request_hash: u64,
    attempt: u32,
) -> Plan {
    let mut rng = Rng::new(hash(
        seed,
        &[
            model.provider.name().as_bytes(),
            &request_hash.to_le_bytes(),
            &attempt.to_le_bytes(),
        ],
    ));
    let roll = super::super::rng::unit(rng.next_u64());
    if roll < config.rate_limit_rate {
        return Plan::RateLimited;
    }
    if roll < config.rate_limit_rate + config.error_rate {
        return Plan::ServerError;
    }
    let prompt = prompt_tokens(request);
    let limit = u64::from(request.max_tokens.unwrap_or(4096)).max(2);
    let completion = rng.between(16, 160).min(limit);
    let reasoning = ((completion as f64 * model.reasoning_share) as u64).min(completion - 1);
    let words = (0..completion - reasoning)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>();
    let chunks = words.len().div_ceil(WORDS_PER_CHUNK);
    let stall_after = (request.is_stream() && chunks >= 2 && rng.chance(config.stall_rate))
        .then(|| 1 + rng.below(chunks as u64 - 1) as usize);
    Plan::Answer(Answer {
        tokens: Tokens {
            prompt,
            cached: (prompt as f64 * config.cached_ratio) as u64,
            completion,
            reasoning,
        },
        words,
        stall_after,
    })
}

#[cfg(test)]
mod tests {
    use super::super::super::catalog::{Provider, find};
    use super::*;

    fn request(stream: bool) -> ChatRequest {
        serde_json::from_value(serde_json::json!({
            "model": "o4-mini",
            "messages": [{"role": "user", "content": "a question of some length"}],
            "stream": stream,
        }))
        .unwrap()
    }

    #[test]
    fn a_plan_depends_on_seed_request_and_attempt_only() {
        let config = ProviderConfig::default_for(Provider::OpenAi);
        let model = find("o4-mini").unwrap();
        let r = request(true);
        let a = plan(&config, model, 1, &r, 42, 0);
        assert_eq!(a, plan(&config, model, 1, &r, 42, 0));
        let differ = (0..50).any(|attempt| plan(&config, model, 1, &r, 42, attempt) != a);
        assert!(differ);
        let answers: Vec<Answer> = (0..400)
            .filter_map(|h| match plan(&config, model, 9, &r, h, 0) {
                Plan::Answer(a) => Some(a),
                _ => None,
            })
            .collect();
        assert!(answers.len() > 300, "{}", answers.len());
        for a in &answers {
            let t = a.tokens;
            assert_eq!(t.completion - t.reasoning, a.words.len() as u64);
            assert!(t.reasoning > 0 && t.cached <= t.prompt);
            if let Some(k) = a.stall_after {
                assert!(k >= 1 && k < a.words.len().div_ceil(WORDS_PER_CHUNK));
            }
        }
        assert!(answers.iter().any(|a| a.stall_after.is_some()));
        let unary: Vec<_> = (0..100)
            .map(|h| plan(&config, model, 9, &request(false), h, 0))
            .collect();
        assert!(
            unary
                .iter()
                .all(|p| !matches!(p, Plan::Answer(a) if a.stall_after.is_some()))
        );
    }
}
