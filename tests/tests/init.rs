//! `obs_runtime::init` end to end, in a process of its own (it installs the global subscriber):
//! a port in use is a typed error that installs nothing; then one call sets up serving, health
//! with a collector check, span export and metric push to a real collector (Rotel), and shutdown
//! flushes it all.

use std::error::Error as _;
use std::time::Duration;

use obs_runtime::init::{Config, ConfigError, InitError, MetricsConfig, OtlpSection};
use obs_runtime::serve::ServeError;
use obs_runtime::{init, observed};
use obs_tests::collector::Collector;
use obs_tests::http_get;

#[observed(record(tier))]
async fn answer(tier: &str) -> Result<u32, std::io::Error> {
    tracing::info!(tier, "answered");
    Ok(7)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_sets_up_serving_export_and_health_and_shutdown_flushes() {
    let collector = Collector::start();
    let mut config = Config::default();
    config.service.name = "init-e2e".into();
    config.service.version = Some("3.1.4".into());
    config.otlp = Some(OtlpSection {
        endpoint: collector.grpc_endpoint(),
        protocol: "grpc".into(),
        sample_ratio: 1.0,
        parent_based: true,
    });
    config.logs.format = "none".into();

    // A port in use: a typed error naming the setting, before anything global is installed.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut busy = config.clone();
    busy.metrics.listen = Some(taken.local_addr().unwrap().to_string());
    match init(busy).await {
        Err(error @ InitError::Serve(_)) => {
            // Each level of the chain says its own part: init's, the server's, the OS's.
            assert_eq!(error.to_string(), "cannot serve `metrics.listen`");
            let serve = error.source().expect("the serve error");
            assert!(serve.is::<ServeError>());
            assert!(serve.to_string().starts_with("cannot listen on"), "{serve}");
            let os = serve.source().expect("the OS error");
            let os = os.downcast_ref::<std::io::Error>().unwrap();
            assert_eq!(os.kind(), std::io::ErrorKind::AddrInUse);
        }
        other => panic!("expected a serve error, got {other:?}"),
    }
    // A bad configuration is refused before anything starts, with its cause.
    let mut https = config.clone();
    https.otlp.as_mut().unwrap().endpoint = "https://collector:4317".into();
    match init(https).await {
        Err(error @ InitError::Config(_)) => {
            let config_error = error.source().expect("the configuration error");
            assert!(config_error.is::<ConfigError>());
            assert!(config_error.source().unwrap().to_string().contains("TLS"));
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }

    config.metrics = MetricsConfig {
        listen: Some("127.0.0.1:0".into()),
        push_interval_secs: Some(0.2),
    };
    let guard = init(config).await.expect("init");
    assert_eq!(answer("gold").await.unwrap(), 7);

    let addr = guard.metrics_addr().unwrap().to_string();
    let (metrics, ready) = tokio::task::spawn_blocking(move || {
        (
            http_get(&addr, "/metrics", &[]).unwrap(),
            http_get(&addr, "/health/ready", &[]).unwrap(),
        )
    })
    .await
    .unwrap();
    let text = metrics.text();
    assert!(
        text.contains("obs_function_calls_total{function=\"answer\""),
        "{text}"
    );
    assert_eq!(ready.status, 200);
    let report: serde_json::Value = serde_json::from_slice(&ready.body).unwrap();
    assert_eq!(report["version"], "3.1.4");
    assert_eq!(report["checks"][0]["name"], "otlp_collector");
    assert_eq!(report["checks"][0]["status"], "healthy");

    let shutdown = guard.shutdown(Duration::from_secs(5)).await;
    assert!(shutdown.problems.is_empty(), "{:?}", shutdown.problems);

    let spans = collector.wait_for_spans(
        |s| s.iter().any(|s| s.name.ends_with("::answer")),
        Duration::from_secs(15),
    );
    let span = spans.iter().find(|s| s.name.ends_with("::answer")).unwrap();
    assert_eq!(span.service_name(), Some("init-e2e"));
    assert_eq!(span.attr_str("tier"), Some("\"gold\""));
    let points = collector.wait_for_metrics(
        |m| m.iter().any(|p| p.name == "obs_function_calls"),
        Duration::from_secs(15),
    );
    let ok = points
        .iter()
        .find(|p| {
            p.name == "obs_function_calls"
                && p.has_attrs(&[("function", "answer"), ("outcome", "ok")])
        })
        .unwrap();
    assert_eq!(ok.int_value, Some(1));
    assert_eq!(ok.service_name(), Some("init-e2e"));
}
