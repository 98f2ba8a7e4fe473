//! The demo as a newcomer meets it: its exposition passes promtool and the strict OpenMetrics
//! parser (with the gateway's families as state sets, counters and gauges, and route templates
//! as labels); `/health` reports each provider's scheduled check; `/v1/models` and
//! `/v1/chat/completions` answer in OpenAI's shapes (usage with cached and reasoning tokens; a
//! stream of `data:` events ending in `[DONE]`, with the usage chunk only when asked for); the
//! admin route refuses a wrong key and reroutes a model with the right one.

mod common;

use common::Demo;
use obs_tests::{HttpResponse, family, http_get, http_request, openmetrics_parse, promtool_check};
use serde_json::{Value, json};

const ADMIN_KEY: &str = "test-admin-key";

fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &Value) -> HttpResponse {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    http_request("POST", addr, path, &all, body.to_string().as_bytes()).unwrap()
}

fn chat(addr: &str, body: Value) -> HttpResponse {
    post(
        addr,
        "/v1/chat/completions",
        &[("Authorization", "Bearer sk-demo-alice")],
        &body,
    )
}

/// The JSON payloads of a server-sent event stream, `[DONE]` as a string.
fn events(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap_or_else(|_| Value::String(d.to_owned())))
        .collect()
}

#[test]
fn the_demo_speaks_openai_serves_valid_metrics_and_health_and_takes_admin_changes() {
    let quiet = "error_rate=0,rate_limit_rate=0,stall_rate=0";
    let (a, b, c) = (
        format!("openai:{quiet}"),
        format!("anthropic:{quiet}"),
        format!("gcp.gemini:{quiet}"),
    );
    let args = [
        "--requests",
        "60",
        "--linger-secs",
        "60",
        "--provider",
        &a,
        "--provider",
        &b,
        "--provider",
        &c,
    ];
    let mut demo = Demo::start_with_env("demo", &args, &[("OBS_GATEWAY_ADMIN_KEY", ADMIN_KEY)]);
    demo.line_starting("still serving");
    let addr = demo.gateway.clone();

    // Every request first, while the demo is sure to be up; the validators run afterwards.
    let models = http_get(&addr, "/v1/models", &[]).unwrap();
    let unary = chat(
        &addr,
        json!({"model": "o4-mini", "messages": [{"role": "user", "content": "Why is the sky blue? Explain briefly."}]}),
    );
    let streamed = |include_usage: bool| {
        let mut body = json!({"model": "claude-haiku-4-5", "stream": true,
            "messages": [{"role": "user", "content": "Count to ten."}]});
        if include_usage {
            body["stream_options"] = json!({"include_usage": true});
        }
        chat(&addr, body)
    };
    let (with_usage, without_usage) = (streamed(true), streamed(false));
    let no_key = post(
        &addr,
        "/v1/chat/completions",
        &[],
        &json!({"model": "gpt-4o", "messages": []}),
    );
    let reroute = json!({"model": "gpt-4o-mini", "target": "gemini-2.5-pro"});
    let refused = post(
        &addr,
        "/admin/routes",
        &[("x-admin-key", "guess")],
        &reroute,
    );
    let applied = post(
        &addr,
        "/admin/routes",
        &[("x-admin-key", ADMIN_KEY)],
        &reroute,
    );
    let rerouted = chat(
        &addr,
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}),
    );
    let reset = json!({"model": "gpt-4o-mini", "target": null});
    let back = post(
        &addr,
        "/admin/routes",
        &[("x-admin-key", ADMIN_KEY)],
        &reset,
    );
    let health = http_get(&addr, "/health", &[]).unwrap();
    let text = http_get(&addr, "/metrics", &[("Accept", "text/plain;version=0.0.4")]).unwrap();
    let om = http_get(
        &addr,
        "/metrics",
        &[("Accept", "application/openmetrics-text;version=1.0.0")],
    )
    .unwrap();

    // `GET /v1/models`: every model, with its provider.
    let models: Value = serde_json::from_slice(&models.body).unwrap();
    assert_eq!(models["object"], "list");
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"gpt-4o")
            && ids.contains(&"claude-sonnet-4-6")
            && ids.contains(&"gemini-2.5-pro"),
        "{ids:?}"
    );

    // A whole completion, in OpenAI's shape, with cached and reasoning tokens.
    assert_eq!(unary.status, 200, "{}", unary.text());
    let unary: Value = serde_json::from_slice(&unary.body).unwrap();
    assert_eq!(unary["object"], "chat.completion");
    assert_eq!(unary["model"], "o4-mini");
    assert!(
        unary["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .len()
            > 1
    );
    let usage = &unary["usage"];
    let n = |v: &Value| v.as_u64().unwrap();
    assert!(
        n(&usage["prompt_tokens_details"]["cached_tokens"]) > 0,
        "{usage}"
    );
    assert!(
        n(&usage["completion_tokens_details"]["reasoning_tokens"]) > 0,
        "{usage}"
    );
    assert_eq!(
        n(&usage["total_tokens"]),
        n(&usage["prompt_tokens"]) + n(&usage["completion_tokens"])
    );

    // A stream: chunks, the usage chunk (no choices) last when asked for, then `[DONE]`.
    for (response, include_usage) in [(&with_usage, true), (&without_usage, false)] {
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("text/event-stream"));
        let events = events(&response.text());
        assert_eq!(events.last().unwrap(), "[DONE]", "{events:?}");
        let chunks = &events[..events.len() - 1];
        assert!(
            chunks
                .iter()
                .all(|c| c["object"] == "chat.completion.chunk")
        );
        let text: String = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert!(text.split(' ').count() > 3, "{text:?}");
        let usages: Vec<&Value> = chunks.iter().filter(|c| !c["usage"].is_null()).collect();
        if include_usage {
            assert_eq!(usages.len(), 1, "{chunks:?}");
            let last = chunks.last().unwrap();
            assert_eq!(last["choices"], json!([]));
            assert!(n(&last["usage"]["completion_tokens"]) > 0);
            assert!(
                chunks[..chunks.len() - 1]
                    .iter()
                    .all(|c| c["usage"].is_null() && c.get("usage").is_some())
            );
        } else {
            assert!(
                usages.is_empty() && chunks.iter().all(|c| c.get("usage").is_none()),
                "{chunks:?}"
            );
        }
    }

    // No key, a wrong admin key, then a reroute that takes effect, and back.
    assert_eq!(no_key.status, 401);
    let error: Value = serde_json::from_slice(&no_key.body).unwrap();
    assert_eq!(error["error"]["code"], "invalid_api_key");
    assert_eq!(refused.status, 401, "{}", refused.text());
    assert_eq!(applied.status, 200, "{}", applied.text());
    let rerouted: Value = serde_json::from_slice(&rerouted.body).unwrap();
    assert_eq!(rerouted["model"], "gemini-2.5-pro");
    assert_eq!(back.status, 200);
    let back: Value = serde_json::from_slice(&back.body).unwrap();
    assert_eq!(
        (&back["previous"], &back["target"]),
        (&json!("gemini-2.5-pro"), &json!("gpt-4o-mini"))
    );

    // `/health`: the aggregate and each provider's scheduled check.
    assert_eq!(health.status, 200, "{}", health.text());
    let health: Value = serde_json::from_slice(&health.body).unwrap();
    assert_eq!(health["status"], "healthy", "{health}");
    let checks = health["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["openai", "anthropic", "gcp.gemini"], "{health}");
    assert!(checks.iter().all(|c| c["status"] == "healthy"), "{health}");

    // The exposition: promtool and the strict OpenMetrics parser accept it.
    let text = text.text();
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let om = om.text();
    let families = openmetrics_parse(&om).unwrap_or_else(|e| panic!("{e}\n{om}"));
    // The breaker: one series per provider and state, exactly one state set per provider.
    let breaker = family(&families, "llm_gateway_circuit_breaker_state");
    for provider in ["openai", "anthropic", "gcp.gemini"] {
        let states: Vec<f64> = ["closed", "open", "half_open"]
            .iter()
            .map(|s| {
                breaker
                    .value(
                        "llm_gateway_circuit_breaker_state",
                        &[("provider", provider), ("state", s)],
                    )
                    .unwrap()
            })
            .collect();
        assert_eq!(states.iter().sum::<f64>(), 1.0, "{provider}: {states:?}");
    }
    let health_states = family(&families, "obs_health_check_state");
    for check in ["openai", "anthropic", "gcp.gemini"] {
        let healthy = health_states.value(
            "obs_health_check_state",
            &[("check", check), ("state", "healthy")],
        );
        assert_eq!(healthy, Some(1.0), "{check}");
    }
    for name in [
        "llm_gateway_requests",
        "llm_gateway_cache_lookups",
        "llm_gateway_queue_depth",
        "llm_gateway_upstream_in_flight",
        "llm_gateway_tokens",
        "gen_ai_client_operation_duration_seconds",
        "obs_llm_cost_usd",
    ] {
        family(&families, name);
    }
    // Route templates, never raw paths: the gateway's routes and each provider's.
    let duration = family(&families, "http_server_request_duration_seconds");
    let routes: std::collections::BTreeSet<&str> = duration
        .samples
        .iter()
        .filter_map(|s| s.labels.get("http_route"))
        .map(String::as_str)
        .collect();
    for route in [
        "/v1/chat/completions",
        "/admin/routes",
        "/openai/v1/chat/completions",
        "/anthropic/v1/models",
        "/gemini/v1/chat/completions",
    ] {
        assert!(routes.contains(route), "{route} not in {routes:?}");
    }
}
