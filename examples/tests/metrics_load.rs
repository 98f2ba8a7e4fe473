//! `/metrics` under concurrent load while the demo keeps recording: several client threads scrape
//! over loopback for a bounded time; every response must be a 200 with a complete exposition.
//! The latency percentiles are printed (and reported in BENCHMARKS.md), never asserted.

mod common;

use std::time::{Duration, Instant};

use common::Demo;
use obs_tests::http_get;

const CLIENTS: usize = 8;
const DURATION: Duration = Duration::from_secs(5);

#[test]
fn metrics_endpoint_under_concurrent_scrapes_while_recording() {
    // The demo sends itself more requests than it can finish in the test: it records all along.
    let demo = Demo::start("load", &["--requests", "100000000", "--concurrency", "8"]);
    let addr = demo.gateway.clone();

    let deadline = Instant::now() + DURATION;
    let results: Vec<(Vec<Duration>, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let addr = addr.clone();
                s.spawn(move || {
                    let mut latencies = Vec::new();
                    let mut errors = Vec::new();
                    let accept = if i % 2 == 0 {
                        "application/openmetrics-text;version=1.0.0"
                    } else {
                        "text/plain;version=0.0.4"
                    };
                    while Instant::now() < deadline {
                        let started = Instant::now();
                        match http_get(&addr, "/metrics", &[("Accept", accept)]) {
                            Ok(r) if r.status == 200 => {
                                latencies.push(started.elapsed());
                                let body = r.text();
                                let complete = if i % 2 == 0 {
                                    body.contains("# TYPE llm_gateway_requests counter")
                                        && body.ends_with("# EOF\n")
                                } else {
                                    body.contains("# TYPE llm_gateway_requests_total counter")
                                };
                                if !complete {
                                    errors.push(format!("incomplete exposition: {body:?}"));
                                }
                            }
                            Ok(r) => errors.push(format!("status {}", r.status)),
                            Err(e) => errors.push(e.to_string()),
                        }
                    }
                    (latencies, errors)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let errors: Vec<&String> = results.iter().flat_map(|(_, e)| e).collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    let mut latencies: Vec<Duration> = results.into_iter().flat_map(|(l, _)| l).collect();
    latencies.sort_unstable();
    assert!(
        latencies.len() > CLIENTS,
        "too few scrapes: {}",
        latencies.len()
    );
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "metrics load: {} scrapes by {CLIENTS} clients in {DURATION:?} while recording; p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        latencies.last().unwrap()
    );
}
