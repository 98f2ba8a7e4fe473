//! `#[llm_call]` through the real collector (Rotel, installed by `scripts/install-validators.sh`):
//! the GenAI span arrives with its convention name, kind and attributes, and the four GenAI
//! client metrics under their dotted names, units and attribute keys.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use obs_runtime::export::{OtlpConfig, Protocol, start_metrics_export, traces_layer};
use obs_runtime::llm::{OpenAiJson, llm_families};
use obs_runtime::{Registry, llm_call};
use obs_tests::collector::{Collector, ExportedSpan, MetricType};
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt;

const WAIT: Duration = Duration::from_secs(15);

#[derive(Debug)]
struct ProviderError;

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("provider refused")
    }
}

#[llm_call(provider = "openai", model = model, usage = OpenAiJson, server_address = "api.openai.com", server_port = 443u16)]
async fn complete(model: &str) -> Result<Value, ProviderError> {
    tokio::task::yield_now().await;
    Ok(
        json!({"id": "chatcmpl-otlp", "model": "gpt-otlp-2026", "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": 100}}}),
    )
}

#[llm_call(provider = "openai", model = model, usage = OpenAiJson, stream)]
fn complete_stream(model: &'static str) -> impl Stream<Item = Result<Value, ProviderError>> {
    let chunks = (0..3)
        .map(|i| Ok(json!({"id": "s", "model": model, "choices": [{"index": 0, "delta": {"content": format!("{i}")}}]})))
        .chain([Ok(json!({"id": "s", "model": model, "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 3}}))]);
    futures_util::stream::iter(chunks.collect::<Vec<_>>())
}

#[test]
fn the_genai_span_and_metrics_arrive_under_their_semantic_names() {
    let collector = Collector::start();
    let mut config = OtlpConfig::new("svc-llm", collector.grpc_endpoint(), Protocol::Grpc);
    config.batch.delay = Duration::from_millis(50);
    let (layer, guard) = traces_layer(&config).unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            complete("gpt-otlp").await.unwrap();
            let chunks: Vec<_> = complete_stream("gpt-otlp-stream").collect().await;
            assert_eq!(chunks.len(), 4);
        });
    });
    guard.flush().unwrap();
    guard.shutdown(Duration::from_secs(5)).unwrap();

    let spans = collector.wait_for_spans(|s| s.len() >= 2, WAIT);
    let span = spans
        .iter()
        .find(|s| s.name == "chat gpt-otlp")
        .unwrap_or_else(|| panic!("no span `chat gpt-otlp` in {spans:#?}"));
    assert_eq!(span.kind, ExportedSpan::KIND_CLIENT);
    for (key, value) in [
        ("gen_ai.operation.name", json!("chat")),
        ("gen_ai.provider.name", json!("openai")),
        ("gen_ai.request.model", json!("gpt-otlp")),
        ("gen_ai.response.model", json!("gpt-otlp-2026")),
        ("gen_ai.response.id", json!("chatcmpl-otlp")),
        ("server.address", json!("api.openai.com")),
        ("server.port", json!(443)),
        ("gen_ai.usage.input_tokens", json!(120)),
        ("gen_ai.usage.cache_read.input_tokens", json!(100)),
        ("gen_ai.usage.output_tokens", json!(7)),
        ("gen_ai.request.stream", json!(false)),
        // A list, though `tracing` records it as JSON text.
        ("gen_ai.response.finish_reasons", json!(["stop"])),
    ] {
        assert_eq!(span.attr(key), Some(&value), "{key} in {span:#?}");
    }
    assert!(span.attr("error.type").is_none());
    let stream = spans
        .iter()
        .find(|s| s.name == "chat gpt-otlp-stream")
        .unwrap_or_else(|| panic!("no stream span in {spans:#?}"));
    assert_eq!(stream.attr("gen_ai.request.stream"), Some(&json!(true)));
    assert!(stream.attr("gen_ai.response.time_to_first_chunk").is_some());

    let registry: &'static Registry = Box::leak(Box::new(Registry::new()));
    registry.register(llm_families()).unwrap();
    let metrics = start_metrics_export(&config, registry, Duration::from_millis(100)).unwrap();
    let names = [
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.time_to_first_chunk",
        "gen_ai.client.operation.time_per_output_chunk",
    ];
    let points = collector.wait_for_metrics(
        |m| names.iter().all(|n| m.iter().any(|p| p.name == *n)),
        WAIT,
    );
    metrics.shutdown();
    for (name, unit) in names.iter().zip(["s", "{token}", "s", "s"]) {
        let point = points
            .iter()
            .find(|p| p.name == *name)
            .unwrap_or_else(|| panic!("no {name}"));
        assert_eq!(point.unit, unit, "{point:#?}");
        assert_eq!(point.metric_type, MetricType::Histogram);
        assert_eq!(point.service_name(), Some("svc-llm"));
    }
    let duration = points
        .iter()
        .find(|p| {
            p.name == "gen_ai.client.operation.duration"
                && p.has_attrs(&[("gen_ai.request.model", "gpt-otlp")])
        })
        .unwrap();
    let keys: Vec<&str> = duration.attributes.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "gen_ai.operation.name",
            "gen_ai.provider.name",
            "gen_ai.request.model"
        ],
        "a successful call has no error.type: {duration:#?}"
    );
    let input = points
        .iter()
        .find(|p| {
            p.name == "gen_ai.client.token.usage"
                && p.has_attrs(&[
                    ("gen_ai.request.model", "gpt-otlp"),
                    ("gen_ai.token.type", "input"),
                ])
        })
        .unwrap();
    assert_eq!((input.count, input.sum), (Some(1), Some(120.0)));
    let per_chunk = points
        .iter()
        .find(|p| {
            p.name == "gen_ai.client.operation.time_per_output_chunk"
                && p.has_attrs(&[("gen_ai.request.model", "gpt-otlp-stream")])
        })
        .unwrap();
    assert_eq!(per_chunk.count, Some(3));
}
