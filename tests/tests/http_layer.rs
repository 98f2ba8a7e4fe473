//! The HTTP server layer over real HTTP on loopback: route templates (never raw paths) as labels,
//! unmatched paths under one bounded value, request ids kept, generated or replaced, a panicking
//! handler answered 500 and counted, requests in flight, body sizes, a client that disconnects
//! mid-stream, a route function for services that are not axum routes, and the exposition of the
//! new families read back by the Python parsers and accepted by promtool.
//!
//! The families are process-wide, and the tests of this file run in parallel: each test uses
//! routes (or a method) of its own, and only one sends requests that match no route.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::routing::{any, get, put};
use obs_runtime::serve::{HttpLayer, Server};
use obs_runtime::{Format, Registry};
use obs_tests::spans::Collect;
use obs_tests::{
    HttpResponse, ParsedFamily, family, http_request, openmetrics_parse, promtool_check, text_parse,
};

const DURATION: &str = "http_server_request_duration_seconds";
const WAIT: Duration = Duration::from_secs(10);

/// `method path` with `headers` and `body` to `server`, over a real connection.
async fn send(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let addr = server.local_addr().to_string();
    let (method, path, body) = (method.to_owned(), path.to_owned(), body.to_vec());
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        http_request(&method, &addr, &path, &headers, &body)
    })
    .await
    .unwrap()
    .unwrap()
}

async fn serve(app: Router) -> Server {
    Server::bind("127.0.0.1:0", app).await.unwrap()
}

/// The global registry's exposition, read back by the Python text-format parser.
fn scrape() -> Vec<ParsedFamily> {
    text_parse(&Registry::global().encode(Format::Text)).unwrap()
}

/// The value of `sample` in `family_name` whose labels include `labels` (0 when absent).
fn value(
    families: &[ParsedFamily],
    family_name: &str,
    sample: &str,
    labels: &[(&str, &str)],
) -> f64 {
    family(families, family_name)
        .value(sample, labels)
        .unwrap_or(0.0)
}

/// The request count of the duration series of `method`, `route` and `status`.
fn requests(families: &[ParsedFamily], method: &str, route: &str, status: &str) -> f64 {
    value(
        families,
        DURATION,
        &format!("{DURATION}_count"),
        &[
            ("http_request_method", method),
            ("http_route", route),
            ("http_response_status_code", status),
            ("url_scheme", "http"),
        ],
    )
}

/// Scrapes until `done` holds, or panics after [`WAIT`].
async fn scrape_until(what: &str, done: impl Fn(&[ParsedFamily]) -> bool) -> Vec<ParsedFamily> {
    let deadline = Instant::now() + WAIT;
    loop {
        let families = scrape();
        if done(&families) {
            return families;
        }
        assert!(Instant::now() < deadline, "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every route template of this file (each test has its own), and the empty value of unmatched
/// requests.
const ROUTES: &[&str] = &[
    "/rt/items/{id}",
    "/rt/echo-id",
    "/rt/panic",
    "/rt/alive",
    "/rt/valid/{id}",
    "/rt/slow",
    "/rt/stream",
    "/rt/stream-panic",
    "/rt/alive-after-body-panic",
    "/plain/users/{id}",
    "/rt/span/{id}",
    "",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_templates_not_raw_paths_are_the_labels() {
    let app = Router::new()
        .route(
            "/rt/items/{id}",
            get(|| async { "item" }).post(|body: String| async move { body.to_uppercase() }),
        )
        .layer(HttpLayer::new());
    let server = serve(app).await;
    for path in ["/rt/items/1", "/rt/items/2?token=abc123"] {
        let response = send(&server, "GET", path, &[], b"").await;
        assert_eq!((response.status, response.text().as_str()), (200, "item"));
    }
    let response = send(&server, "POST", "/rt/items/3", &[], b"hello").await;
    assert_eq!(response.text(), "HELLO");
    server.shutdown().await.unwrap();

    // Recorded when each response body ended, which is before the client saw the connection
    // close: no waiting.
    let families = scrape();
    assert_eq!(requests(&families, "GET", "/rt/items/{id}", "200"), 2.0);
    assert_eq!(requests(&families, "POST", "/rt/items/{id}", "200"), 1.0);
    let labels = [
        ("http_request_method", "POST"),
        ("http_route", "/rt/items/{id}"),
    ];
    let bytes = |family_name: &str, labels: &[(&str, &str)]| {
        value(
            &families,
            family_name,
            &format!("{family_name}_sum"),
            labels,
        )
    };
    assert_eq!(bytes("http_server_request_body_size_bytes", &labels), 5.0);
    assert_eq!(bytes("http_server_response_body_size_bytes", &labels), 5.0);
    let get = [
        ("http_request_method", "GET"),
        ("http_route", "/rt/items/{id}"),
    ];
    assert_eq!(bytes("http_server_request_body_size_bytes", &get), 0.0);
    assert_eq!(bytes("http_server_response_body_size_bytes", &get), 8.0);

    // No raw path, query or id in any label of the layer's families.
    let routes: BTreeSet<&str> = families
        .iter()
        .filter(|f| f.name.starts_with("http_server_") || f.name == "obs_http_server_panics")
        .flat_map(|f| &f.samples)
        .filter_map(|s| s.labels.get("http_route").map(String::as_str))
        .collect();
    assert!(
        routes.iter().all(|r| ROUTES.contains(r)),
        "route labels other than the templates: {routes:?}"
    );
    let text = Registry::global().encode(Format::Text);
    assert!(!text.contains("/rt/items/1") && !text.contains("abc123"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_that_match_no_route_share_one_empty_route() {
    let app = Router::new()
        .route("/rt/items/{id}", get(|| async { "item" }))
        .layer(HttpLayer::new());
    let server = serve(app).await;
    for path in [
        "/nowhere/1",
        "/nowhere/2?secret=s3cr3t",
        "/rt/items/1/extra",
    ] {
        let response = send(&server, "GET", path, &[], b"").await;
        assert_eq!(response.status, 404, "{path}");
        assert!(response.header("x-request-id").is_some());
    }
    server.shutdown().await.unwrap();
    let families = scrape();
    assert_eq!(requests(&families, "GET", "", "404"), 3.0);
    let text = Registry::global().encode(Format::Text);
    assert!(!text.contains("nowhere") && !text.contains("s3cr3t") && !text.contains("/extra"));
}

/// A generated request id: a version 4 UUID.
fn is_uuid_v4(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
        && groups[2].starts_with('4')
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_is_kept_when_well_formed_and_generated_otherwise() {
    // The handler answers with the id it sees on its request.
    let app = Router::new()
        .route(
            "/rt/echo-id",
            get(|headers: HeaderMap| async move {
                headers
                    .get("x-request-id")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default()
            }),
        )
        .layer(HttpLayer::new());
    let server = serve(app).await;
    let id_of = |response: &HttpResponse| {
        let echoed = response.header("x-request-id").unwrap().to_owned();
        assert_eq!(response.text(), echoed, "the handler saw the id echoed");
        echoed
    };

    let kept = send(
        &server,
        "GET",
        "/rt/echo-id",
        &[("X-Request-Id", "req-7f.a_9")],
        b"",
    )
    .await;
    assert_eq!(id_of(&kept), "req-7f.a_9");

    let first = id_of(&send(&server, "GET", "/rt/echo-id", &[], b"").await);
    let second = id_of(&send(&server, "GET", "/rt/echo-id", &[], b"").await);
    assert!(
        is_uuid_v4(&first) && is_uuid_v4(&second),
        "{first} {second}"
    );
    assert_ne!(first, second);

    let too_long = "a".repeat(129);
    for malformed in ["has space", "semi;colon", "quote\"d", too_long.as_str()] {
        let response = send(
            &server,
            "GET",
            "/rt/echo-id",
            &[("x-request-id", malformed)],
            b"",
        )
        .await;
        let id = id_of(&response);
        assert!(is_uuid_v4(&id), "{malformed:?} replaced by {id}");
    }
    let longest = "b".repeat(128);
    let response = send(
        &server,
        "GET",
        "/rt/echo-id",
        &[("x-request-id", &longest)],
        b"",
    )
    .await;
    assert_eq!(id_of(&response), longest);
    server.shutdown().await.unwrap();

    // Never a label.
    let text = Registry::global().encode(Format::Text);
    assert!(!text.contains("req-7f") && !text.contains(&first));
}

async fn boom() -> &'static str {
    panic!("the handler failed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_answered_500_and_counted() {
    let app = Router::new()
        .route("/rt/panic", get(boom))
        .route("/rt/alive", get(|| async { "alive" }))
        .layer(HttpLayer::new());
    let server = serve(app).await;
    for _ in 0..2 {
        let response = send(&server, "GET", "/rt/panic", &[], b"").await;
        assert_eq!(response.status, 500);
        assert!(response.body.is_empty());
        assert!(is_uuid_v4(response.header("x-request-id").unwrap()));
    }
    // The server still serves.
    let response = send(&server, "GET", "/rt/alive", &[], b"").await;
    assert_eq!(response.status, 200);
    server.shutdown().await.unwrap();

    let families = scrape();
    assert_eq!(
        value(
            &families,
            "obs_http_server_panics",
            "obs_http_server_panics_total",
            &[("http_route", "/rt/panic")]
        ),
        2.0
    );
    assert_eq!(requests(&families, "GET", "/rt/panic", "500"), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_panics_mid_stream_is_counted_and_cuts_the_response() {
    // Two chunks, then a panic while the body is being sent: the status line has gone out, so
    // the panic cannot be answered 500; it is counted, the request recorded with what was sent,
    // and the client sees the response cut short (no final chunk), not a clean end.
    let app = Router::new()
        .route(
            "/rt/stream-panic",
            get(|| async {
                let chunks = futures_util::stream::unfold(0u32, |n| async move {
                    tokio::task::yield_now().await;
                    if n == 2 {
                        panic!("the body failed mid-stream");
                    }
                    Some((Ok::<_, Infallible>("data: token\n\n"), n + 1))
                });
                Body::from_stream(chunks)
            }),
        )
        .route("/rt/alive-after-body-panic", get(|| async { "alive" }))
        .layer(HttpLayer::new());
    let server = serve(app).await;
    let addr = server.local_addr().to_string();
    let received = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /rt/stream-panic HTTP/1.1\r\nHost: test\r\n\r\n")
            .unwrap();
        let mut seen = Vec::new();
        // Until the server closes the connection (or a read fails).
        let _ = stream.read_to_end(&mut seen);
        String::from_utf8_lossy(&seen).into_owned()
    })
    .await
    .unwrap();
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert_eq!(received.matches("token").count(), 2, "{received}");
    assert!(
        !received.ends_with("0\r\n\r\n"),
        "the chunked body must not end cleanly: {received:?}"
    );
    // The server still serves.
    let response = send(&server, "GET", "/rt/alive-after-body-panic", &[], b"").await;
    assert_eq!(response.status, 200);
    let families = scrape_until("the panicked stream's end", |f| {
        requests(f, "GET", "/rt/stream-panic", "200") == 1.0
    })
    .await;
    server.shutdown().await.unwrap();
    assert_eq!(
        value(
            &families,
            "obs_http_server_panics",
            "obs_http_server_panics_total",
            &[("http_route", "/rt/stream-panic")]
        ),
        1.0
    );
    let sent = value(
        &families,
        "http_server_response_body_size_bytes",
        "http_server_response_body_size_bytes_sum",
        &[("http_route", "/rt/stream-panic")],
    );
    assert_eq!(sent, 26.0, "two chunks of 13 bytes");
}

static RELEASE: tokio::sync::Notify = tokio::sync::Notify::const_new();

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_are_counted_until_they_end() {
    // PUT is this test's own method, so the gauge's series is this test's alone.
    let app = Router::new()
        .route(
            "/rt/slow",
            put(|| async {
                RELEASE.notified().await;
                "done"
            }),
        )
        .layer(HttpLayer::new());
    let server = serve(app).await;
    let addr = server.local_addr().to_string();
    let client =
        tokio::task::spawn_blocking(move || http_request("PUT", &addr, "/rt/slow", &[], b"x"));
    let active = |families: &[ParsedFamily]| {
        family(families, "http_server_active_requests")
            .value(
                "http_server_active_requests",
                &[("http_request_method", "PUT"), ("url_scheme", "http")],
            )
            .unwrap_or(-1.0)
    };
    scrape_until("one PUT in flight", |f| active(f) == 1.0).await;
    RELEASE.notify_one();
    let response = client.await.unwrap().unwrap();
    assert_eq!(response.text(), "done");
    server.shutdown().await.unwrap();
    let families = scrape();
    assert_eq!(active(&families), 0.0);
    assert_eq!(requests(&families, "PUT", "/rt/slow", "200"), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_stream_is_still_counted_with_what_was_sent() {
    // An endless event stream, a chunk every 5 ms.
    let app = Router::new()
        .route(
            "/rt/stream",
            get(|| async {
                let chunks = futures_util::stream::unfold((), |()| async {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Some((Ok::<_, Infallible>("data: token\n\n"), ()))
                });
                Body::from_stream(chunks)
            }),
        )
        .layer(HttpLayer::new());
    let server = serve(app).await;
    let addr = server.local_addr().to_string();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /rt/stream HTTP/1.1\r\nHost: test\r\n\r\n")
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while seen.windows(5).filter(|w| w == b"token").count() < 3 {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "the stream ended");
            seen.extend_from_slice(&buf[..n]);
        }
        // Leaves: the connection closes.
    })
    .await
    .unwrap();
    let families = scrape_until("the stream's end", |f| {
        requests(f, "GET", "/rt/stream", "200") == 1.0
    })
    .await;
    server.shutdown().await.unwrap();
    let sent = value(
        &families,
        "http_server_response_body_size_bytes",
        "http_server_response_body_size_bytes_sum",
        &[("http_route", "/rt/stream")],
    );
    // At least the three chunks the client read, each 13 bytes.
    assert!(sent >= 39.0, "{sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_function_names_the_routes_of_a_service_that_is_no_axum_route() {
    let service = tower::service_fn(|_: http::Request<Body>| async {
        Ok::<_, Infallible>(http::Response::new(Body::from("plain")))
    });
    let layer = HttpLayer::new().route_fn(|method, path| {
        (method == http::Method::GET && path.starts_with("/plain/users/"))
            .then_some("/plain/users/{id}")
    });
    let app = Router::new().fallback_service(tower_layer_apply(layer, service));
    let server = serve(app).await;
    for path in ["/plain/users/1", "/plain/users/2"] {
        assert_eq!(send(&server, "GET", path, &[], b"").await.text(), "plain");
    }
    server.shutdown().await.unwrap();
    let families = scrape();
    assert_eq!(requests(&families, "GET", "/plain/users/{id}", "200"), 2.0);
}

fn tower_layer_apply<S>(layer: HttpLayer, service: S) -> obs_runtime::serve::HttpService<S> {
    use tower::Layer;
    layer.layer(service)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exposition_of_the_http_families_is_valid() {
    let app = Router::new()
        .route("/rt/valid/{id}", get(|| async { "item" }))
        .layer(HttpLayer::new());
    let server = serve(app).await;
    send(&server, "GET", "/rt/valid/8", &[], b"").await;
    server.shutdown().await.unwrap();

    let text = Registry::global().encode(Format::Text);
    promtool_check(&text).unwrap();
    let families = text_parse(&text).unwrap();
    let duration = family(&families, DURATION);
    assert_eq!(duration.kind, "histogram");
    let le: Vec<String> = duration
        .samples
        .iter()
        .filter(|s| s.name.ends_with("_bucket") && s.labels["http_route"] == "/rt/valid/{id}")
        .map(|s| s.labels["le"].clone())
        .take(15)
        .collect();
    assert_eq!(
        le,
        [
            "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5",
            "5.0", "7.5", "10.0", "+Inf"
        ]
    );
    assert_eq!(
        family(&families, "http_server_active_requests").kind,
        "gauge"
    );
    for name in [
        "http_server_request_body_size_bytes",
        "http_server_response_body_size_bytes",
    ] {
        assert_eq!(family(&families, name).kind, "histogram");
    }

    let om = openmetrics_parse(&Registry::global().encode(Format::OpenMetrics)).unwrap();
    assert_eq!(family(&om, DURATION).unit, "seconds");
    assert_eq!(
        family(&om, "http_server_response_body_size_bytes").unit,
        "bytes"
    );
}

#[test]
fn the_span_names_the_route_and_marks_server_errors() {
    use tracing_subscriber::layer::SubscriberExt;
    let collect = Collect::default();
    let subscriber = tracing_subscriber::registry().with(collect.clone());
    // A current-thread runtime inside the scoped subscriber: the server's tasks run on this
    // thread, so they see it (the client runs on a blocking thread, untraced).
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let app = Router::new()
                .route(
                    "/rt/span/{id}",
                    any(|| async { (http::StatusCode::SERVICE_UNAVAILABLE, "overloaded") }),
                )
                .layer(HttpLayer::new());
            let server = serve(app).await;
            // A request id of the client's own: a generated one could contain "42" itself.
            let headers = [("x-request-id", "req-span")];
            let response = send(&server, "PURGE", "/rt/span/42?key=k", &headers, b"").await;
            assert_eq!(response.status, 503);
            server.shutdown().await.unwrap();
        });
    });
    let spans = collect.0.lock().unwrap();
    let span = spans
        .iter()
        .find(|s| s.name == "http.server.request")
        .unwrap_or_else(|| panic!("no server span in {spans:#?}"));
    assert!(span.closed, "the span ends with the response body");
    let field = |key: &str| span.fields.get(key).map(String::as_str);
    assert_eq!(field("otel.name"), Some("HTTP /rt/span/{id}"));
    assert_eq!(field("otel.kind"), Some("server"));
    assert_eq!(field("http.request.method"), Some("_OTHER"));
    assert_eq!(field("http.request.method_original"), Some("PURGE"));
    assert_eq!(field("http.route"), Some("/rt/span/{id}"));
    assert_eq!(field("http.response.status_code"), Some("503"));
    assert_eq!(field("error.type"), Some("503"));
    assert_eq!(field("otel.status_code"), Some("ERROR"));
    assert_eq!(field("http.request.header.x-request-id"), Some("req-span"));
    // Neither the raw path nor the query, in any field.
    assert!(
        span.fields
            .values()
            .all(|v| !v.contains("42") && !v.contains("key=k"))
    );
    let families = scrape();
    assert_eq!(requests(&families, "_OTHER", "/rt/span/{id}", "503"), 1.0);
}
