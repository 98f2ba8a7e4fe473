//! A simulated LLM provider: an HTTP server of its own on a loopback port, speaking OpenAI's chat
//! completion API under its own base path (`POST /openai/v1/chat/completions`, streamed or not;
//! `GET /openai/v1/models`), behind obs'
//! HTTP layer, so the gateway's call to it is a real HTTP hop whose server span continues the
//! trace of the gateway's `#[llm_call]` span. What it does with each call follows its
//! [`ProviderConfig`] and the seed ([`plan`]); what it did goes to the ground truth.

pub(crate) mod config;
pub(crate) mod plan;
mod stream;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use obs_runtime::serve::{HttpLayer, ServeError, Server};
use serde_json::Value;

use super::activity::Activity;
use super::catalog::{self, Provider};
use super::rng::hash;
use super::truth::{CallOutcome, Truth};
use super::wire::{self, ChatRequest};
pub(crate) use config::ProviderConfig;
use plan::Plan;
use stream::{Account, UsageMode};

/// Requests remembered per provider (to tell a retry from a first try); forgotten past this.
const REMEMBERED: usize = 100_000;

/// One simulated provider.
#[derive(Debug)]
pub(crate) struct SimProvider {
    provider: Provider,
    config: ProviderConfig,
    seed: u64,
    /// How many times each request (by hash) was seen.
    seen: Mutex<HashMap<u64, u32>>,
    truth: Arc<Truth>,
    activity: Activity,
}

/// A running simulated provider.
#[derive(Debug)]
pub(crate) struct Running {
    /// Its server.
    pub(crate) server: Server,
    /// Its calls not yet accounted for.
    pub(crate) activity: Activity,
}

/// Starts `provider` on a free loopback port.
pub(crate) async fn start(
    provider: Provider,
    config: ProviderConfig,
    seed: u64,
    truth: Arc<Truth>,
) -> Result<Running, ServeError> {
    let activity = Activity::default();
    let sim = Arc::new(SimProvider {
        provider,
        config,
        seed,
        seen: Mutex::new(HashMap::new()),
        truth,
        activity: activity.clone(),
    });
    let base = format!("/{}/v1", provider.slug());
    let app = Router::new()
        .route(&format!("{base}/chat/completions"), post(chat))
        .route(&format!("{base}/models"), get(models))
        .with_state(sim)
        .layer(HttpLayer::new());
    let server = Server::bind("127.0.0.1:0", app).await?;
    Ok(Running { server, activity })
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn models(State(sim): State<Arc<SimProvider>>) -> Response {
    let owner = sim.provider.name();
    let list = wire::model_list(catalog::served_by(sim.provider).map(|m| (m.id, owner)));
    json_response(StatusCode::OK, &list)
}

async fn chat(State(sim): State<Arc<SimProvider>>, body: Bytes) -> Response {
    let open = sim.activity.open();
    let request: ChatRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let error = wire::error(&e.to_string(), "invalid_request_error", "invalid_json");
            return json_response(StatusCode::BAD_REQUEST, &error);
        }
    };
    let Some(model) = catalog::find(&request.model).filter(|m| m.provider == sim.provider) else {
        let message = format!("The model `{}` does not exist", request.model);
        let error = wire::error(&message, "invalid_request_error", "model_not_found");
        return json_response(StatusCode::NOT_FOUND, &error);
    };
    let request_hash = hash(sim.seed, &[&body]);
    let attempt = {
        let mut seen = sim.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= REMEMBERED {
            seen.clear();
        }
        let count = seen.entry(request_hash).or_default();
        *count += 1;
        *count - 1
    };
    let plan = plan::plan(
        &sim.config,
        model,
        sim.seed,
        &request,
        request_hash,
        attempt,
    );
    tokio::time::sleep(sim.config.latency).await;
    let id = format!("chatcmpl-{request_hash:016x}{attempt}");
    let answer = match plan {
        Plan::RateLimited => {
            sim.truth
                .provider_call(sim.provider, model.id, CallOutcome::RateLimited, None);
            let error = wire::error(
                "Rate limit reached; try again shortly",
                "requests",
                "rate_limit_exceeded",
            );
            return json_response(StatusCode::TOO_MANY_REQUESTS, &error);
        }
        Plan::ServerError => {
            sim.truth
                .provider_call(sim.provider, model.id, CallOutcome::ServerError, None);
            let error = wire::error("The server had an error", "server_error", "server_error");
            return json_response(StatusCode::INTERNAL_SERVER_ERROR, &error);
        }
        Plan::Answer(answer) => answer,
    };
    if request.is_stream() {
        let usage = UsageMode {
            include: request.include_usage(),
            continuous: request.continuous_usage(),
        };
        let account = Account {
            truth: Arc::clone(&sim.truth),
            provider: sim.provider,
            model: model.id,
            _open: open,
        };
        let body = stream::body(answer, &sim.config, usage, id, now_secs(), account);
        return Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::from_stream(body))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    tokio::time::sleep(sim.config.time_to_first_token + answer.generation_time(&sim.config)).await;
    let response = wire::completion(&id, model.id, now_secs(), &answer.text(), answer.tokens);
    sim.truth
        .provider_call(sim.provider, model.id, CallOutcome::Ok, Some(answer.tokens));
    json_response(StatusCode::OK, &response)
}
