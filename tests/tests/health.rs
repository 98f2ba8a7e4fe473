//! Health endpoints: status codes and JSON for healthy, degraded and unhealthy checks, a check
//! that hangs past its timeout, cached results, and the standalone server's typed bind error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use obs_runtime::Registry;
use obs_runtime::health::{CheckOptions, CheckResult, Health, HealthStatus};
use obs_runtime::serve::{ServeError, Server, router};
use obs_tests::http_get;

fn registry() -> &'static Registry {
    Box::leak(Box::new(Registry::new()))
}

/// `/health/ready` from a server over `health`, as (status code, JSON).
async fn ready(health: Arc<Health>) -> (u16, serde_json::Value) {
    let server = Server::bind("127.0.0.1:0", router(registry(), health))
        .await
        .unwrap();
    let addr = server.local_addr().to_string();
    let response = tokio::task::spawn_blocking(move || http_get(&addr, "/health/ready", &[]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.header("content-type"), Some("application/json"));
    server.shutdown().await.unwrap();
    (
        response.status,
        serde_json::from_slice(&response.body).unwrap(),
    )
}

fn fixed(status: HealthStatus) -> impl Fn() -> std::future::Ready<CheckResult> + Send + Sync {
    move || {
        std::future::ready(match status {
            HealthStatus::Healthy => CheckResult::healthy(),
            HealthStatus::Degraded => CheckResult::degraded("replica lagging"),
            HealthStatus::Unhealthy => CheckResult::unhealthy("database down"),
        })
    }
}

#[tokio::test]
async fn healthy_without_checks_and_with_healthy_ones() {
    let health = Arc::new(Health::new("1.2.3"));
    let (code, json) = ready(health.clone()).await;
    assert_eq!(code, 200);
    assert_eq!(json["status"], "healthy");
    assert_eq!(json["version"], "1.2.3");
    assert!(json["uptime_seconds"].as_f64().unwrap() >= 0.0);
    let timestamp = json["timestamp"].as_str().unwrap();
    assert!(
        timestamp.len() == 24 && timestamp.ends_with('Z'),
        "{timestamp}"
    );
    assert_eq!(json["checks"].as_array().unwrap().len(), 0);

    health.add_check(
        "cache",
        CheckOptions::default(),
        fixed(HealthStatus::Healthy),
    );
    let (code, json) = ready(health).await;
    assert_eq!(code, 200);
    assert_eq!(json["checks"][0]["name"], "cache");
    assert_eq!(json["checks"][0]["status"], "healthy");
    assert!(json["checks"][0].get("message").is_none());
}

#[tokio::test]
async fn degraded_is_still_ready_and_unhealthy_is_503() {
    let health = Arc::new(Health::new("1"));
    health.add_check(
        "cache",
        CheckOptions::default(),
        fixed(HealthStatus::Healthy),
    );
    health.add_check(
        "replica",
        CheckOptions::default(),
        fixed(HealthStatus::Degraded),
    );
    let (code, json) = ready(health.clone()).await;
    assert_eq!(code, 200);
    assert_eq!(json["status"], "degraded");
    assert_eq!(json["checks"][1]["message"], "replica lagging");

    health.add_check(
        "db",
        CheckOptions::default(),
        fixed(HealthStatus::Unhealthy),
    );
    let (code, json) = ready(health).await;
    assert_eq!(code, 503);
    assert_eq!(json["status"], "unhealthy");
    assert_eq!(json["checks"][2]["status"], "unhealthy");
    assert_eq!(json["checks"][2]["message"], "database down");
}

#[tokio::test]
async fn a_check_that_hangs_is_unhealthy_after_its_timeout() {
    let health = Arc::new(Health::new("1"));
    let options = CheckOptions {
        timeout: Duration::from_millis(200),
        cache_for: Duration::ZERO,
    };
    health.add_check("stuck", options, || async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        CheckResult::healthy()
    });
    let started = Instant::now();
    let (code, json) = ready(health).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code, 503);
    assert_eq!(json["checks"][0]["status"], "unhealthy");
    assert_eq!(json["checks"][0]["message"], "no answer within 200 ms");
}

#[tokio::test]
async fn results_are_cached_for_their_time_to_live() {
    let runs = Arc::new(AtomicU32::new(0));
    let health = Health::new("1");
    let counter = runs.clone();
    let options = CheckOptions {
        timeout: Duration::from_secs(1),
        cache_for: Duration::from_secs(60),
    };
    health.add_check("counted", options, move || {
        counter.fetch_add(1, Ordering::SeqCst);
        std::future::ready(CheckResult::healthy())
    });
    let first = health.report().await;
    let second = health.report().await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(!first.checks[0].cached);
    assert!(second.checks[0].cached);
}

#[tokio::test]
async fn liveness_answers_without_running_checks() {
    let health = Arc::new(Health::new("1"));
    health.add_check(
        "db",
        CheckOptions::default(),
        fixed(HealthStatus::Unhealthy),
    );
    let server = Server::bind("127.0.0.1:0", router(registry(), health))
        .await
        .unwrap();
    let addr = server.local_addr().to_string();
    let live = tokio::task::spawn_blocking(move || http_get(&addr, "/health/live", &[]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.status, 200);
    assert_eq!(live.text(), "{\"status\":\"healthy\"}");
}

#[tokio::test]
async fn binding_a_port_in_use_is_a_typed_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = Server::bind(&addr, router(registry(), Arc::new(Health::new("1"))))
        .await
        .unwrap_err();
    let ServeError::Bind {
        addr: asked,
        source,
    } = &err;
    assert_eq!(asked, &addr);
    assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
    assert_eq!(err.to_string(), format!("cannot listen on {addr}"));
    let os = std::error::Error::source(&err).expect("the OS error");
    assert!(os.is::<std::io::Error>());
}

#[tokio::test]
async fn the_routes_mount_into_an_existing_axum_app() {
    let app = axum::Router::new()
        .route("/v1/chat", axum::routing::get(|| async { "hello" }))
        .merge(router(registry(), Arc::new(Health::new("1"))));
    let server = Server::bind("127.0.0.1:0", app).await.unwrap();
    let addr = server.local_addr().to_string();
    let (chat, metrics, ready) = tokio::task::spawn_blocking(move || {
        (
            http_get(&addr, "/v1/chat", &[]).unwrap(),
            http_get(&addr, "/metrics", &[]).unwrap(),
            http_get(&addr, "/health/ready", &[]).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!((chat.status, chat.text().as_str()), (200, "hello"));
    assert_eq!(metrics.status, 200);
    assert_eq!(ready.status, 200);
}
