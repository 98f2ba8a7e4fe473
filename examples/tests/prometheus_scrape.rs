//! A real Prometheus server (Debian package `prometheus`, installed by
//! `scripts/install-validators.sh`) scrapes the running demo on loopback, once with its default
//! negotiation (OpenMetrics) and once forced to the text format; PromQL over what it scraped
//! gives the simulation's ground truth in both: requests by outcome, cache hits, provider calls
//! by outcome, tokens by type, cost. Both targets are healthy with an empty `lastError`, and the
//! exemplars of the OpenMetrics scrape (the demo's spans are sampled) are queried back.

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Demo, EVENTFUL, same_cost};
use obs_tests::{KillOnDrop as Running, free_port, http_get};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

/// Prometheus' JSON answer to `path`.
fn api(addr: &str, path: &str) -> Value {
    let response = http_get(addr, path, &[]).unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    serde_json::from_slice(&response.body).unwrap()
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

/// `query`'s result vector.
fn query(addr: &str, query: &str) -> Vec<Value> {
    let answer = api(addr, &format!("/api/v1/query?query={}", encode(query)));
    answer["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn value(sample: &Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

/// `query` (grouped by `job` and `by`) as job -> value of `by` (empty when absent) -> value.
fn by_job(addr: &str, query_text: &str, by: &str) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for sample in query(addr, query_text) {
        let job = sample["metric"]["job"].as_str().unwrap().to_owned();
        let key = sample["metric"][by].as_str().unwrap_or("").to_owned();
        let v = value(&sample);
        if v != 0.0 {
            out.entry(job).or_default().insert(key, v);
        }
    }
    out
}

fn as_floats(map: &BTreeMap<String, u64>) -> BTreeMap<String, f64> {
    map.iter().map(|(k, v)| (k.clone(), *v as f64)).collect()
}

#[test]
fn a_real_prometheus_scrapes_both_formats_and_promql_gives_the_ground_truth() {
    let dead_collector = format!("http://127.0.0.1:{}", free_port());
    let mut args = vec![
        "--requests",
        "120",
        "--linger-secs",
        "120",
        // Spans are sampled (so samples carry exemplars); nothing listens there, and the lost
        // spans are counted, not waited for.
        "--otlp-endpoint",
        &dead_collector,
    ];
    args.extend_from_slice(EVENTFUL);
    let mut demo = Demo::start("prometheus", &args);
    let target = demo.gateway.clone();

    // Prometheus, scraping every second: job `openmetrics` with its default Accept header
    // (OpenMetrics first), job `text` forced to the text format.
    let dir = demo.dir.join("prometheus");
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
    let prom = format!("127.0.0.1:{}", free_port());
    let log = dir.join("prometheus.log");
    let prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--web.listen-address={prom}"))
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
    while !http_get(&prom, "/-/ready", &[]).is_ok_and(|r| r.status == 200) {
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

    // The traffic is over and its ground truth written once the demo says it still serves.
    demo.line_starting("still serving");
    let truth = demo.truth();
    let total: u64 = truth.requests.values().sum();
    assert_eq!(total, 120);

    // Both jobs have scraped the final counts.
    let started = Instant::now();
    loop {
        let sums = by_job(&prom, "sum by (job) (llm_gateway_requests_total)", "");
        let done = ["openmetrics", "text"]
            .iter()
            .all(|job| sums.get(*job).and_then(|m| m.get("")) == Some(&(total as f64)));
        if done {
            break;
        }
        assert!(
            started.elapsed() < LIMIT,
            "never scraped the final counts: {sums:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    let requests = by_job(
        &prom,
        "sum by (job, outcome) (llm_gateway_requests_total)",
        "outcome",
    );
    let hits = by_job(
        &prom,
        "sum by (job) (llm_gateway_cache_lookups_total{result=\"hit\"})",
        "",
    );
    let calls = by_job(
        &prom,
        "sum by (job, error_type) (gen_ai_client_operation_duration_seconds_count)",
        "error_type",
    );
    let tokens = by_job(
        &prom,
        "sum by (job, token_type) (llm_gateway_tokens_total)",
        "token_type",
    );
    let genai = by_job(
        &prom,
        "sum by (job, gen_ai_token_type) (gen_ai_client_token_usage_sum)",
        "gen_ai_token_type",
    );
    let cost = by_job(&prom, "sum by (job) (obs_llm_cost_usd_total)", "");
    let t = truth.tokens;
    for job in ["openmetrics", "text"] {
        assert_eq!(requests[job], as_floats(&truth.requests), "{job}");
        assert_eq!(hits[job][""], truth.cache_hits as f64, "{job}");
        let calls: BTreeMap<String, f64> = calls[job]
            .iter()
            .map(|(error_type, n)| {
                let outcome = match error_type.as_str() {
                    "" => "ok",
                    "cancelled" => "disconnected",
                    other => other,
                };
                (outcome.to_owned(), *n)
            })
            .collect();
        assert_eq!(calls, as_floats(&truth.provider_calls), "{job}");
        let expected: BTreeMap<String, f64> = [
            ("input", t.input),
            ("cache_read", t.cache_read),
            ("output", t.output),
            ("reasoning", t.reasoning),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v as f64))
        .collect();
        assert_eq!(tokens[job], expected, "{job}");
        assert_eq!(genai[job]["input"], t.input as f64, "{job}");
        assert_eq!(genai[job]["output"], t.output as f64, "{job}");
        assert!(
            same_cost(cost[job][""], truth.cost_usd),
            "{job}: {cost:?} vs {}",
            truth.cost_usd
        );
    }
    assert!(
        truth
            .provider_calls
            .get("disconnected")
            .is_some_and(|n| *n > 0),
        "{truth:#?}"
    );

    // Exemplars: stored from the OpenMetrics scrape, each naming a 32-hex-digit trace.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exemplars_path = format!(
        "/api/v1/query_exemplars?query={}&start={}&end={}",
        encode("llm_gateway_requests_total{job=\"openmetrics\"}"),
        now - 600,
        now + 600
    );
    let started = Instant::now();
    let exemplars = loop {
        let answer = api(&prom, &exemplars_path);
        let found: Vec<Value> = answer["data"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|series| series["exemplars"].as_array().cloned().unwrap_or_default())
            .collect();
        if !found.is_empty() {
            break found;
        }
        assert!(started.elapsed() < LIMIT, "no exemplars stored: {answer}");
        std::thread::sleep(Duration::from_millis(250));
    };
    for exemplar in &exemplars {
        let trace_id = exemplar["labels"]["trace_id"].as_str().unwrap();
        let span_id = exemplar["labels"]["span_id"].as_str().unwrap();
        assert_eq!((trace_id.len(), span_id.len()), (32, 16), "{exemplar}");
        assert!(trace_id.chars().all(|c| c.is_ascii_hexdigit()));
    }

    let targets = api(&prom, "/api/v1/targets");
    let active = targets["data"]["activeTargets"].as_array().unwrap();
    assert_eq!(active.len(), 2, "{targets}");
    for t in active {
        assert_eq!(t["health"], "up", "{t}");
        assert_eq!(t["lastError"], "", "{t}");
    }
    drop(prometheus);
}
