//! The gateway demo end to end: it serves `/metrics` while running (text by default, OpenMetrics
//! when asked, gzip when accepted), passes promtool and the strict OpenMetrics parser, answers its
//! health endpoints, and exits by itself.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use obs_tests::{family, http_get, openmetrics_parse, promtool_check};

/// Starts the demo; returns it, its stdout, and the address it serves on.
fn start(args: &[&str]) -> (Child, BufReader<std::process::ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts the demo");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("serving http://")
        .and_then(|s| s.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    (child, stdout, addr)
}

#[test]
fn the_demo_serves_metrics_and_health_and_exits_by_itself() {
    let (mut child, mut stdout, addr) = start(&[
        "--requests",
        "300",
        "--listen",
        "127.0.0.1:0",
        "--linger-secs",
        "5",
    ]);

    // Every request first, while the demo is sure to be up; the validators (child processes,
    // slow on a loaded machine) run afterwards.
    let text = http_get(&addr, "/metrics", &[("Accept", "text/plain;version=0.0.4")]).unwrap();
    let om = http_get(
        &addr,
        "/metrics",
        &[(
            "Accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )],
    )
    .unwrap();
    let gzipped = http_get(
        &addr,
        "/metrics?format=openmetrics",
        &[("Accept-Encoding", "gzip")],
    )
    .unwrap();
    let bad_format = http_get(&addr, "/metrics?format=xml", &[]).unwrap();
    let live = http_get(&addr, "/health/live", &[]).unwrap();
    let ready = http_get(&addr, "/health/ready", &[]).unwrap();

    assert_eq!(text.status, 200);
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let body = text.text();
    promtool_check(&body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    assert!(body.contains("# TYPE llm_gateway_requests_total counter"));

    assert!(
        om.header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text; version=1.0.0")
    );
    let body = om.text();
    openmetrics_parse(&body).unwrap_or_else(|e| panic!("{e}\n{body}"));

    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&gzipped.body[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    openmetrics_parse(&unzipped).unwrap_or_else(|e| panic!("{e}\n{unzipped}"));

    assert_eq!(bad_format.status, 400);
    assert_eq!(
        (live.status, live.text().as_str()),
        (200, "{\"status\":\"healthy\"}")
    );
    assert_eq!(ready.status, 200);
    let report: serde_json::Value = serde_json::from_slice(&ready.body).unwrap();
    assert_eq!(report["checks"][0]["name"], "upstream_errors");
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));

    // Drain stdout before waiting, so a large final print cannot block the demo on a full pipe.
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().expect("the demo exits");
    assert!(status.success());
    // What it printed at the end accounts for every simulated request.
    let families = obs_tests::text_parse(rest.trim_start_matches(|c| c != '#'))
        .unwrap_or_else(|e| panic!("{e}\n{rest}"));
    let requests = family(&families, "llm_gateway_requests");
    let total: f64 = requests.samples.iter().map(|s| s.value).sum();
    assert_eq!(total, 300.0);
    // The provider calls are `#[llm_call]`s: every answered request counted its tokens once, every
    // call its duration, and the bundled price table priced them.
    let answered: f64 = requests
        .samples
        .iter()
        .filter(|s| s.labels.get("status").map(String::as_str) == Some("ok"))
        .map(|s| s.value)
        .sum();
    let tokens = family(&families, "gen_ai_client_token_usage");
    let counted = |kind: &str| -> f64 {
        tokens
            .samples
            .iter()
            .filter(|s| {
                s.name == "gen_ai_client_token_usage_count"
                    && s.labels.get("gen_ai_token_type").map(String::as_str) == Some(kind)
            })
            .map(|s| s.value)
            .sum()
    };
    assert_eq!(counted("input"), answered);
    assert_eq!(counted("output"), answered);
    let durations: f64 = family(&families, "gen_ai_client_operation_duration_seconds")
        .samples
        .iter()
        .filter(|s| s.name == "gen_ai_client_operation_duration_seconds_count")
        .map(|s| s.value)
        .sum();
    assert_eq!(durations, 300.0);
    let cost: f64 = family(&families, "obs_llm_cost_usd")
        .samples
        .iter()
        .map(|s| s.value)
        .sum();
    assert!(cost > 0.0);
    assert!(
        !rest.contains("obs_llm_unpriced_calls_total{"),
        "every model of the demo has a price"
    );
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("300 requests simulated"), "{stderr}");
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(["--requests", "1", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}
