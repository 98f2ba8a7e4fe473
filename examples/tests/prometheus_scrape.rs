//! A real Prometheus server (Debian package `prometheus`, installed by
//! `scripts/install-validators.sh`) scrapes the gateway demo on loopback, once with its default
//! negotiation (OpenMetrics) and once forced to the text format; its query API returns exactly the
//! counts the demo produced, both targets are healthy with an empty `lastError`, and the
//! exemplars of the OpenMetrics scrape (the demo's requests are sampled spans) are queried back.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use obs_tests::{KillOnDrop as Running, free_port, http_get};

const REQUESTS: u64 = 250;

/// Prometheus' JSON answer to `path`, once it succeeds.
fn api(addr: &str, path: &str) -> serde_json::Value {
    let response = http_get(addr, path, &[]).unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    serde_json::from_slice(&response.body).unwrap()
}

/// Polls `query` until `accept` is true of its result vector, or panics after `limit`.
fn wait_for(
    addr: &str,
    query: &str,
    limit: Duration,
    accept: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let path = format!("/api/v1/query?query={}", encode(query));
    let started = Instant::now();
    loop {
        let answer = api(addr, &path);
        let result = answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if accept(&result) {
            return result;
        }
        assert!(
            started.elapsed() < limit,
            "`{query}` never matched; last answer: {answer}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn encode(query: &str) -> String {
    query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn value(sample: &serde_json::Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

#[test]
fn a_real_prometheus_scrapes_both_formats_and_reads_back_exact_counts() {
    // The demo: drives its traffic, then keeps serving for the scrapes.
    let mut demo = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args([
            "--requests",
            &REQUESTS.to_string(),
            "--listen",
            "127.0.0.1:0",
            "--linger-secs",
            "120",
            // Spans are sampled (so samples carry exemplars); nothing listens there, and the
            // lost spans are counted, not waited for.
            "--otlp",
            &format!("http://127.0.0.1:{}", free_port()),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts the demo");
    let mut stdout = BufReader::new(demo.stdout.take().unwrap());
    let demo = Running(demo);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let target = line
        .trim()
        .strip_prefix("serving http://")
        .and_then(|s| s.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();

    // Prometheus, scraping every second: job `openmetrics` with its default Accept header
    // (OpenMetrics first), job `text` forced to the text format.
    let dir = std::env::temp_dir().join(format!("obs-prom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n\
             \x20 - job_name: openmetrics\n    static_configs:\n      - targets: ['{target}']\n\
             \x20 - job_name: text\n    params:\n      format: [text]\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let prom_addr = format!("127.0.0.1:{}", free_port());
    let log = dir.join("prometheus.log");
    let prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--web.listen-address={prom_addr}"))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg("--enable-feature=exemplar-storage")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start `prometheus` ({e}); run `bash scripts/install-validators.sh`")
        });
    let mut prometheus = Running(prometheus);
    let started = Instant::now();
    while !http_get(&prom_addr, "/-/ready", &[]).is_ok_and(|r| r.status == 200) {
        if let Ok(Some(status)) = prometheus.0.try_wait() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("prometheus exited with {status}:\n{log}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "prometheus never became ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Wait for the traffic to finish, so the counts are final.
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the demo ended early"
        );
        if line.starts_with("traffic done") {
            break;
        }
    }

    let query = "sum by (job) (llm_gateway_requests_total)";
    let limit = Duration::from_secs(60);
    let sums = wait_for(&prom_addr, query, limit, |result| {
        result.len() == 2 && result.iter().all(|s| value(s) == REQUESTS as f64)
    });
    assert_eq!(sums.len(), 2);

    // Histograms arrive whole in both formats, with the same `le` values.
    let counts = wait_for(
        &prom_addr,
        "sum by (job) (llm_gateway_request_duration_seconds_count)",
        limit,
        |result| result.len() == 2 && result.iter().all(|s| value(s) == REQUESTS as f64),
    );
    assert_eq!(counts.len(), 2);
    let inf = wait_for(
        &prom_addr,
        "sum by (job) (llm_gateway_request_duration_seconds_bucket{le=\"+Inf\"})",
        limit,
        |result| result.len() == 2,
    );
    assert!(inf.iter().all(|s| value(s) == REQUESTS as f64), "{inf:?}");

    // Exemplars: stored from the OpenMetrics scrape, each naming a 32-hex-digit trace.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exemplars_path = format!(
        "/api/v1/query_exemplars?query={}&start={}&end={}",
        encode("llm_gateway_request_duration_seconds_bucket{job=\"openmetrics\"}"),
        now - 600,
        now + 600
    );
    let started = Instant::now();
    let exemplars = loop {
        let answer = api(&prom_addr, &exemplars_path);
        let found: Vec<serde_json::Value> = answer["data"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|series| series["exemplars"].as_array().cloned().unwrap_or_default())
            .collect();
        if !found.is_empty() {
            break found;
        }
        if started.elapsed() >= limit {
            let om = http_get(
                &target,
                "/metrics",
                &[("Accept", "application/openmetrics-text;version=1.0.0")],
            )
            .map(|r| r.text())
            .unwrap_or_default();
            let with: Vec<&str> = om
                .lines()
                .filter(|l| l.contains("trace_id"))
                .take(3)
                .collect();
            panic!("no exemplars stored: {answer}; the target exposes {with:?}");
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    for exemplar in &exemplars {
        let trace_id = exemplar["labels"]["trace_id"].as_str().unwrap();
        let span_id = exemplar["labels"]["span_id"].as_str().unwrap();
        assert_eq!((trace_id.len(), span_id.len()), (32, 16), "{exemplar}");
        assert!(trace_id.chars().all(|c| c.is_ascii_hexdigit()));
    }

    let targets = api(&prom_addr, "/api/v1/targets");
    let active = targets["data"]["activeTargets"].as_array().unwrap();
    assert_eq!(active.len(), 2, "{targets}");
    for t in active {
        assert_eq!(t["health"], "up", "{t}");
        assert_eq!(t["lastError"], "", "{t}");
    }

    drop(prometheus);
    drop(demo);
    let _ = std::fs::remove_dir_all(&dir);
}
