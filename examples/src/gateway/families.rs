//! What the gateway records itself, with `metrics!`: the families a production gateway has
//! beside the ones obs records for it (`#[llm_call]`'s GenAI families, the HTTP layer's
//! `http_server_*`, the health checks' state sets). Every label is a fixed enum.

use obs_runtime::{LabelValue, metrics};

use super::catalog::Provider;

/// How a chat completion request ended, as the gateway answered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, LabelValue)]
pub(crate) enum RequestOutcome {
    /// Answered (by a provider, or from the cache).
    Ok,
    /// No valid API key.
    Unauthorized,
    /// The body is not a chat completion request.
    BadRequest,
    /// No route for the model.
    UnknownModel,
    /// Refused by the gateway's rate limiter.
    RateLimited,
    /// The upstream queue was full.
    QueueFull,
    /// The provider's circuit breaker is open.
    CircuitOpen,
    /// The provider kept answering `429`.
    UpstreamRateLimited,
    /// The provider kept failing.
    UpstreamError,
    /// The client went away before the stream ended.
    ClientDisconnected,
}

/// Whether the client asked for a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, LabelValue)]
pub(crate) enum Mode {
    /// One JSON answer.
    Unary,
    /// Server-sent events.
    Stream,
}

/// Which try of a provider call a retry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, LabelValue)]
pub(crate) enum Attempt {
    /// The first retry.
    Second,
    /// The last.
    Third,
}

/// Which limit refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, LabelValue)]
pub(crate) enum LimitType {
    /// Requests per second of one API key.
    Requests,
    /// Estimated prompt tokens per second of one API key.
    Tokens,
}

/// A cache lookup's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, LabelValue)]
pub(crate) enum CacheResult {
    /// Answered from the cache.
    Hit,
    /// Sent upstream.
    Miss,
}

/// A circuit breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, LabelValue)]
pub(crate) enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused until the cool-down ends.
    Open,
    /// One trial call goes through; its result closes or reopens the breaker.
    HalfOpen,
}

impl BreakerState {
    /// Every state.
    pub(crate) const ALL: [BreakerState; 3] = [Self::Closed, Self::Open, Self::HalfOpen];
}

/// A kind of token, as the gateway accounts usage (`gen_ai.usage.*` terms: `input` includes
/// `cache_read`, `output` includes `reasoning`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, LabelValue)]
pub(crate) enum TokenType {
    /// All input.
    Input,
    /// Input read from the provider's prompt cache.
    CacheRead,
    /// All output.
    Output,
    /// Output spent reasoning.
    Reasoning,
}

metrics! {
    /// The gateway's own families.
    pub(crate) GATEWAY in "llm_gateway" {
        /// Chat completion requests, by how they ended and whether they streamed.
        requests_total: Counter { outcome: RequestOutcome, mode: Mode },
        /// Provider calls retried, by provider and which try the retry is.
        retries_total: Counter { provider: Provider, attempt: Attempt },
        /// Requests refused by the gateway's rate limiter, by the limit that refused them.
        rate_limit_refusals_total: Counter { limit: LimitType },
        /// Response cache lookups of non-streaming requests, by result.
        cache_lookups_total: Counter { result: CacheResult },
        /// Responses held in the cache.
        cache_entries: Gauge,
        /// Requests waiting for an upstream slot.
        queue_depth: Gauge,
        /// Requests holding an upstream slot.
        upstream_in_flight: Gauge,
        /// Circuit breaker state by provider: 1 for the current state, 0 for the others (a state set).
        circuit_breaker_state: Gauge { provider: Provider, state: BreakerState },
        /// Tokens the providers reported for the gateway's requests, by provider and type.
        tokens_total: Counter { provider: Provider, token_type: TokenType },
    }
}
