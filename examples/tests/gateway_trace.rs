//! Through a real OpenTelemetry collector (Rotel): every request the demo drives is one trace,
//! in which the gateway's server span is the root, each `#[llm_call]` client span (one per try)
//! is its child, and the simulated provider's server span, across the real HTTP hop, is that
//! client span's child: the same trace id and the right parents all the way down. The audit
//! events of rate-limit refusals carry the trace id of the request refused.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Demo, EVENTFUL};
use obs_tests::collector::{Collector, ExportedSpan};

fn route(span: &ExportedSpan) -> &str {
    span.attr_str("http.route").unwrap_or("")
}

fn is_gateway_chat(span: &ExportedSpan) -> bool {
    span.kind == ExportedSpan::KIND_SERVER && route(span) == "/v1/chat/completions"
}

fn is_llm_call(span: &ExportedSpan) -> bool {
    span.kind == ExportedSpan::KIND_CLIENT && span.attr_str("gen_ai.operation.name") == Some("chat")
}

fn is_provider_chat(span: &ExportedSpan) -> bool {
    span.kind == ExportedSpan::KIND_SERVER
        && ["/openai", "/anthropic", "/gemini"]
            .iter()
            .any(|p| route(span) == format!("{p}/v1/chat/completions"))
}

#[test]
fn each_request_is_one_trace_from_the_gateway_through_the_llm_call_to_the_provider() {
    let collector = Collector::start();
    let endpoint = collector.grpc_endpoint();
    let mut args = vec!["--requests", "40", "--otlp-endpoint", &endpoint];
    args.extend_from_slice(EVENTFUL);
    let mut demo = Demo::start("trace", &args);
    demo.finish();
    let truth = demo.truth();
    let requests: u64 = truth.requests.values().sum();
    let calls: u64 = truth.provider_calls.values().sum();
    assert_eq!(requests, 40);
    assert!(calls > 20, "{truth:#?}");

    let count = |spans: &[ExportedSpan], f: fn(&ExportedSpan) -> bool| {
        spans.iter().filter(|s| f(s)).count() as u64
    };
    let spans = collector.wait_for_spans(
        |s| {
            count(s, is_gateway_chat) >= requests
                && count(s, is_llm_call) >= calls
                && count(s, is_provider_chat) >= calls
        },
        Duration::from_secs(30),
    );
    for span in &spans {
        span.validate_ids().unwrap();
    }
    let by_id: BTreeMap<&str, &ExportedSpan> =
        spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    let parent = |span: &ExportedSpan| by_id.get(span.parent_span_id.as_str()).copied();

    // One trace per request, rooted at the gateway's server span.
    let gateway: Vec<&ExportedSpan> = spans.iter().filter(|s| is_gateway_chat(s)).collect();
    assert_eq!(gateway.len() as u64, requests);
    let traces: BTreeSet<&str> = gateway.iter().map(|s| s.trace_id.as_str()).collect();
    assert_eq!(traces.len() as u64, requests, "one trace per request");
    assert!(gateway.iter().all(|s| s.is_root()));
    assert!(
        gateway
            .iter()
            .all(|s| s.service_name() == Some("llm-gateway-demo"))
    );

    // Each provider call: a client span whose parent is the gateway's server span.
    let llm: Vec<&ExportedSpan> = spans.iter().filter(|s| is_llm_call(s)).collect();
    assert_eq!(llm.len() as u64, calls);
    for span in &llm {
        let up = parent(span).unwrap_or_else(|| panic!("no parent for {span:#?}"));
        assert!(is_gateway_chat(up), "{span:#?}\nhas parent {up:#?}");
        assert_eq!(span.trace_id, up.trace_id);
        assert!(span.name.starts_with("chat "), "{}", span.name);
        assert!(span.attr_str("gen_ai.provider.name").is_some());
    }

    // Each provider's server span: the child of the client span that called it, across HTTP.
    let provider: Vec<&ExportedSpan> = spans.iter().filter(|s| is_provider_chat(s)).collect();
    assert_eq!(provider.len() as u64, calls);
    let mut children: BTreeMap<&str, usize> = BTreeMap::new();
    for span in &provider {
        let up = parent(span).unwrap_or_else(|| panic!("no parent for {span:#?}"));
        assert!(is_llm_call(up), "{span:#?}\nhas parent {up:#?}");
        assert_eq!(span.trace_id, up.trace_id);
        // The provider the client span called is the one that answered.
        let slug = match up.attr_str("gen_ai.provider.name") {
            Some("gcp.gemini") => "gemini",
            Some(other) => other,
            None => panic!("{up:#?}"),
        };
        assert!(
            route(span).starts_with(&format!("/{slug}/")),
            "{} vs {slug}",
            route(span)
        );
        *children.entry(up.span_id.as_str()).or_default() += 1;
    }
    assert!(children.values().all(|n| *n == 1) && children.len() == llm.len());

    // The audit events of requests (rate-limit refusals) carry their request's trace id.
    let audit = demo.dir.join("audit");
    let mut refusals = 0;
    for entry in std::fs::read_dir(&audit).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            if record["action"] == "rate_limit.refuse" {
                refusals += 1;
                let trace = record["trace_id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{record}"));
                assert!(traces.contains(trace), "{record}");
            }
        }
    }
    assert_eq!(
        refusals,
        truth.requests.get("rate_limited").copied().unwrap_or(0)
    );
}
