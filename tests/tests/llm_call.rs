//! `#[llm_call]`: the GenAI span and its attributes on every path, the stream paths (ended,
//! failed mid-way, dropped after some chunks, dropped before the first), and token and cost
//! totals in the exposition equal to values computed by hand.
//!
//! Each test uses a provider of its own, so its series are apart from the other tests' (the
//! families are process-wide and tests run in parallel).

use std::panic::AssertUnwindSafe;
use std::sync::Once;

use futures_util::{Stream, StreamExt};
use obs_runtime::llm::{OpenAiJson, Pricing};
use obs_runtime::observed::CallSite;
use obs_runtime::{Format, Registry, llm_call};
use obs_tests::allocations;
use obs_tests::spans::{SeenSpan, spans_of};
use obs_tests::{ParsedFamily, family, openmetrics_parse, promtool_check};
use serde_json::{Value, json};

#[derive(Debug)]
struct ProviderError;

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("provider refused")
    }
}

impl std::error::Error for ProviderError {}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(future)
}

/// Prices of the test providers, merged into the bundled table, set once.
fn test_pricing() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        let mut table = Pricing::bundled();
        table.merge(
            Pricing::from_toml_str(
                r#"
                valid_from = 2026-11-01
                [models."test.cost".priced]
                input = 2.0
                output = 8.0
                cache_read = 0.5
                reasoning = 10.0
                [[models."test.cost".priced.tiers]]
                above_input_tokens = 1000
                input = 4.0
                output = 16.0
                cache_read = 1.0
                [models."test.spans".gpt-x]
                input = 1.0
                output = 2.0
                [models."test.stream".gpt-s]
                input = 1.0
                output = 2.0
                [models."test.partial".no-cache-write]
                input = 1.0
                output = 2.0
                cache_read = 0.5
                "#,
            )
            .unwrap(),
        );
        obs_runtime::llm::set_pricing(table);
    });
}

/// A chat completion in OpenAI's shape.
fn completion(prompt: u64, cached: Option<u64>, completion: u64, reasoning: Option<u64>) -> Value {
    let mut usage = json!({"prompt_tokens": prompt, "completion_tokens": completion});
    if let Some(cached) = cached {
        usage["prompt_tokens_details"] = json!({"cached_tokens": cached});
    }
    if let Some(reasoning) = reasoning {
        usage["completion_tokens_details"] = json!({"reasoning_tokens": reasoning});
    }
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-x-2026-01-01",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": usage,
    })
}

/// The exposition, checked by promtool and parsed by the official OpenMetrics parser.
fn exposition() -> Vec<ParsedFamily> {
    let registry = Registry::global();
    promtool_check(&registry.encode(Format::Text)).expect("promtool accepts the exposition");
    openmetrics_parse(&registry.encode(Format::OpenMetrics)).expect("OpenMetrics parses")
}

fn span_of<'a>(spans: &'a [SeenSpan], otel_name: &str) -> &'a SeenSpan {
    spans
        .iter()
        .find(|s| s.fields.get("otel.name").map(String::as_str) == Some(otel_name))
        .unwrap_or_else(|| panic!("no span with otel.name `{otel_name}` in {spans:#?}"))
}

/// The field names a span carries, sorted.
fn keys(span: &SeenSpan) -> Vec<&str> {
    span.fields.keys().map(String::as_str).collect()
}

// ---------------------------------------------------------------------------------------------
// Non-streaming calls

#[llm_call(
    provider = "test.spans",
    model = model,
    usage = OpenAiJson,
    server_address = "api.example.com",
    server_port = 443u16,
    temperature = 0.5,
    top_p = Some(0.9),
    max_tokens = 100u32,
    seed = 7i64,
    stop_sequences = vec!["END"],
)]
async fn chat(model: &str, answer: Result<Value, ProviderError>) -> Result<Value, ProviderError> {
    tokio::task::yield_now().await;
    answer
}

#[llm_call(provider = "test.spans", model = model)]
async fn panicking(model: &str) -> Result<obs_runtime::llm::Usage, ProviderError> {
    panic!("the provider client panicked for {model}")
}

#[llm_call(provider = "test.spans", model = model)]
async fn never_answers(model: &str) -> Result<obs_runtime::llm::Usage, ProviderError> {
    std::future::pending().await
}

const REQUEST_KEYS: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.max_tokens",
    "gen_ai.request.model",
    "gen_ai.request.seed",
    "gen_ai.request.stop_sequences",
    "gen_ai.request.stream",
    "gen_ai.request.temperature",
    "gen_ai.request.top_p",
    "otel.kind",
    "otel.name",
    "server.address",
    "server.port",
];

#[test]
fn a_completed_call_carries_the_request_response_and_usage_attributes() {
    test_pricing();
    let spans = spans_of(|| {
        block_on(chat("gpt-x", Ok(completion(1200, Some(1000), 40, Some(8))))).unwrap();
    });
    let span = span_of(&spans, "chat gpt-x");
    assert!(span.closed);
    let mut expected: Vec<&str> = REQUEST_KEYS.to_vec();
    expected.extend([
        "gen_ai.response.finish_reasons",
        "gen_ai.response.id",
        "gen_ai.response.model",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.reasoning.output_tokens",
        "obs.llm.cost_usd",
    ]);
    expected.sort();
    assert_eq!(keys(span), expected, "{span:#?}");
    let field = |k: &str| span.fields[k].as_str();
    assert_eq!(field("gen_ai.operation.name"), "chat");
    assert_eq!(field("gen_ai.provider.name"), "test.spans");
    assert_eq!(field("gen_ai.request.model"), "gpt-x");
    assert_eq!(field("otel.kind"), "client");
    assert_eq!(field("server.address"), "api.example.com");
    assert_eq!(field("server.port"), "443");
    assert_eq!(field("gen_ai.request.temperature"), "0.5");
    assert_eq!(field("gen_ai.request.top_p"), "0.9");
    assert_eq!(field("gen_ai.request.max_tokens"), "100");
    assert_eq!(field("gen_ai.request.seed"), "7");
    assert_eq!(field("gen_ai.request.stop_sequences"), r#"["END"]"#);
    assert_eq!(field("gen_ai.request.stream"), "false");
    assert_eq!(field("gen_ai.response.model"), "gpt-x-2026-01-01");
    assert_eq!(field("gen_ai.response.id"), "chatcmpl-1");
    assert_eq!(field("gen_ai.response.finish_reasons"), r#"["stop"]"#);
    assert_eq!(field("gen_ai.usage.input_tokens"), "1200");
    assert_eq!(field("gen_ai.usage.cache_read.input_tokens"), "1000");
    assert_eq!(field("gen_ai.usage.output_tokens"), "40");
    assert_eq!(field("gen_ai.usage.reasoning.output_tokens"), "8");
    // 200 fresh input at $1/M; the entry has no cache-read price, so the 1000 cache reads go
    // unpriced rather than priced wrongly; 32 visible and 8 reasoning output tokens at $2/M.
    let per_million = |count: f64, price: f64| count * price / 1_000_000.0;
    let total =
        per_million(200.0, 1.0) + 0.0 + 0.0 + per_million(32.0, 2.0) + per_million(8.0, 2.0);
    assert_eq!(field("obs.llm.cost_usd").parse::<f64>().unwrap(), total);
}

#[test]
fn an_error_a_panic_and_a_cancelled_call_carry_error_type() {
    test_pricing();
    let spans = spans_of(|| {
        assert!(block_on(chat("gpt-err", Err(ProviderError))).is_err());
        let panicked =
            std::panic::catch_unwind(AssertUnwindSafe(|| block_on(panicking("gpt-panic"))));
        assert!(panicked.is_err());
        let mut pending = Box::pin(never_answers("gpt-cancel"));
        let waker = std::task::Waker::noop();
        assert!(
            pending
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker))
                .is_pending()
        );
        drop(pending);
    });

    let error = span_of(&spans, "chat gpt-err");
    assert!(error.closed);
    let mut expected: Vec<&str> = REQUEST_KEYS.to_vec();
    expected.extend(["error", "error.type", "otel.status_code"]);
    expected.sort();
    assert_eq!(keys(error), expected, "{error:#?}");
    assert_eq!(error.fields["error.type"], "_OTHER");
    assert_eq!(error.fields["otel.status_code"], "ERROR");
    assert_eq!(error.fields["error"], "provider refused");

    let minimal = [
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.request.stream",
        "otel.kind",
        "otel.name",
    ];
    let panicked = span_of(&spans, "chat gpt-panic");
    assert!(panicked.closed);
    let mut expected = minimal.to_vec();
    expected.extend(["error.type", "otel.status_code"]);
    expected.sort();
    assert_eq!(keys(panicked), expected, "{panicked:#?}");
    assert_eq!(panicked.fields["error.type"], "panic");
    assert_eq!(panicked.fields["otel.status_code"], "ERROR");

    let cancelled = span_of(&spans, "chat gpt-cancel");
    assert!(cancelled.closed);
    let mut expected = minimal.to_vec();
    expected.push("error.type");
    expected.sort();
    assert_eq!(keys(cancelled), expected, "{cancelled:#?}");
    assert_eq!(cancelled.fields["error.type"], "cancelled");

    // The calls count in `obs_function_*` as `#[observed]` would.
    let outcomes = |f: &str| {
        CallSite::find(module_path!(), f)
            .unwrap()
            .snapshot()
            .outcomes
    };
    assert!(outcomes("chat")[1] >= 1);
    assert_eq!(outcomes("panicking"), [0, 0, 1, 0]);
    assert_eq!(outcomes("never_answers"), [0, 0, 0, 1]);

    let families = exposition();
    let duration = family(&families, "gen_ai_client_operation_duration_seconds");
    let count = |model: &str, error_type: &str| {
        let mut labels = vec![
            ("gen_ai_provider_name", "test.spans"),
            ("gen_ai_request_model", model),
        ];
        if !error_type.is_empty() {
            labels.push(("error_type", error_type));
        }
        duration.value("gen_ai_client_operation_duration_seconds_count", &labels)
    };
    assert_eq!(count("gpt-err", "_OTHER"), Some(1.0));
    assert_eq!(count("gpt-panic", "panic"), Some(1.0));
    assert_eq!(count("gpt-cancel", "cancelled"), Some(1.0));
}

// ---------------------------------------------------------------------------------------------
// Streams

/// Chunks of an OpenAI stream with `include_usage`: `n` content chunks, then the usage chunk.
fn chunks(n: usize) -> Vec<Result<Value, ProviderError>> {
    let mut chunks: Vec<Result<Value, ProviderError>> = (0..n)
        .map(|i| {
            Ok(json!({"id": "chatcmpl-s", "model": "gpt-s-1", "choices": [
                {"index": 0, "delta": {"content": format!("t{i}")}, "finish_reason": if i + 1 == n { json!("stop") } else { Value::Null }}
            ]}))
        })
        .collect();
    chunks.push(Ok(
        json!({"id": "chatcmpl-s", "model": "gpt-s-1", "choices": [],
        "usage": {"prompt_tokens": 30, "completion_tokens": n}}),
    ));
    chunks
}

#[llm_call(provider = "test.stream", model = model, usage = OpenAiJson, stream)]
fn chat_stream(
    model: &'static str,
    chunks: Vec<Result<Value, ProviderError>>,
) -> impl Stream<Item = Result<Value, ProviderError>> {
    futures_util::stream::iter(chunks).then(|chunk| async move {
        tokio::task::yield_now().await;
        chunk
    })
}

/// `(count of time to first chunk, count of time per output chunk)` of `model`.
fn chunk_counts(families: &[ParsedFamily], model: &str) -> (Option<f64>, Option<f64>) {
    let labels = [
        ("gen_ai_provider_name", "test.stream"),
        ("gen_ai_request_model", model),
    ];
    let first = family(
        families,
        "gen_ai_client_operation_time_to_first_chunk_seconds",
    )
    .value(
        "gen_ai_client_operation_time_to_first_chunk_seconds_count",
        &labels,
    );
    let per = family(
        families,
        "gen_ai_client_operation_time_per_output_chunk_seconds",
    )
    .value(
        "gen_ai_client_operation_time_per_output_chunk_seconds_count",
        &labels,
    );
    (first, per)
}

#[test]
fn every_stream_path_ends_the_call_once_with_its_chunks_timed() {
    test_pricing();
    let spans = spans_of(|| {
        block_on(async {
            // Ended: 4 content chunks and the usage chunk.
            let all: Vec<_> = chat_stream("s-ended", chunks(4)).collect().await;
            assert_eq!(all.len(), 5);
            // Failed mid-way: two chunks, then an error; what follows is still delivered.
            let mut failing = chunks(4);
            failing[2] = Err(ProviderError);
            let all: Vec<_> = chat_stream("s-failed", failing).collect().await;
            assert_eq!(all.len(), 5);
            // Dropped after 3 chunks (a client that disconnected).
            let mut stream = Box::pin(chat_stream("s-dropped", chunks(6)));
            for _ in 0..3 {
                stream.next().await.unwrap().unwrap();
            }
            drop(stream);
            // Dropped before the first chunk, after being polled.
            let mut stream = Box::pin(chat_stream("s-early", chunks(6)));
            let waker = std::task::Waker::noop();
            assert!(
                stream
                    .as_mut()
                    .poll_next(&mut std::task::Context::from_waker(waker))
                    .is_pending()
            );
            drop(stream);
        })
    });

    let ended = span_of(&spans, "chat s-ended");
    assert!(ended.closed);
    // The model has no price: no cost attribute rather than a wrong one.
    assert_eq!(
        keys(ended),
        [
            "gen_ai.operation.name",
            "gen_ai.provider.name",
            "gen_ai.request.model",
            "gen_ai.request.stream",
            "gen_ai.response.finish_reasons",
            "gen_ai.response.id",
            "gen_ai.response.model",
            "gen_ai.response.time_to_first_chunk",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "otel.kind",
            "otel.name",
        ],
        "{ended:#?}"
    );
    assert_eq!(ended.fields["gen_ai.request.stream"], "true");
    assert_eq!(ended.fields["gen_ai.usage.input_tokens"], "30");
    assert_eq!(ended.fields["gen_ai.usage.output_tokens"], "4");
    assert_eq!(
        ended.fields["gen_ai.response.finish_reasons"],
        r#"["stop"]"#
    );
    assert_eq!(ended.fields["gen_ai.response.model"], "gpt-s-1");
    assert!(
        ended
            .fields
            .contains_key("gen_ai.response.time_to_first_chunk")
    );
    assert!(!ended.fields.contains_key("error.type"));

    let failed = span_of(&spans, "chat s-failed");
    assert!(failed.closed);
    assert_eq!(failed.fields["error.type"], "_OTHER");
    assert_eq!(failed.fields["otel.status_code"], "ERROR");
    assert!(!failed.fields.contains_key("gen_ai.usage.output_tokens"));

    let dropped = span_of(&spans, "chat s-dropped");
    assert!(dropped.closed);
    assert_eq!(dropped.fields["error.type"], "cancelled");
    assert!(!dropped.fields.contains_key("otel.status_code"));
    assert!(
        dropped
            .fields
            .contains_key("gen_ai.response.time_to_first_chunk")
    );

    let early = span_of(&spans, "chat s-early");
    assert!(early.closed);
    assert_eq!(early.fields["error.type"], "cancelled");
    assert!(
        !early
            .fields
            .contains_key("gen_ai.response.time_to_first_chunk")
    );

    let families = exposition();
    // Every chunk after the first is timed, the usage chunk included.
    assert_eq!(chunk_counts(&families, "s-ended"), (Some(1.0), Some(4.0)));
    assert_eq!(chunk_counts(&families, "s-failed"), (Some(1.0), Some(1.0)));
    assert_eq!(chunk_counts(&families, "s-dropped"), (Some(1.0), Some(2.0)));
    assert_eq!(chunk_counts(&families, "s-early"), (None, None));
    let outcomes = CallSite::find(module_path!(), "chat_stream")
        .unwrap()
        .snapshot()
        .outcomes;
    assert_eq!(outcomes, [1, 1, 0, 2]);
}

// ---------------------------------------------------------------------------------------------
// Tokens and cost

#[llm_call(provider = "test.cost", model = model, usage = OpenAiJson)]
async fn priced(model: &str, response: Value) -> Result<Value, ProviderError> {
    Ok(response)
}

#[test]
fn token_and_cost_totals_equal_the_hand_computed_values() {
    test_pricing();
    block_on(async {
        // Cached input and reasoning output.
        priced("priced", completion(500, Some(200), 100, Some(40)))
            .await
            .unwrap();
        // Above the 1000-token tier.
        priced("priced", completion(1500, None, 10, None))
            .await
            .unwrap();
        // A model without a price.
        priced("unpriced", completion(50, None, 5, None))
            .await
            .unwrap();
        // A response without usage.
        priced("priced", json!({"id": "x", "choices": []}))
            .await
            .unwrap();
    });
    let per_million = |count: f64, price: f64| count * price / 1_000_000.0;
    let input = 0.0 + per_million(300.0, 2.0) + per_million(1500.0, 4.0);
    let cache_read = 0.0 + per_million(200.0, 0.5);
    let output = 0.0 + per_million(60.0, 8.0) + per_million(10.0, 16.0);
    let reasoning = 0.0 + per_million(40.0, 10.0);

    let families = exposition();
    let cost = family(&families, "obs_llm_cost_usd");
    let dollars = |model: &str, kind: &str| {
        cost.value(
            "obs_llm_cost_usd_total",
            &[
                ("gen_ai_provider_name", "test.cost"),
                ("gen_ai_request_model", model),
                ("token_type", kind),
            ],
        )
    };
    assert_eq!(dollars("priced", "input"), Some(input));
    assert_eq!(dollars("priced", "cache_read"), Some(cache_read));
    assert_eq!(dollars("priced", "output"), Some(output));
    assert_eq!(dollars("priced", "reasoning"), Some(reasoning));
    assert_eq!(dollars("priced", "cache_creation"), None);
    assert_eq!(dollars("unpriced", "input"), None);

    let tokens = family(&families, "gen_ai_client_token_usage");
    let sum = |model: &str, kind: &str| {
        tokens.value(
            "gen_ai_client_token_usage_sum",
            &[
                ("gen_ai_provider_name", "test.cost"),
                ("gen_ai_request_model", model),
                ("gen_ai_token_type", kind),
            ],
        )
    };
    assert_eq!(sum("priced", "input"), Some(2000.0));
    assert_eq!(sum("priced", "output"), Some(110.0));
    assert_eq!(sum("unpriced", "input"), Some(50.0));

    let labels = |model| {
        [
            ("gen_ai_provider_name", "test.cost"),
            ("gen_ai_request_model", model),
        ]
    };
    let unpriced = family(&families, "obs_llm_unpriced_calls");
    assert_eq!(
        unpriced.value("obs_llm_unpriced_calls_total", &labels("unpriced")),
        Some(1.0)
    );
    assert_eq!(
        unpriced.value("obs_llm_unpriced_calls_total", &labels("priced")),
        None
    );
    let missing = family(&families, "obs_llm_usage_missing");
    assert_eq!(
        missing.value("obs_llm_usage_missing_total", &labels("priced")),
        Some(1.0)
    );
}

#[test]
fn a_dated_model_is_priced_by_the_entry_without_its_date() {
    test_pricing();
    block_on(async {
        for model in [
            "priced-2026-01-15",
            "priced-20260115",
            "priced-2026-01-15-beta",
        ] {
            priced(model, completion(100, None, 10, None))
                .await
                .unwrap();
        }
    });
    let families = exposition();
    let cost = family(&families, "obs_llm_cost_usd");
    let dollars = |model: &str| {
        cost.value(
            "obs_llm_cost_usd_total",
            &[
                ("gen_ai_provider_name", "test.cost"),
                ("gen_ai_request_model", model),
                ("token_type", "output"),
            ],
        )
    };
    // `priced`'s base prices: output at $8/M.
    assert_eq!(dollars("priced-2026-01-15"), Some(10.0 * 8.0 / 1_000_000.0));
    assert_eq!(dollars("priced-20260115"), Some(10.0 * 8.0 / 1_000_000.0));
    assert_eq!(dollars("priced-2026-01-15-beta"), None);
    let unpriced = family(&families, "obs_llm_unpriced_calls");
    let calls = |model| {
        unpriced.value(
            "obs_llm_unpriced_calls_total",
            &[
                ("gen_ai_provider_name", "test.cost"),
                ("gen_ai_request_model", model),
            ],
        )
    };
    assert_eq!(calls("priced-2026-01-15-beta"), Some(1.0));
    assert_eq!(calls("priced-20260115"), None);
}

#[llm_call(provider = "test.partial", model = model, usage = obs_runtime::llm::AnthropicJson)]
async fn priced_in_part(model: &str, response: Value) -> Result<Value, ProviderError> {
    Ok(response)
}

/// An Anthropic message with these counts (Anthropic's `input_tokens` excludes the cache).
fn anthropic_message(fresh: u64, cache_write: u64, cache_read: u64, output: u64) -> Value {
    json!({"id": "msg_p", "type": "message", "model": "no-cache-write", "stop_reason": "end_turn",
        "usage": {"input_tokens": fresh, "cache_creation_input_tokens": cache_write,
                  "cache_read_input_tokens": cache_read, "output_tokens": output}})
}

#[test]
fn a_token_kind_without_a_price_is_counted_and_the_known_part_recorded() {
    test_pricing();
    block_on(async {
        // Cache writes, which the entry has no price for: twice.
        for _ in 0..2 {
            priced_in_part("no-cache-write", anthropic_message(100, 1000, 2000, 50))
                .await
                .unwrap();
        }
        // No cache writes (a zero count needs no price).
        priced_in_part("no-cache-write", anthropic_message(300, 0, 0, 10))
            .await
            .unwrap();
    });
    let per_million = |count: f64, price: f64| count * price / 1_000_000.0;
    let families = exposition();
    let labels = |kind| {
        [
            ("gen_ai_provider_name", "test.partial"),
            ("gen_ai_request_model", "no-cache-write"),
            ("token_type", kind),
        ]
    };
    let partial = family(&families, "obs_llm_partially_priced_calls");
    let calls = |kind| partial.value("obs_llm_partially_priced_calls_total", &labels(kind));
    assert_eq!(calls("cache_creation"), Some(2.0));
    for kind in ["input", "cache_read", "output", "reasoning"] {
        assert_eq!(calls(kind), None, "{kind}");
    }
    let cost = family(&families, "obs_llm_cost_usd");
    let dollars = |kind| cost.value("obs_llm_cost_usd_total", &labels(kind));
    let input = 0.0 + per_million(100.0, 1.0) + per_million(100.0, 1.0) + per_million(300.0, 1.0);
    let cache_read = 0.0 + per_million(2000.0, 0.5) + per_million(2000.0, 0.5);
    let output = 0.0 + per_million(50.0, 2.0) + per_million(50.0, 2.0) + per_million(10.0, 2.0);
    assert_eq!(dollars("input"), Some(input));
    assert_eq!(dollars("cache_read"), Some(cache_read));
    assert_eq!(dollars("output"), Some(output));
    assert_eq!(dollars("cache_creation"), None);
    // The model is priced: not an unpriced call.
    let unpriced = family(&families, "obs_llm_unpriced_calls");
    assert_eq!(
        unpriced.value("obs_llm_unpriced_calls_total", &labels("")[..2]),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Content capture

fn request_with_secrets() -> Value {
    json!({"model": "gpt-c", "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": format!(
            "My key is sk-proj-AbCdEf0123456789AbCdEf0123456789 and my mail is ada@example.com. {}",
            "Tell me a long story. ".repeat(200)
        )},
    ]})
}

fn answer_with_secret() -> Value {
    json!({"id": "c1", "model": "gpt-c", "choices": [{"index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": "Write to grace@example.org with Bearer abc.def.ghi123"}}],
        "usage": {"prompt_tokens": 900, "completion_tokens": 12}})
}

#[llm_call(provider = "test.content", model = model, usage = OpenAiJson, input = OpenAiJson(request), output = OpenAiJson)]
async fn chat_default_capture(
    model: &str,
    request: &Value,
    answer: Value,
) -> Result<Value, ProviderError> {
    Ok(answer)
}

#[llm_call(
    provider = "test.content",
    model = model,
    usage = OpenAiJson,
    input = OpenAiJson(request),
    output = OpenAiJson,
    capture = "span_and_event",
)]
async fn chat_captured(
    model: &str,
    request: &Value,
    answer: Value,
) -> Result<Value, ProviderError> {
    Ok(answer)
}

/// The size limit of every captured attribute in these tests (capture itself stays off unless
/// a function asks for it).
const MAX_BYTES: usize = 1024;

fn small_content_limit() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        use obs_runtime::llm::content::{CaptureMode, ContentCapture, configure};
        configure(
            ContentCapture::new(CaptureMode::NoContent)
                .with_max_bytes(MAX_BYTES)
                .unwrap(),
        );
    });
}

#[test]
fn content_is_not_captured_by_default() {
    small_content_limit();
    assert!(
        std::env::var_os("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT").is_none(),
        "this test checks the default"
    );
    let spans = spans_of(|| {
        block_on(chat_default_capture(
            "gpt-off",
            &request_with_secrets(),
            answer_with_secret(),
        ))
        .unwrap();
    });
    let span = span_of(&spans, "chat gpt-off");
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
    ] {
        assert!(!span.fields.contains_key(key), "{span:#?}");
    }
    assert!(span.events.is_empty(), "{span:#?}");
}

#[test]
fn captured_content_is_redacted_truncated_and_valid_json() {
    small_content_limit();
    let spans = spans_of(|| {
        block_on(chat_captured(
            "gpt-on",
            &request_with_secrets(),
            answer_with_secret(),
        ))
        .unwrap();
    });
    let span = span_of(&spans, "chat gpt-on");
    let input = &span.fields["gen_ai.input.messages"];
    let output = &span.fields["gen_ai.output.messages"];
    for (text, secret) in [
        (input, "sk-proj-AbCdEf0123456789AbCdEf0123456789"),
        (input, "ada@example.com"),
        (output, "grace@example.org"),
        (output, "abc.def.ghi123"),
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
        assert!(text.len() <= MAX_BYTES, "{} bytes", text.len());
    }
    let input: Value = serde_json::from_str(input).expect("input messages are JSON");
    let output: Value = serde_json::from_str(output).expect("output messages are JSON");
    assert_eq!(input[0]["role"], "system");
    assert_eq!(input[1]["role"], "user");
    let user_text = input[1]["parts"][0]["content"].as_str().unwrap();
    assert!(
        user_text.contains("[REDACTED:openai_api_key]"),
        "{user_text}"
    );
    assert!(user_text.contains("[REDACTED:email]"), "{user_text}");
    assert!(
        user_text.contains("truncated"),
        "the long story is cut: {user_text}"
    );
    assert_eq!(output[0]["role"], "assistant");
    assert_eq!(output[0]["finish_reason"], "stop");
    let answer = output[0]["parts"][0]["content"].as_str().unwrap();
    assert!(answer.contains("[REDACTED:email]"), "{answer}");
    assert!(answer.contains("[REDACTED:bearer_token]"), "{answer}");

    // The event carries the same content.
    let event = span
        .events
        .iter()
        .find(|e| {
            e.get("message").map(String::as_str)
                == Some("gen_ai.client.inference.operation.details")
                || e.contains_key("gen_ai.input.messages")
        })
        .unwrap_or_else(|| panic!("no content event in {span:#?}"));
    assert_eq!(
        event["gen_ai.input.messages"],
        span.fields["gen_ai.input.messages"]
    );
    assert_eq!(
        event["gen_ai.output.messages"],
        span.fields["gen_ai.output.messages"]
    );
}

/// `chat_stream`, counted apart (the tests run in parallel and count `chat_stream`'s calls).
#[llm_call(provider = "test.stream", model = model, usage = OpenAiJson, stream)]
fn chat_stream_kept(
    model: &'static str,
    chunks: Vec<Result<Value, ProviderError>>,
) -> impl Stream<Item = Result<Value, ProviderError>> {
    futures_util::stream::iter(chunks)
}

#[test]
fn a_stream_span_closes_when_the_stream_ends_not_when_it_is_dropped() {
    use obs_tests::spans::Collect;
    use tracing_subscriber::layer::SubscriberExt;
    let collect = Collect::default();
    let subscriber = tracing_subscriber::registry().with(collect.clone());
    tracing::subscriber::with_default(subscriber, || {
        block_on(async {
            let mut stream = Box::pin(chat_stream_kept("s-kept", chunks(2)));
            while stream.next().await.is_some() {}
            let spans = collect.0.lock().unwrap().clone();
            assert!(span_of(&spans, "chat s-kept").closed, "{spans:#?}");
            drop(stream);
        })
    });
}

#[llm_call(provider = "test.anthropic", model = model, usage = obs_runtime::llm::AnthropicJson)]
async fn messages(model: &str, answer: Value) -> Result<Value, ProviderError> {
    Ok(answer)
}

#[test]
fn anthropic_cache_writes_and_reads_are_counted_apart_and_input_includes_them() {
    let spans = spans_of(|| {
        block_on(messages(
            "claude-x",
            json!({"id": "msg_1", "type": "message", "model": "claude-x-1", "stop_reason": "end_turn",
                "usage": {"input_tokens": 50, "cache_creation_input_tokens": 1000,
                          "cache_read_input_tokens": 4000, "output_tokens": 120}}),
        ))
        .unwrap();
    });
    let span = span_of(&spans, "chat claude-x");
    let field = |k: &str| span.fields[k].as_str();
    assert_eq!(field("gen_ai.usage.input_tokens"), "5050");
    assert_eq!(field("gen_ai.usage.cache_read.input_tokens"), "4000");
    assert_eq!(field("gen_ai.usage.cache_creation.input_tokens"), "1000");
    assert_eq!(field("gen_ai.usage.output_tokens"), "120");
    assert_eq!(field("gen_ai.response.finish_reasons"), r#"["end_turn"]"#);
}

// ---------------------------------------------------------------------------------------------
// Streamed output content

#[global_allocator]
static ALLOCATOR: allocations::Counting = allocations::Counting;

/// Two choices streamed in OpenAI's shape, an API key split across two chunks of the first, then
/// the usage chunk.
fn two_choice_chunks() -> Vec<Result<Value, ProviderError>> {
    let chunk =
        |choices: Value| Ok(json!({"id": "chatcmpl-c", "model": "gpt-sc-1", "choices": choices}));
    vec![
        chunk(json!([
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null},
            {"index": 1, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}
        ])),
        chunk(json!([{"index": 1, "delta": {"content": "Bon"}, "finish_reason": null}])),
        chunk(
            json!([{"index": 0, "delta": {"content": "Use sk-proj-AbCdEf0123"}, "finish_reason": null}]),
        ),
        chunk(
            json!([{"index": 0, "delta": {"content": "456789AbCdEf0123456789 now."}, "finish_reason": null}]),
        ),
        chunk(json!([{"index": 1, "delta": {"content": "jour"}, "finish_reason": null}])),
        chunk(json!([{"index": 0, "delta": {}, "finish_reason": "stop"}])),
        chunk(json!([{"index": 1, "delta": {}, "finish_reason": "length"}])),
        Ok(
            json!({"id": "chatcmpl-c", "model": "gpt-sc-1", "choices": [],
            "usage": {"prompt_tokens": 9, "completion_tokens": 8}}),
        ),
    ]
}

#[llm_call(
    provider = "test.stream.content",
    model = model,
    usage = OpenAiJson,
    output = OpenAiJson,
    capture = "span_and_event",
    stream,
)]
fn chat_stream_captured(
    model: &'static str,
    chunks: Vec<Result<Value, ProviderError>>,
) -> impl Stream<Item = Result<Value, ProviderError>> {
    futures_util::stream::iter(chunks)
}

/// The output messages on `span` and in its content event, checked to be the same JSON.
fn streamed_output(span: &SeenSpan) -> Value {
    let on_span = &span.fields["gen_ai.output.messages"];
    let event = span
        .events
        .iter()
        .find(|e| e.contains_key("gen_ai.output.messages"))
        .unwrap_or_else(|| panic!("no content event in {span:#?}"));
    assert_eq!(&event["gen_ai.output.messages"], on_span);
    assert!(!on_span.contains("sk-proj"), "the key leaked: {on_span}");
    serde_json::from_str(on_span).expect("output messages are JSON")
}

#[test]
fn a_streamed_answer_is_captured_joined_per_choice_and_redacted() {
    small_content_limit();
    let spans = spans_of(|| {
        block_on(async {
            let all: Vec<_> = chat_stream_captured("sc-ended", two_choice_chunks())
                .collect()
                .await;
            assert_eq!(all.len(), 8);
        })
    });
    let span = span_of(&spans, "chat sc-ended");
    assert!(span.closed);
    assert_eq!(
        streamed_output(span),
        json!([
            {"role": "assistant", "parts": [
                {"type": "text", "content": "Use [REDACTED:openai_api_key] now."}
            ], "finish_reason": "stop"},
            {"role": "assistant", "parts": [{"type": "text", "content": "Bonjour"}], "finish_reason": "length"}
        ])
    );
    assert_eq!(span.fields["gen_ai.usage.output_tokens"], "8");
}

#[test]
fn a_stream_dropped_early_captures_what_arrived() {
    small_content_limit();
    let spans = spans_of(|| {
        block_on(async {
            let mut stream = Box::pin(chat_stream_captured("sc-dropped", two_choice_chunks()));
            for _ in 0..2 {
                stream.next().await.unwrap().unwrap();
            }
            drop(stream);
        })
    });
    let span = span_of(&spans, "chat sc-dropped");
    assert!(span.closed);
    assert_eq!(span.fields["error.type"], "cancelled");
    // Both roles and the second choice's first piece arrived; no finish reason did.
    assert_eq!(
        streamed_output(span),
        json!([
            {"role": "assistant", "parts": [], "finish_reason": ""},
            {"role": "assistant", "parts": [{"type": "text", "content": "Bon"}], "finish_reason": ""}
        ])
    );
}

#[llm_call(provider = "test.stream.off", model = model, usage = OpenAiJson, stream)]
fn chat_stream_plain(
    model: &'static str,
    chunks: Vec<Result<Value, ProviderError>>,
) -> impl Stream<Item = Result<Value, ProviderError>> {
    futures_util::stream::iter(chunks)
}

/// `chat_stream_plain` with its output named, under the default mode (off).
#[llm_call(provider = "test.stream.off", model = model, usage = OpenAiJson, output = OpenAiJson, stream)]
fn chat_stream_output_off(
    model: &'static str,
    chunks: Vec<Result<Value, ProviderError>>,
) -> impl Stream<Item = Result<Value, ProviderError>> {
    futures_util::stream::iter(chunks)
}

/// The allocations made while `stream` is read to its end.
async fn allocations_reading<S: Stream>(stream: S) -> u64 {
    let mut stream = std::pin::pin!(stream);
    let before = allocations::so_far();
    while stream.next().await.is_some() {}
    allocations::so_far() - before
}

#[test]
fn a_streamed_answer_is_not_captured_by_default_and_costs_no_allocation() {
    small_content_limit();
    let spans = spans_of(|| {
        block_on(async {
            let all: Vec<_> = chat_stream_output_off("so-span", two_choice_chunks())
                .collect()
                .await;
            assert_eq!(all.len(), 8);
        })
    });
    let span = span_of(&spans, "chat so-span");
    assert!(span.closed);
    assert!(
        !span.fields.contains_key("gen_ai.output.messages"),
        "{span:#?}"
    );
    assert!(span.events.is_empty(), "{span:#?}");

    // Spans off (a subscriber set here makes every callsite ask it, whatever interest the other
    // tests' subscribers left cached): the same allocations as the same stream without `output`.
    let off = tracing::subscriber::NoSubscriber::default();
    tracing::subscriber::with_default(off, || {
        block_on(async {
            // The first calls intern the model and take the thread's shards.
            for _ in 0..2 {
                allocations_reading(chat_stream_plain("so-alloc", two_choice_chunks())).await;
                allocations_reading(chat_stream_output_off("so-alloc", two_choice_chunks())).await;
            }
            let (plain, named) = (two_choice_chunks(), two_choice_chunks());
            let plain = allocations_reading(chat_stream_plain("so-alloc", plain)).await;
            let named = allocations_reading(chat_stream_output_off("so-alloc", named)).await;
            assert_eq!(named, plain);
        })
    });
}

/// How a streamed provider call fails, by kind.
#[derive(Debug, obs_runtime::ErrorKind)]
enum StreamError {
    RateLimited,
}

#[llm_call(provider = "test.stream-kind", model = model, usage = OpenAiJson, stream, error_kind)]
fn kinded_stream(
    model: &'static str,
    items: Vec<Result<Value, StreamError>>,
) -> impl Stream<Item = Result<Value, StreamError>> {
    futures_util::stream::iter(items)
}

#[test]
fn a_failed_stream_with_error_kind_names_its_error_type() {
    let spans = spans_of(|| {
        block_on(async {
            let first = vec![Err(StreamError::RateLimited)];
            let all: Vec<_> = kinded_stream("k-first", first).collect().await;
            assert_eq!(all.len(), 1);
            let mut later = chunks(2)
                .into_iter()
                .map(|c| c.map_err(|_| StreamError::RateLimited))
                .collect::<Vec<_>>();
            later.insert(1, Err(StreamError::RateLimited));
            let _: Vec<_> = kinded_stream("k-later", later).collect().await;
        })
    });
    for model in ["k-first", "k-later"] {
        let span = span_of(&spans, &format!("chat {model}"));
        assert_eq!(span.fields["error.type"], "rate_limited", "{span:#?}");
    }
    let families = exposition();
    let duration = family(&families, "gen_ai_client_operation_duration_seconds");
    for model in ["k-first", "k-later"] {
        let labels = [
            ("gen_ai_provider_name", "test.stream-kind"),
            ("gen_ai_request_model", model),
            ("error_type", "rate_limited"),
        ];
        assert_eq!(
            duration.value("gen_ai_client_operation_duration_seconds_count", &labels),
            Some(1.0),
            "{model}"
        );
    }
}
