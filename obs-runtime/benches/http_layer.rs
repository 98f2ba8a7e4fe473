//! Per-request overhead of the HTTP server layer (issue 10), side by side in one run with what
//! axum users add today for the same job: `axum-prometheus`'s metric layer (request count,
//! duration histogram and pending gauge by method, endpoint and status, through the `metrics`
//! crate and its Prometheus recorder), and tower-http's `TraceLayer` (a span per request and the
//! response classified).
//!
//! - `http_layer`: one trivial axum handler (`GET /items/{id}` answering a static string), driven
//!   in-process with `tower::ServiceExt::oneshot` on a current-thread tokio runtime (no sockets),
//!   the request carrying the headers `curl` sends (`host`, `user-agent`, `accept`): a server
//!   never sees a request without headers, and an empty header map would make the first header
//!   a layer adds allocate the map,
//!   each response body read to its end (which is when obs records, and when `TraceLayer` calls
//!   its end-of-stream hook). Variants: the router without any layer (`baseline`), with
//!   `obs_runtime::serve::HttpLayer` (`obs`), with `axum_prometheus::PrometheusMetricLayer`
//!   (`axum_prometheus`), with `tower_http::trace::TraceLayer::new_for_http()`
//!   (`tower_http_trace`); each layer applied with `Router::layer`, as their documentation shows.
//!   A layer's overhead is its time minus `baseline`'s; the target is obs at most a third of
//!   `axum_prometheus`'s.
//! - `http_layer_overhead`: each layer's overhead measured directly, its requests interleaved one
//!   by one with the bare router's and each timed apart (see [`overhead`]): the figure to compare
//!   on a shared machine, whose speed drifts too much between two groups run one after the other.
//!
//! No `tracing` subscriber is installed, so the spans of obs and `TraceLayer` are disabled (what
//! is measured is the layers' own work, as a service that exports no traces pays it); the
//! Prometheus recorder of `axum-prometheus` is installed as its `pair()` does.

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use obs_runtime::serve::HttpLayer;
use obs_runtime::{Format, Registry};
use tower::ServiceExt;

async fn item() -> &'static str {
    "{\"id\":42}"
}

fn app() -> Router {
    Router::new().route("/items/{id}", get(item))
}

/// One request through `router`, its body read to the end; returns the body's length.
async fn one(router: &Router) -> usize {
    let request = Request::get("/items/42")
        .header("host", "127.0.0.1:3000")
        .header("user-agent", "curl/8.5.0")
        .header("accept", "*/*")
        .body(Body::empty())
        .unwrap_or_else(|e| unreachable!("a static request: {e}"));
    let response = match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    assert!(response.status().is_success());
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("reading the body: {e}"));
    body.len()
}

/// `iters` requests through `router` on `rt`, timed together.
fn time(rt: &tokio::runtime::Runtime, router: &Router, iters: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(one(router).await);
        }
        start.elapsed()
    })
}

/// The overhead of `layered` over `bare` for `iters` requests: each iteration sends one request
/// through each, in alternating order, timing each apart; the result is the layered requests'
/// time less the bare ones'. Interleaving one by one makes both see the same machine: on a shared
/// VM whose speed drifts by tens of percent within seconds, two groups timed one after the other
/// do not.
fn overhead(rt: &tokio::runtime::Runtime, layered: &Router, bare: &Router, iters: u64) -> Duration {
    rt.block_on(async {
        let (mut layered_time, mut bare_time) = (Duration::ZERO, Duration::ZERO);
        for i in 0..iters {
            let (first, second) = if i % 2 == 0 {
                (bare, layered)
            } else {
                (layered, bare)
            };
            let t0 = Instant::now();
            black_box(one(first).await);
            let t1 = Instant::now();
            black_box(one(second).await);
            let t2 = Instant::now();
            let (bare_t, layered_t) = if i % 2 == 0 {
                (t1 - t0, t2 - t1)
            } else {
                (t2 - t1, t1 - t0)
            };
            bare_time += bare_t;
            layered_time += layered_t;
        }
        layered_time.saturating_sub(bare_time)
    })
}

struct Variants {
    rt: tokio::runtime::Runtime,
    routers: Vec<(&'static str, Router)>,
    prometheus: axum_prometheus::metrics_exporter_prometheus::PrometheusHandle,
}

fn variants() -> Variants {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("a tokio runtime: {e}"));
    // `pair()` installs the global recorder and spawns its upkeep task: inside the runtime.
    let (prometheus_layer, prometheus) = {
        let _entered = rt.enter();
        axum_prometheus::PrometheusMetricLayer::pair()
    };
    let routers = vec![
        ("baseline", app()),
        ("obs", app().layer(HttpLayer::new())),
        ("axum_prometheus", app().layer(prometheus_layer)),
        (
            "tower_http_trace",
            app().layer(tower_http::trace::TraceLayer::new_for_http()),
        ),
    ];
    Variants {
        rt,
        routers,
        prometheus,
    }
}

fn per_request(c: &mut Criterion) {
    let v = variants();
    let mut g = c.benchmark_group("http_layer");
    for (name, router) in &v.routers {
        g.bench_function(*name, |b| b.iter_custom(|iters| time(&v.rt, router, iters)));
    }
    g.finish();
    let mut g = c.benchmark_group("http_layer_overhead");
    let bare = &v.routers[0].1;
    for (name, router) in &v.routers[1..] {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| overhead(&v.rt, router, bare, iters))
        });
    }
    g.finish();
    check(&v);
}

/// Every layer did its job: obs and axum-prometheus recorded the route template.
fn check(v: &Variants) {
    for (_, router) in &v.routers {
        assert_eq!(v.rt.block_on(one(router)), 9);
    }
    let obs = Registry::global().encode(Format::Text);
    assert!(
        obs.lines().any(|l| l.starts_with(
            "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/items/{id}\",http_response_status_code=\"200\""
        )),
        "obs recorded no request:\n{obs}"
    );
    let prometheus = v.prometheus.render();
    assert!(
        prometheus
            .lines()
            .any(|l| l.starts_with("axum_http_requests_total{") && l.contains("/items/{id}")),
        "axum-prometheus recorded no request:\n{prometheus}"
    );
    eprintln!("checked: obs and axum-prometheus recorded every benchmarked request");
}

criterion_group!(benches, per_request);
criterion_main!(benches);
