//! The gateway's HTTP server: `POST /v1/chat/completions` (OpenAI's API, streamed or not),
//! `GET /v1/models`, the admin route, and obs' `/metrics` and `/health` routes, all behind obs'
//! HTTP layer.
//!
//! A chat request goes: API key → body → route (`#[observed]`) → rate limiter (a refusal is
//! audited) → response cache (non-streaming) → upstream queue → the provider, through its
//! circuit breaker, with retries (`#[llm_call]`) → the answer, or a stream relayed chunk by chunk.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use obs_runtime::health::Health;
use obs_runtime::serve::HttpLayer;
use obs_runtime::{LabelValue as _, Registry, audited};
use serde_json::Value;

use super::activity::{Activity, Open};
use super::admin;
use super::attempts::{Failure, with_retries};
use super::breaker::Breaker;
use super::cache::ResponseCache;
use super::catalog::{self, Model, Provider};
use super::clients::{self, AdminKey};
use super::families::{GATEWAY, LimitType, Mode, RequestOutcome, TokenType};
use super::limiter::Limiter;
use super::queue::UpstreamQueue;
use super::relay::{self, Held};
use super::routing::{Routes, route};
use super::upstream::{Call, Upstream, UpstreamError};
use super::wire::{self, ChatRequest, StreamOptions, Tokens};

/// How the gateway is set up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Requests holding an upstream slot at once.
    pub(crate) upstream_slots: usize,
    /// Requests waiting for one.
    pub(crate) queue_places: usize,
    /// Responses kept in the cache.
    pub(crate) cache_entries: usize,
    /// Failures in a row that open a provider's breaker.
    pub(crate) breaker_threshold: u32,
    /// How long an open breaker refuses.
    pub(crate) breaker_cool_down: Duration,
    /// Wait before a retry (times the try's index).
    pub(crate) retry_backoff: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            upstream_slots: 6,
            queue_places: 64,
            cache_entries: 256,
            breaker_threshold: 3,
            breaker_cool_down: Duration::from_millis(250),
            retry_backoff: Duration::from_millis(5),
        }
    }
}

/// The gateway's state.
#[derive(Debug)]
pub(crate) struct Gateway {
    pub(crate) routes: Routes,
    pub(crate) upstream: Arc<Upstream>,
    breakers: [Breaker; 3],
    limiter: Limiter,
    cache: ResponseCache,
    queue: UpstreamQueue,
    pub(crate) admin_key: AdminKey,
    retry_backoff: Duration,
    /// Requests not yet accounted for.
    pub(crate) activity: Activity,
}

impl Gateway {
    /// A gateway calling the providers through `upstream`.
    pub(crate) fn new(upstream: Upstream, admin_key: AdminKey, settings: Settings) -> Self {
        let breaker = |p| Breaker::new(p, settings.breaker_threshold, settings.breaker_cool_down);
        Self {
            routes: Routes::default(),
            upstream: Arc::new(upstream),
            breakers: Provider::ALL.map(breaker),
            limiter: Limiter::new(clients::CLIENTS.iter().map(|c| (c.id.to_owned(), c.limits))),
            cache: ResponseCache::new(settings.cache_entries),
            queue: UpstreamQueue::new(settings.upstream_slots, settings.queue_places),
            admin_key,
            retry_backoff: settings.retry_backoff,
            activity: Activity::default(),
        }
    }

    fn breaker(&self, provider: Provider) -> &Breaker {
        &self.breakers[provider as usize]
    }
}

/// The gateway's routes, with obs' `/metrics` and `/health` routes, behind obs' HTTP layer.
pub(crate) fn router(gateway: Arc<Gateway>, health: Arc<Health>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route("/admin/routes", post(admin::update))
        .with_state(gateway)
        .merge(obs_runtime::serve::router(Registry::global(), health))
        .layer(HttpLayer::new())
}

/// Counts a request's outcome.
pub(crate) fn finish(outcome: RequestOutcome, mode: Mode) {
    GATEWAY.requests_total.with((outcome, mode)).inc();
}

/// Counts the tokens a provider reported for a request.
pub(crate) fn account_tokens(provider: Provider, tokens: Tokens) {
    for (kind, n) in [
        (TokenType::Input, tokens.prompt),
        (TokenType::CacheRead, tokens.cached),
        (TokenType::Output, tokens.completion),
        (TokenType::Reasoning, tokens.reasoning),
    ] {
        GATEWAY.tokens_total.with((provider, kind)).add(n);
    }
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// An error answer, counted under `outcome`.
fn refuse(
    outcome: RequestOutcome,
    mode: Mode,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response {
    finish(outcome, mode);
    let kind = if status.is_server_error() {
        "server_error"
    } else {
        "invalid_request_error"
    };
    json(status, &wire::error(message, kind, code))
}

/// A request refused by the rate limiter: counted, audited (buffered: a flood of refusals must not
/// wait on the disk), answered `429`.
#[audited(
    action = "rate_limit.refuse",
    actor = client,
    actor_type = "api_key",
    resource(type = "rate_limit", id = limit.as_str()),
    fields(model),
    mode = "buffered",
    name = "gateway.rate_limit.refuse"
)]
pub(crate) fn refuse_rate_limited(
    client: &str,
    limit: LimitType,
    model: &str,
    mode: Mode,
) -> Response {
    GATEWAY.rate_limit_refusals_total.with(limit).inc();
    let message = format!("Rate limit reached for {} per second", limit.as_str());
    refuse(
        RequestOutcome::RateLimited,
        mode,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limit_exceeded",
        &message,
    )
}

async fn models() -> Response {
    let list = wire::model_list(catalog::MODELS.iter().map(|m| (m.id, m.provider.name())));
    json(StatusCode::OK, &list)
}

/// Prompt tokens of a request as the gateway estimates them for its limiter (about four
/// characters a token).
fn estimate_tokens(request: &ChatRequest) -> u64 {
    (request.text_len() as u64).div_ceil(4)
}

async fn chat(State(gw): State<Arc<Gateway>>, headers: HeaderMap, body: Bytes) -> Response {
    let open = gw.activity.open();
    let Some(client) = clients::client_of(&headers) else {
        return refuse(
            RequestOutcome::Unauthorized,
            Mode::Unary,
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "Missing or unknown API key (Authorization: Bearer ...)",
        );
    };
    let request: ChatRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let message = format!("Not a chat completion request: {e}");
            return refuse(
                RequestOutcome::BadRequest,
                Mode::Unary,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &message,
            );
        }
    };
    let mode = if request.is_stream() {
        Mode::Stream
    } else {
        Mode::Unary
    };
    let Ok(model) = route(&gw.routes, &request.model) else {
        let message = format!("The model `{}` does not exist", request.model);
        return refuse(
            RequestOutcome::UnknownModel,
            mode,
            StatusCode::NOT_FOUND,
            "model_not_found",
            &message,
        );
    };
    if let Err(limit) = gw.limiter.check(client.id, estimate_tokens(&request)) {
        return refuse_rate_limited(client.id, limit, &request.model, mode);
    }
    let cache_key = (mode == Mode::Unary).then(|| ResponseCache::key(&request));
    if let Some(hit) = cache_key.and_then(|key| gw.cache.get(key)) {
        finish(RequestOutcome::Ok, mode);
        let mut response = json_bytes(hit);
        response
            .headers_mut()
            .insert("x-cache", HeaderValue::from_static("hit"));
        return response;
    }
    let Ok(slot) = gw.queue.enter().await else {
        return refuse(
            RequestOutcome::QueueFull,
            mode,
            StatusCode::SERVICE_UNAVAILABLE,
            "queue_full",
            "The gateway is at capacity; try again shortly",
        );
    };
    let call = upstream_call(&request, model);
    let held = Held { slot, open };
    match cache_key {
        Some(key) => unary(&gw, model, call, key, held).await,
        None => streamed(&gw, model, call, request.include_usage(), held).await,
    }
}

/// The provider call for `request`, served by `model`: a stream asks for the usage on every
/// chunk, so a stream cut short still tells what it cost.
fn upstream_call(request: &ChatRequest, model: &'static Model) -> Call {
    let upstream = ChatRequest {
        model: model.id.to_owned(),
        stream_options: request.is_stream().then_some(StreamOptions {
            include_usage: Some(true),
            continuous_usage_stats: Some(true),
        }),
        ..request.clone()
    };
    Call {
        model: model.id,
        body: Bytes::from(serde_json::to_vec(&upstream).unwrap_or_default()),
        temperature: request.temperature,
        max_tokens: request.max_tokens,
    }
}

fn json_bytes(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The answer when every try failed.
fn failed(failure: Failure, mode: Mode) -> Response {
    match failure {
        Failure::CircuitOpen => refuse(
            RequestOutcome::CircuitOpen,
            mode,
            StatusCode::SERVICE_UNAVAILABLE,
            "circuit_open",
            "The provider is failing; its circuit breaker is open",
        ),
        Failure::Upstream(UpstreamError::RateLimited) => refuse(
            RequestOutcome::UpstreamRateLimited,
            mode,
            StatusCode::TOO_MANY_REQUESTS,
            "upstream_rate_limited",
            "The provider is rate limiting; try again shortly",
        ),
        Failure::Upstream(e) => refuse(
            RequestOutcome::UpstreamError,
            mode,
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            &e.to_string(),
        ),
    }
}

async fn unary(gw: &Gateway, model: &'static Model, call: Call, key: u64, held: Held) -> Response {
    let provider = model.provider;
    let answer = with_retries(gw.breaker(provider), provider, gw.retry_backoff, || {
        gw.upstream.call(provider, &call)
    })
    .await;
    drop(held.slot);
    let answer = match answer {
        Ok(answer) => answer,
        Err(failure) => return failed(failure, Mode::Unary),
    };
    if let Some(tokens) = Tokens::read(&answer) {
        account_tokens(provider, tokens);
    }
    let body = Bytes::from(answer.to_string());
    gw.cache.put(key, body.clone());
    finish(RequestOutcome::Ok, Mode::Unary);
    let _accounted: Open = held.open;
    json_bytes(body)
}

async fn streamed(
    gw: &Gateway,
    model: &'static Model,
    call: Call,
    include_usage: bool,
    held: Held,
) -> Response {
    let provider = model.provider;
    let opened = with_retries(gw.breaker(provider), provider, gw.retry_backoff, || {
        let mut stream = gw.upstream.call_stream(provider, call.clone());
        async move {
            match stream.next().await {
                Some(Ok(first)) => Ok((first, stream)),
                Some(Err(e)) => Err(e),
                None => Err(UpstreamError::BadResponse),
            }
        }
    })
    .await;
    let (first, stream) = match opened {
        Ok(opened) => opened,
        Err(failure) => return failed(failure, Mode::Stream),
    };
    let body = relay::body(provider, first, stream, include_usage, held);
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
