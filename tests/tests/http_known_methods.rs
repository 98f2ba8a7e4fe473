//! The HTTP layer's known methods replaced through `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS`, as
//! the semantic conventions require: a method in the list is its own label value, a default one
//! left out of it is `_OTHER`. The list is read once per process, so the test runs itself again
//! in a child process with the variable set (setting it in this process would take `unsafe`).

use std::process::Command;

use axum::Router;
use axum::routing::any;
use obs_runtime::serve::layer::KNOWN_METHODS_ENV;
use obs_runtime::serve::{HttpLayer, Server};
use obs_runtime::{Format, Registry};
use obs_tests::{family, http_request, text_parse};

const TEST: &str = "methods_from_the_environment_replace_the_default_ones";

#[test]
fn methods_from_the_environment_replace_the_default_ones() {
    if std::env::var_os(KNOWN_METHODS_ENV).is_none() {
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", TEST, "--nocapture", "--test-threads", "1"])
            .env(KNOWN_METHODS_ENV, "GET, QUERY,not a method")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{text}");
        // The child ran the test (and not zero tests).
        assert!(text.contains(&format!("test {TEST} ... ok")), "{text}");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = Router::new()
            .route("/km/{id}", any(|| async { "ok" }))
            .layer(HttpLayer::new());
        let server = Server::bind("127.0.0.1:0", app).await.unwrap();
        let addr = server.local_addr().to_string();
        tokio::task::spawn_blocking(move || {
            for method in ["QUERY", "POST", "GET"] {
                let response = http_request(method, &addr, "/km/1", &[], b"").unwrap();
                assert_eq!(response.status, 200, "{method}");
            }
        })
        .await
        .unwrap();
        server.shutdown().await.unwrap();
    });
    let families = text_parse(&Registry::global().encode(Format::Text)).unwrap();
    let duration = family(&families, "http_server_request_duration_seconds");
    let count = |method| {
        duration
            .value(
                "http_server_request_duration_seconds_count",
                &[("http_request_method", method), ("http_route", "/km/{id}")],
            )
            .unwrap_or(0.0)
    };
    assert_eq!(count("QUERY"), 1.0, "QUERY is known here");
    assert_eq!(count("GET"), 1.0);
    assert_eq!(count("POST"), 0.0, "POST is not in the list");
    assert_eq!(count("_OTHER"), 1.0, "so it is `_OTHER`");
}
