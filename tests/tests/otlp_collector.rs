//! obs' OTLP export against a real collector (Rotel, installed by
//! `scripts/install-validators.sh`): spans and metrics over gRPC and over HTTP/protobuf, with
//! their resource, parent links, attributes, error status and values; and export that resumes by
//! itself after the collector comes back, with what was lost meanwhile counted.

use std::time::Duration;

use obs_runtime::export::{
    DropReason, OtlpConfig, Protocol, Signal, dropped, start_metrics_export, traces_layer,
};
use obs_runtime::{Bounded, LabelValue, Registry, metrics, observed};
use obs_tests::collector::{Collector, ExportedSpan, MetricType, Temporality};
use tracing_subscriber::layer::SubscriberExt;

const WAIT: Duration = Duration::from_secs(15);

/// Errors of the simulated provider.
#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("provider refused")
    }
}

#[observed(record(model))]
async fn call_provider(model: &str, fail: bool) -> Result<u32, Refused> {
    tokio::task::yield_now().await;
    if fail { Err(Refused) } else { Ok(42) }
}

#[observed(name = "gateway.route")]
async fn route(model: &str, fail: bool) -> Result<u32, Refused> {
    let tokens = call_provider(model, fail).await?;
    Ok(tokens + 1)
}

fn config(collector: &Collector, protocol: Protocol, service: &str) -> OtlpConfig {
    let endpoint = match protocol {
        Protocol::Grpc => collector.grpc_endpoint(),
        Protocol::HttpProtobuf => collector.http_endpoint(),
    };
    let mut config = OtlpConfig::new(service, endpoint, protocol);
    config.service_version = Some("9.8.7".into());
    config.deployment_environment = Some("test".into());
    config.batch.delay = Duration::from_millis(50);
    config.batch.export_timeout = Duration::from_secs(2);
    config
}

/// Runs two routed calls (one failing) under an exporting subscriber; flushes.
fn traffic(config: &OtlpConfig) {
    let (layer, guard) = traces_layer(config).unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            assert_eq!(route("gpt-4o", false).await.unwrap(), 43);
            assert!(route("claude", true).await.is_err());
        });
    });
    guard.flush().unwrap();
    guard.shutdown(Duration::from_secs(5)).unwrap();
}

fn check_spans(spans: &[ExportedSpan], service: &str) {
    let ours: Vec<&ExportedSpan> = spans
        .iter()
        .filter(|s| s.service_name() == Some(service))
        .collect();
    assert_eq!(ours.len(), 4, "{spans:#?}");
    for span in &ours {
        span.validate_ids().unwrap();
        let resource = |key: &str| span.resource.get(key).and_then(|v| v.as_str());
        assert_eq!(resource("service.version"), Some("9.8.7"));
        assert_eq!(resource("deployment.environment.name"), Some("test"));
        assert_eq!(resource("service.instance.id").map(str::len), Some(32));
    }
    let roots: Vec<_> = ours.iter().filter(|s| s.name == "gateway.route").collect();
    let children: Vec<_> = ours
        .iter()
        .filter(|s| s.name.ends_with("::call_provider"))
        .collect();
    assert_eq!((roots.len(), children.len()), (2, 2));
    for child in &children {
        let parent = roots
            .iter()
            .find(|r| r.span_id == child.parent_span_id)
            .expect("each provider call's parent is a route span");
        assert_eq!(parent.trace_id, child.trace_id);
        assert!(parent.is_root());
    }
    let failed = children
        .iter()
        .find(|c| c.attr_str("model") == Some("\"claude\""))
        .unwrap();
    assert_eq!(
        failed.status_code,
        ExportedSpan::STATUS_ERROR,
        "{failed:#?}"
    );
    assert_eq!(failed.attr_str("error"), Some("provider refused"));
    let ok = children
        .iter()
        .find(|c| c.attr_str("model") == Some("\"gpt-4o\""))
        .unwrap();
    assert_ne!(ok.status_code, ExportedSpan::STATUS_ERROR);
    assert!(
        ok.attr("fail").is_none(),
        "arguments are not recorded unless named"
    );
}

#[test]
fn spans_arrive_over_grpc() {
    let collector = Collector::start();
    traffic(&config(&collector, Protocol::Grpc, "svc-grpc"));
    let spans = collector.wait_for_spans(
        |s| {
            s.iter()
                .filter(|s| s.service_name() == Some("svc-grpc"))
                .count()
                >= 4
        },
        WAIT,
    );
    check_spans(&spans, "svc-grpc");
}

#[test]
fn spans_arrive_over_http_protobuf() {
    let collector = Collector::start();
    traffic(&config(&collector, Protocol::HttpProtobuf, "svc-http"));
    let spans = collector.wait_for_spans(
        |s| {
            s.iter()
                .filter(|s| s.service_name() == Some("svc-http"))
                .count()
                >= 4
        },
        WAIT,
    );
    check_spans(&spans, "svc-http");
}

/// Models.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Tier {
    /// Cheap.
    Small,
    /// Expensive.
    Large,
}

metrics! {
    /// Pushed to the collector.
    pub PUSHED in "pushed" {
        /// Requests.
        requests_total: Counter { tier: Tier, route: Bounded<4> },
        /// Queue depth.
        queue_depth: Gauge,
        /// Latency.
        #[buckets(0.1, 1)]
        latency_seconds: Histogram { tier: Tier },
        /// Tokens per call, pushed under the GenAI semantic convention's name, unit and
        /// attribute keys.
        #[otlp(name = "gen_ai.client.token.usage", unit = "{token}")]
        #[buckets(1, 4, 16, 64, 256, 1024)]
        token_usage: Histogram {
            #[otlp(key = "gen_ai.operation.name")]
            gen_ai_operation_name: Bounded<4>,
            #[otlp(key = "gen_ai.token.type")]
            gen_ai_token_type: Bounded<4>,
            #[otlp(key = "error.type")]
            error_type: Bounded<4>,
            tier: Tier,
        },
    }
}

fn check_metric_push(protocol: Protocol) {
    let collector = Collector::start();
    let registry: &'static Registry = Box::leak(Box::new(Registry::new()));
    PUSHED.register_into(registry).unwrap();
    // Both transports' tests read the same group: record once.
    static RECORD: std::sync::Once = std::sync::Once::new();
    RECORD.call_once(|| {
        PUSHED.requests_total.with((Tier::Small, "/chat")).add(3);
        PUSHED.queue_depth.series().set(-2);
        PUSHED.latency_seconds.with(Tier::Large).observe(0.05);
        PUSHED.latency_seconds.with(Tier::Large).observe(0.5);
        PUSHED.latency_seconds.with(Tier::Large).observe(5.0);
        PUSHED
            .token_usage
            .with(("chat", "input", "", Tier::Small))
            .observe(100.0);
    });
    let guard = start_metrics_export(
        &config(&collector, protocol, "svc-metrics"),
        registry,
        Duration::from_millis(100),
    )
    .unwrap();
    let points = collector.wait_for_metrics(
        |m| {
            m.iter().any(|p| p.name == "pushed_latency_seconds")
                && m.iter().any(|p| p.name == "pushed_requests")
                && m.iter().any(|p| p.name == "gen_ai.client.token.usage")
        },
        WAIT,
    );
    guard.shutdown();

    let requests = points
        .iter()
        .find(|p| {
            p.name == "pushed_requests" && p.has_attrs(&[("tier", "small"), ("route", "/chat")])
        })
        .unwrap();
    assert_eq!(requests.service_name(), Some("svc-metrics"));
    assert_eq!(requests.metric_type, MetricType::Sum);
    assert_eq!(requests.monotonic, Some(true));
    assert_eq!(requests.temporality, Some(Temporality::Cumulative));
    assert_eq!(requests.int_value, Some(3));

    let depth = points
        .iter()
        .find(|p| p.name == "pushed_queue_depth")
        .unwrap();
    assert_eq!(depth.metric_type, MetricType::Gauge);
    assert_eq!(depth.int_value, Some(-2));

    let latency = points
        .iter()
        .find(|p| p.name == "pushed_latency_seconds" && p.has_attrs(&[("tier", "large")]))
        .unwrap();
    assert_eq!(latency.metric_type, MetricType::Histogram);
    assert_eq!(latency.unit, "s");
    assert_eq!(latency.temporality, Some(Temporality::Cumulative));
    assert_eq!(latency.bucket_bounds, [0.1, 1.0]);
    assert_eq!(latency.bucket_counts, [1, 1, 1]);
    assert_eq!(latency.count, Some(3));
    assert_eq!(latency.sum, Some(5.55));

    // A family with a semantic convention's name, unit and attribute keys arrives under them,
    // not under its Prometheus names, which the exposition keeps; the empty `error_type` (no
    // error) is left out.
    let tokens = points
        .iter()
        .find(|p| p.name == "gen_ai.client.token.usage")
        .unwrap();
    assert_eq!(tokens.unit, "{token}");
    assert_eq!(tokens.metric_type, MetricType::Histogram);
    let keys: Vec<&str> = tokens.attributes.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["gen_ai.operation.name", "gen_ai.token.type", "tier"],
        "{tokens:#?}"
    );
    assert!(tokens.has_attrs(&[
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.token.type", "input"),
        ("tier", "small"),
    ]));
    assert_eq!(tokens.bucket_counts, [0, 0, 0, 0, 1, 0, 0]);
    assert!(points.iter().all(|p| p.name != "pushed_token_usage"));
    let text = registry.encode(obs_runtime::Format::Text);
    assert!(
        text.contains(
            "pushed_token_usage_bucket{gen_ai_operation_name=\"chat\",gen_ai_token_type=\"input\",\
             error_type=\"\",tier=\"small\",le=\"256.0\"} 1"
        ),
        "{text}"
    );
}

#[test]
fn metrics_are_pushed_over_grpc() {
    check_metric_push(Protocol::Grpc);
}

#[test]
fn metrics_are_pushed_over_http_protobuf() {
    check_metric_push(Protocol::HttpProtobuf);
}

#[test]
fn export_resumes_after_the_collector_restarts_and_losses_are_counted() {
    let mut collector = Collector::start();
    let mut config = config(&collector, Protocol::HttpProtobuf, "svc-restart");
    config.batch.export_timeout = Duration::from_millis(300);
    let (layer, guard) = traces_layer(&config).unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let failed_before = dropped(Signal::Traces, DropReason::ExportFailed);
    tracing::subscriber::with_default(subscriber, || {
        tracing::info_span!("before").in_scope(|| {});
        let _ = guard.flush();
        collector.wait_for_spans(|s| s.iter().any(|s| s.name == "before"), WAIT);

        collector.stop();
        tracing::info_span!("while_down").in_scope(|| {});
        let _ = guard.flush();
        assert!(dropped(Signal::Traces, DropReason::ExportFailed) > failed_before);

        collector.restart();
        tracing::info_span!("after").in_scope(|| {});
        let _ = guard.flush();
        collector.wait_for_spans(|s| s.iter().any(|s| s.name == "after"), WAIT);
    });
    drop(guard);
}

#[test]
fn sampling_is_parent_based_with_a_ratio_for_roots() {
    let collector = Collector::start();
    let mut config = config(&collector, Protocol::HttpProtobuf, "svc-sampled");
    config.sample_ratio = 0.0;
    let (layer, guard) = traces_layer(&config).unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        // A root trace at ratio 0: not sampled.
        tracing::info_span!("unsampled_root").in_scope(|| {});
        // A request whose caller sampled its trace: followed.
        let incoming: std::collections::HashMap<String, String> = [(
            "traceparent".to_owned(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
        )]
        .into();
        let span = tracing::info_span!("continued");
        assert!(obs_runtime::export::set_parent(&span, &incoming));
        span.in_scope(|| tracing::info_span!("continued_child").in_scope(|| {}));
    });
    guard.flush().unwrap();
    let spans = collector.wait_for_spans(|s| s.len() >= 2, WAIT);
    drop(guard);
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert!(!names.contains(&"unsampled_root"), "{names:?}");
    let continued = spans.iter().find(|s| s.name == "continued").unwrap();
    assert_eq!(continued.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(continued.parent_span_id, "00f067aa0ba902b7");
    let child = spans.iter().find(|s| s.name == "continued_child").unwrap();
    assert_eq!(child.parent_span_id, continued.span_id);
}
