//! The demo's own load: `--requests N` chat requests sent over real HTTP to the gateway by a few
//! concurrent clients: a mix of models (and an unknown one), streamed and not (some asking for
//! the usage chunk), repeated questions (cache hits), a client with tight rate limits, a few
//! requests without a valid key or with a broken body, and clients that give up on a stream that
//! stops moving. Midway an administrator reroutes a model and later puts it back; someone without
//! the key tries too. What each client got goes to the ground truth.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use super::catalog::MODELS;
use super::clients::{ADMIN_KEY_HEADER, AdminKey};
use super::rng::{Rng, hash};
use super::sse::{Decoder, Event};
use super::truth::Truth;
use super::upstream::{HttpClient, http_client};
use super::wire;

/// How long a streaming client waits for the next chunk before it gives up and disconnects.
pub(crate) const CLIENT_IDLE_TIMEOUT: Duration = Duration::from_millis(300);

/// What to send.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadPlan {
    /// The seed of every choice.
    pub(crate) seed: u64,
    /// Chat requests to send.
    pub(crate) requests: u64,
    /// Clients sending at once.
    pub(crate) concurrency: usize,
}

/// One planned chat request.
#[derive(Debug, Clone)]
struct Planned {
    key: &'static str,
    body: Bytes,
    stream: bool,
}

/// Questions asked more than once (each of one model, so repeats hit the cache).
const FAQ: &[&str] = &[
    "What is a token?",
    "How do I rotate an API key?",
    "Summarise our refund policy.",
    "Which regions do you serve?",
];

const TOPICS: &[&str] = &[
    "billing", "latency", "caching", "retries", "tracing", "pricing", "quotas", "routing",
];

fn planned(seed: u64, i: u64) -> Planned {
    let mut rng = Rng::new(hash(seed, &[b"load", &i.to_le_bytes()]));
    let key = match rng.below(100) {
        0 => "sk-demo-nobody",
        1..=14 => "sk-demo-burst",
        n if n % 2 == 0 => "sk-demo-alice",
        _ => "sk-demo-bob",
    };
    if rng.below(100) == 0 {
        return Planned {
            key,
            body: Bytes::from_static(b"{\"model\": \"gpt-4o\", \"messages\": "),
            stream: false,
        };
    }
    let stream = rng.chance(0.5);
    let faq = !stream && rng.chance(0.25);
    let (model, question) = if faq {
        let faq = rng.below(FAQ.len() as u64) as usize;
        (MODELS[faq % MODELS.len()].id, FAQ[faq].to_owned())
    } else if rng.below(50) == 0 {
        ("gpt-5-turbo-preview", "Hello?".to_owned())
    } else {
        let model = MODELS[rng.below(MODELS.len() as u64) as usize].id;
        let topic = TOPICS[rng.below(TOPICS.len() as u64) as usize];
        // Some long documents, so a tight token budget refuses some.
        let repeat = if rng.chance(0.1) {
            120
        } else {
            1 + rng.below(6)
        };
        let context = format!("Notes on {topic}, part {i}. ").repeat(repeat as usize);
        (model, format!("{context}What should I know about {topic}?"))
    };
    let mut request = json!({
        "model": model,
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": question},
        ],
    });
    if !faq && rng.chance(0.3) {
        request["max_tokens"] = json!(48);
    }
    if !faq && rng.chance(0.5) {
        request["temperature"] = json!(0.2);
    }
    if stream {
        request["stream"] = json!(true);
        if rng.chance(0.7) {
            request["stream_options"] = json!({"include_usage": true});
        }
    }
    Planned {
        key,
        body: Bytes::from(request.to_string()),
        stream,
    }
}

/// The outcome a client reads from an error answer's code.
fn outcome_of(code: Option<&str>) -> &'static str {
    match code {
        Some("invalid_api_key") => "unauthorized",
        Some("invalid_request") => "bad_request",
        Some("model_not_found") => "unknown_model",
        Some("rate_limit_exceeded") => "rate_limited",
        Some("queue_full") => "queue_full",
        Some("circuit_open") => "circuit_open",
        Some("upstream_rate_limited") => "upstream_rate_limited",
        Some("upstream_error") => "upstream_error",
        _ => "unexpected",
    }
}

/// Sends `planned`; returns the outcome the client saw and whether it came from the cache.
async fn send(client: &HttpClient, gateway: SocketAddr, planned: &Planned) -> (&'static str, bool) {
    let request = Request::post(format!("http://{gateway}/v1/chat/completions"))
        .header(header::AUTHORIZATION, format!("Bearer {}", planned.key))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(planned.body.clone()));
    let Ok(request) = request else {
        return ("unexpected", false);
    };
    let Ok(response) = client.request(request).await else {
        return ("unexpected", false);
    };
    let status = response.status();
    let cached = response
        .headers()
        .get("x-cache")
        .is_some_and(|v| v.as_bytes() == b"hit");
    if status == StatusCode::OK && planned.stream {
        return (read_stream(response.into_body()).await, false);
    }
    let body = match response.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return ("unexpected", false),
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return ("unexpected", false);
    };
    if status == StatusCode::OK {
        let complete = body["choices"][0]["message"]["content"].is_string();
        (if complete { "ok" } else { "unexpected" }, cached)
    } else {
        (outcome_of(wire::error_code(&body)), false)
    }
}

/// Reads a stream to `[DONE]`, or gives up when no chunk comes for [`CLIENT_IDLE_TIMEOUT`]
/// (dropping the body closes the connection).
async fn read_stream(mut body: hyper::body::Incoming) -> &'static str {
    let mut decoder = Decoder::default();
    loop {
        while let Some(event) = decoder.next_event() {
            match event {
                Event::Done => return "ok",
                Event::Chunk(chunk) if wire::error_code(&chunk).is_some() => {
                    return outcome_of(wire::error_code(&chunk));
                }
                Event::Chunk(_) => {}
                Event::Malformed(_) => return "unexpected",
            }
        }
        match tokio::time::timeout(CLIENT_IDLE_TIMEOUT, body.frame()).await {
            Err(_idle) => return "client_disconnected",
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    decoder.push(data);
                }
            }
            Ok(_) => return "unexpected",
        }
    }
}

/// An admin routing change; whether it was applied.
async fn admin(client: &HttpClient, gateway: SocketAddr, key: &str, change: Value) -> bool {
    let request = Request::post(format!("http://{gateway}/admin/routes"))
        .header(ADMIN_KEY_HEADER, key)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(change.to_string())));
    let Ok(request) = request else { return false };
    match client.request(request).await {
        Ok(response) => {
            let applied = response.status() == StatusCode::OK;
            let _ = response.into_body().collect().await;
            applied
        }
        Err(_) => false,
    }
}

/// Runs the admin step planned at request `i` of `n`, if any: someone without the key at a
/// quarter, a reroute at half, putting it back at three quarters.
async fn admin_step(
    client: &HttpClient,
    gateway: SocketAddr,
    key: &AdminKey,
    i: u64,
    n: u64,
    truth: &Truth,
) {
    let reroute = json!({"model": "gpt-4o-mini", "target": "claude-haiku-4-5"});
    let (presented, change) = match i {
        _ if n < 4 => return,
        i if i == n / 4 => ("not-the-admin-key", reroute),
        i if i == n / 2 => (key.reveal(), reroute),
        i if i == 3 * n / 4 => (
            key.reveal(),
            json!({"model": "gpt-4o-mini", "target": null}),
        ),
        _ => return,
    };
    let applied = admin(client, gateway, presented, change).await;
    truth.admin_change(applied);
}

/// Sends the plan's requests to `gateway`; each client's outcome goes to `truth`.
pub(crate) async fn drive(
    gateway: SocketAddr,
    admin_key: AdminKey,
    plan: LoadPlan,
    truth: Arc<Truth>,
) {
    let next = Arc::new(AtomicU64::new(0));
    let client = http_client();
    let workers: Vec<_> = (0..plan.concurrency.max(1))
        .map(|_| {
            let (next, client, truth, admin_key) = (
                Arc::clone(&next),
                client.clone(),
                Arc::clone(&truth),
                admin_key.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= plan.requests {
                        break;
                    }
                    admin_step(&client, gateway, &admin_key, i, plan.requests, &truth).await;
                    let (outcome, cached) = send(&client, gateway, &planned(plan.seed, i)).await;
                    truth.client_request(outcome, cached);
                }
            })
        })
        .collect();
    for worker in workers {
        // A worker only ends by running out of requests.
        let _ = worker.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_fixed_by_the_seed_and_mixes_what_it_should() {
        let a: Vec<Bytes> = (0..50).map(|i| planned(3, i).body).collect();
        let b: Vec<Bytes> = (0..50).map(|i| planned(3, i).body).collect();
        assert_eq!(a, b);
        let all: Vec<Planned> = (0..2000).map(|i| planned(3, i)).collect();
        let share = |f: &dyn Fn(&Planned) -> bool| all.iter().filter(|p| f(p)).count();
        assert!(share(&|p| p.stream) > 700);
        assert!(share(&|p| p.key == "sk-demo-burst") > 150);
        assert!(share(&|p| p.key == "sk-demo-nobody") > 5);
        assert!(share(&|p| serde_json::from_slice::<Value>(&p.body).is_err()) > 5);
        let long = |p: &Planned| p.body.len() > 2400;
        let burst_long = share(&|p| p.key == "sk-demo-burst" && long(p));
        assert!(burst_long > 10, "{burst_long}");
        let bodies: std::collections::HashSet<&Bytes> = all.iter().map(|p| &p.body).collect();
        assert!(bodies.len() < all.len(), "some questions repeat");
        assert_eq!(outcome_of(Some("queue_full")), "queue_full");
        assert_eq!(outcome_of(None), "unexpected");
    }
}
