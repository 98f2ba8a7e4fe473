//! The demo's report, read back from its own metrics, equals the simulation's ground truth
//! exactly (cost to within float rounding): requests by outcome as the clients saw them, cache
//! hits, provider calls by outcome as the providers saw them (disconnected streams included),
//! tokens by type (the gateway's own accounting and `gen_ai_client_token_usage`), cost.

mod common;

use common::{Demo, EVENTFUL, same_cost};

const REQUESTS: u64 = 160;

#[test]
fn the_report_equals_the_ground_truth() {
    let mut args = vec!["--requests", "160", "--seed", "7"];
    args.extend_from_slice(EVENTFUL);
    let mut demo = Demo::start("report", &args);
    let output = demo.finish();
    let (truth, report) = (demo.truth(), demo.report());

    // Every request was answered and counted once, as its client saw it.
    assert_eq!(truth.requests.values().sum::<u64>(), REQUESTS, "{truth:#?}");
    assert_eq!(report.requests, truth.requests);
    assert_eq!(report.cache_hits, truth.cache_hits);
    let refusals: u64 = report.rate_limit_refusals.values().sum();
    assert_eq!(Some(&refusals), truth.requests.get("rate_limited"));
    // Every provider call, as the provider saw it (a stream whose client gave up included).
    assert_eq!(report.provider_calls, truth.provider_calls);
    // Tokens by type and by provider: the gateway's accounting and #[llm_call]'s families.
    assert_eq!(report.tokens, truth.tokens);
    assert_eq!(report.tokens_by_provider, truth.tokens_by_provider);
    assert_eq!(report.genai_tokens.input, truth.tokens.input);
    assert_eq!(report.genai_tokens.output, truth.tokens.output);
    assert!(
        same_cost(report.cost_usd, truth.cost_usd),
        "{} != {}",
        report.cost_usd,
        truth.cost_usd
    );

    // The run met what the demo is about (so the equalities above are not vacuous).
    let requests = |k: &str| truth.requests.get(k).copied().unwrap_or(0);
    let calls = |k: &str| truth.provider_calls.get(k).copied().unwrap_or(0);
    assert!(requests("ok") > REQUESTS / 2, "{truth:#?}");
    assert!(requests("client_disconnected") > 0, "{truth:#?}");
    // Each stream a client gave up on is one provider stream cut short.
    assert_eq!(requests("client_disconnected"), calls("disconnected"));
    assert!(
        requests("rate_limited") > 0 && requests("unknown_model") > 0,
        "{truth:#?}"
    );
    assert!(
        calls("rate_limited") + calls("server_error") > 0,
        "{truth:#?}"
    );
    assert!(truth.cache_hits > 0, "{truth:#?}");
    let t = truth.tokens;
    assert!(
        t.cache_read > 0 && t.reasoning > 0 && t.cache_read < t.input && t.reasoning < t.output
    );
    assert!(
        report.latency_seconds.p50.is_some() && report.time_to_first_chunk_seconds.p95.is_some()
    );
    assert!(report.latency_seconds.p50 <= report.latency_seconds.p95);
    assert_eq!(truth.admin_changes.get("applied"), Some(&2));
    assert_eq!(truth.admin_changes.get("refused"), Some(&1));

    // The printed report shows the same figures.
    let tokens = format!(
        "tokens:   input {} (cache read {}), output {} (reasoning {})",
        t.input, t.cache_read, t.output, t.reasoning
    );
    assert!(output.contains(&tokens), "{output}");
    assert!(
        output.contains(&format!("cost:     ${:.6}", truth.cost_usd)),
        "{output}"
    );
}
