//! The gateway demo end to end: it serves `/metrics` while running, the scrape passes promtool
//! (text) and the strict OpenMetrics parser (when asked for), and it exits by itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use obs_tests::{family, openmetrics_parse, promtool_check};

fn get(addr: &str, accept: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a header block");
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Type: "))
        .unwrap_or_default()
        .to_owned();
    (content_type, body.to_owned())
}

#[test]
fn the_demo_serves_metrics_and_exits_by_itself() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args([
            "--requests",
            "300",
            "--listen",
            "127.0.0.1:0",
            "--linger-secs",
            "2",
        ])
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

    let (content_type, text) = get(&addr, "text/plain;version=0.0.4");
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(text.contains("# TYPE llm_gateway_requests_total counter"));

    let (content_type, om) = get(
        &addr,
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
    );
    assert!(content_type.starts_with("application/openmetrics-text; version=1.0.0"));
    openmetrics_parse(&om).unwrap_or_else(|e| panic!("{e}\n{om}"));

    let status = child.wait().expect("the demo exits");
    assert!(status.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    // What it printed at the end accounts for every simulated request.
    let families = obs_tests::text_parse(rest.trim_start_matches(|c| c != '#'))
        .unwrap_or_else(|e| panic!("{e}\n{rest}"));
    let requests = family(&families, "llm_gateway_requests");
    let total: f64 = requests.samples.iter().map(|s| s.value).sum();
    assert_eq!(total, 300.0);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("300 requests simulated"), "{stderr}");
}
