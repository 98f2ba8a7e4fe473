//! Trace context across real HTTP hops, through a real collector (Rotel): a gateway behind the
//! HTTP layer continues the client's W3C `traceparent`, its handler calls a provider (also
//! behind the layer) through a client wrapped in `TraceContextLayer`, and both server spans
//! arrive in one trace with the right parents, kind server, the route template and no path. The
//! layer's metrics arrive over OTLP under the semantic conventions' names and units.
//!
//! One test in this file: it installs the process's global `tracing` subscriber (the servers'
//! tasks run on runtime threads, which a scoped subscriber would not reach), filtered to obs'
//! own spans.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use obs_runtime::Registry;
use obs_runtime::export::{
    OtlpConfig, Protocol, TraceContextLayer, start_metrics_export, traces_layer,
};
use obs_runtime::serve::{HttpLayer, Server};
use obs_tests::collector::{Collector, ExportedSpan, MetricType};
use obs_tests::{HttpResponse, http_request};
use tower::{Layer, ServiceExt};
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

const WAIT: Duration = Duration::from_secs(15);
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

/// `GET path` on `addr` with `headers`, from a blocking thread.
async fn get_blocking(addr: String, path: String, headers: Vec<(String, String)>) -> HttpResponse {
    tokio::task::spawn_blocking(move || {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        http_request("GET", &addr, &path, &headers, &[])
    })
    .await
    .unwrap()
    .unwrap()
}

/// The gateway's handler: calls the provider at `provider` through an HTTP client wrapped in
/// `TraceContextLayer`, and answers what it said.
async fn chat(provider: String, model: String) -> String {
    let client = TraceContextLayer.layer(tower::service_fn(move |request: http::Request<()>| {
        let provider = provider.clone();
        async move {
            let headers = request
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            let path = request.uri().path().to_owned();
            Ok::<_, Infallible>(get_blocking(provider, path, headers).await)
        }
    }));
    let request = http::Request::get("/v1/echo").body(()).unwrap();
    let response = client.oneshot(request).await.unwrap();
    format!("{model}: {}", response.text())
}

#[test]
fn the_trace_continues_through_the_gateway_to_the_provider() {
    let collector = Collector::start();
    let mut config = OtlpConfig::new("http-layer", collector.grpc_endpoint(), Protocol::Grpc);
    config.batch.delay = Duration::from_millis(50);
    let (layer, guard) = traces_layer(&config).unwrap();
    // Only the layer's spans (target `obs::http`): the exporter's own transport, on its own
    // thread, would otherwise trace itself into what it exports.
    let only_obs = Targets::new().with_target("obs", tracing::Level::TRACE);
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(layer.with_filter(only_obs)),
    )
    .unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let response = rt.block_on(async {
        let provider = Router::new()
            .route("/v1/echo", get(|| async { "pong" }))
            .layer(HttpLayer::new());
        let provider = Server::bind("127.0.0.1:0", provider).await.unwrap();
        let provider_addr = provider.local_addr().to_string();
        let gateway = Router::new()
            .route(
                "/v1/chat/{model}",
                get(move |Path(model): Path<String>| chat(provider_addr.clone(), model)),
            )
            .layer(HttpLayer::new());
        let gateway = Server::bind("127.0.0.1:0", gateway).await.unwrap();
        let traceparent = format!("00-{TRACE_ID}-{PARENT_ID}-01");
        let response = get_blocking(
            gateway.local_addr().to_string(),
            "/v1/chat/gpt-4o?user=alice".to_owned(),
            vec![
                ("traceparent".to_owned(), traceparent),
                ("tracestate".to_owned(), "vendor=opaque".to_owned()),
            ],
        )
        .await;
        gateway.shutdown().await.unwrap();
        provider.shutdown().await.unwrap();
        response
    });
    assert_eq!(response.text(), "gpt-4o: pong");
    let request_id = response.header("x-request-id").unwrap().to_owned();
    guard.flush().unwrap();

    let spans = collector.wait_for_spans(
        |s| s.iter().filter(|s| s.trace_id == TRACE_ID).count() >= 2,
        WAIT,
    );
    let named = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name && s.trace_id == TRACE_ID)
            .unwrap_or_else(|| panic!("no span `{name}` in trace {TRACE_ID}: {spans:#?}"))
    };
    let gateway = named("GET /v1/chat/{model}");
    let provider = named("GET /v1/echo");
    gateway.validate_ids().unwrap();
    provider.validate_ids().unwrap();

    // The gateway's span continues the client's trace; the provider's is its child.
    assert_eq!(gateway.parent_span_id, PARENT_ID);
    assert_eq!(provider.parent_span_id, gateway.span_id);
    assert_eq!(gateway.trace_state, "vendor=opaque");
    assert_eq!(
        provider.trace_state, "vendor=opaque",
        "tracestate injected too"
    );
    for span in [gateway, provider] {
        assert_eq!(span.kind, ExportedSpan::KIND_SERVER);
        assert_eq!(span.attr_str("http.request.method"), Some("GET"));
        assert_eq!(span.attr("http.response.status_code"), Some(&200.into()));
        assert_eq!(span.attr_str("url.scheme"), Some("http"));
        assert_eq!(span.attr_str("server.address"), Some("127.0.0.1"));
        assert_eq!(span.attr_str("network.protocol.version"), Some("1.0"));
        assert_ne!(span.status_code, ExportedSpan::STATUS_ERROR);
        for key in ["url.path", "url.query", "url.full", "client.address"] {
            assert!(span.attr(key).is_none(), "{key} on {span:#?}");
        }
    }
    assert_eq!(gateway.attr_str("http.route"), Some("/v1/chat/{model}"));
    assert_eq!(provider.attr_str("http.route"), Some("/v1/echo"));
    assert_eq!(
        gateway.attr_str("http.request.header.x-request-id"),
        Some(request_id.as_str())
    );
    // Neither the raw path nor the query is anywhere on the span.
    let text = serde_json::to_string(&gateway.attributes).unwrap();
    assert!(
        !text.contains("gpt-4o") && !text.contains("alice"),
        "{text}"
    );

    // The metrics, over OTLP under their semantic-convention names and units.
    let metrics =
        start_metrics_export(&config, Registry::global(), Duration::from_millis(100)).unwrap();
    let names = [
        ("http.server.request.duration", "s", MetricType::Histogram),
        (
            "http.server.active_requests",
            "{request}",
            MetricType::Gauge,
        ),
        ("http.server.request.body.size", "By", MetricType::Histogram),
        (
            "http.server.response.body.size",
            "By",
            MetricType::Histogram,
        ),
    ];
    let points = collector.wait_for_metrics(
        |m| names.iter().all(|(n, ..)| m.iter().any(|p| p.name == *n)),
        WAIT,
    );
    metrics.shutdown();
    guard.shutdown(Duration::from_secs(5)).unwrap();
    for (name, unit, metric_type) in names {
        let point = points.iter().find(|p| p.name == name).unwrap();
        assert_eq!(
            (point.unit.as_str(), point.metric_type),
            (unit, metric_type)
        );
    }
    let duration = points
        .iter()
        .find(|p| {
            p.name == "http.server.request.duration"
                && p.has_attrs(&[("http.route", "/v1/chat/{model}")])
        })
        .unwrap_or_else(|| panic!("no duration of the gateway's route: {points:#?}"));
    assert_eq!(duration.count, Some(1));
    assert!(duration.has_attrs(&[("http.request.method", "GET"), ("url.scheme", "http")]));
    // An integer, as the conventions type it (and as the span carries it), not the text the
    // Prometheus label has.
    assert_eq!(
        duration.attributes.get("http.response.status_code"),
        Some(&serde_json::json!(200))
    );
    assert_eq!(duration.bucket_bounds.len(), 14);
}
