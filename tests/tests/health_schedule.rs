//! Scheduled health checks: thresholds of failed and good runs in a row, step by step; real
//! providers (HTTP servers on loopback) taken down and brought back, seen by their checks within
//! their thresholds, with the aggregate rule's status changing as stated, in the `/health`
//! report and in the metrics alike; failing runs (panics, timeouts), refused schedules, and the
//! exposition of the health families accepted by promtool.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use obs_runtime::health::{
    Aggregate, CheckResult, Health, HealthError, HealthReport, HealthStatus, Schedule,
};
use obs_runtime::serve::{Server, router};
use obs_runtime::{Format, Registry};
use obs_tests::{ParsedFamily, family, http_get, openmetrics_parse, promtool_check, text_parse};
use tokio::sync::{Mutex, mpsc};

const WAIT: Duration = Duration::from_secs(10);

fn registry() -> &'static Registry {
    Box::leak(Box::new(Registry::new()))
}

/// `registry`'s exposition, read by the Python text-format parser.
fn scrape(registry: &Registry) -> Vec<ParsedFamily> {
    text_parse(&registry.encode(Format::Text)).unwrap()
}

/// The one state whose series of `family_name{labels..., state}` is 1, the others being 0.
fn one_state(
    families: &[ParsedFamily],
    family_name: &str,
    labels: &[(&str, &str)],
) -> HealthStatus {
    let ones: Vec<HealthStatus> = HealthStatus::ALL
        .into_iter()
        .filter(|s| {
            let mut labels = labels.to_vec();
            labels.push(("state", s.as_str()));
            let value = family(families, family_name).value(family_name, &labels);
            assert!(
                matches!(value, Some(v) if v == 0.0 || v == 1.0),
                "{labels:?}: {value:?}"
            );
            value == Some(1.0)
        })
        .collect();
    assert_eq!(ones.len(), 1, "{family_name}{labels:?}: {ones:?}");
    ones[0]
}

/// The state the metrics give `check`.
fn metric_state(registry: &Registry, check: &str) -> HealthStatus {
    one_state(
        &scrape(registry),
        "obs_health_check_state",
        &[("check", check)],
    )
}

/// The aggregate the metrics give.
fn metric_status(registry: &Registry) -> HealthStatus {
    one_state(&scrape(registry), "obs_health_status", &[])
}

/// `GET /health` from a server of `health` (and `registry`), as (status code, JSON).
async fn health_over_http(
    registry: &'static Registry,
    health: &Arc<Health>,
) -> (u16, serde_json::Value) {
    let server = Server::bind("127.0.0.1:0", router(registry, health.clone()))
        .await
        .unwrap();
    let addr = server.local_addr().to_string();
    let response = tokio::task::spawn_blocking(move || http_get(&addr, "/health", &[]))
        .await
        .unwrap()
        .unwrap();
    server.shutdown().await.unwrap();
    (
        response.status,
        serde_json::from_slice(&response.body).unwrap(),
    )
}

/// A check whose every run waits for the test to hand it its result, and counts its runs.
struct Stepped {
    results: mpsc::UnboundedSender<CheckResult>,
    started: Arc<AtomicU64>,
}

impl Stepped {
    fn add(health: &Health, name: &str, schedule: Schedule) -> Self {
        let (results, rx) = mpsc::unbounded_channel();
        let rx = Arc::new(Mutex::new(rx));
        let started = Arc::new(AtomicU64::new(0));
        let runs = started.clone();
        health
            .add_scheduled(name, schedule, move || {
                runs.fetch_add(1, Ordering::SeqCst);
                let rx = rx.clone();
                async move {
                    let next = rx.lock().await.recv().await;
                    next.unwrap_or_else(|| CheckResult::unhealthy("the test ended"))
                }
            })
            .unwrap();
        Self { results, started }
    }

    /// Waits until `n` runs have started.
    async fn until_started(&self, n: u64) {
        let deadline = Instant::now() + WAIT;
        while self.started.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "run {n} did not start");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Hands the running run `result`, and returns once it has been taken in (the next run has
    /// started: runs of a check follow each other).
    async fn step(&self, result: CheckResult) {
        let before = self.started.load(Ordering::SeqCst);
        self.results.send(result).unwrap();
        self.until_started(before + 1).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_hold_a_state_until_enough_runs_in_a_row_agree() {
    let health = Arc::new(Health::new("2.0.0"));
    let registry = registry();
    health.register_metrics(registry).unwrap();
    let schedule = Schedule::every(Duration::from_millis(1))
        .timeout(Duration::from_secs(60))
        .unhealthy_after(3)
        .healthy_after(2);
    let check = Stepped::add(&health, "provider", schedule);
    check.until_started(1).await;

    // Before its first run ends, nothing says it works.
    let report = health.report().await;
    assert_eq!(report.checks[0].status, HealthStatus::Unhealthy);
    assert_eq!(report.checks[0].message.as_deref(), Some("not checked yet"));
    assert!(report.checks[0].last_checked.is_none());
    assert_eq!(metric_state(registry, "provider"), HealthStatus::Unhealthy);

    use HealthStatus::{Healthy as H, Unhealthy as U};
    let steps = [
        (CheckResult::healthy(), H, 0),
        (CheckResult::unhealthy("502 from /v1/models"), H, 1),
        (CheckResult::unhealthy("502 from /v1/models"), H, 2),
        (CheckResult::unhealthy("connection refused"), U, 3),
        (CheckResult::healthy().with_detail("models", "12"), U, 0),
        (CheckResult::healthy().with_detail("models", "12"), H, 0),
    ];
    for (i, (result, status, failures)) in steps.into_iter().enumerate() {
        let message = result.message.clone();
        check.step(result).await;
        let report = health.report().await;
        let got = &report.checks[0];
        assert_eq!(
            (got.status, got.consecutive_failures),
            (status, failures),
            "step {i}"
        );
        assert_eq!(got.message, message, "step {i}");
        assert!(got.cached && got.last_checked.is_some());
        assert_eq!(report.status, status, "the worst of one check, step {i}");
        assert_eq!(metric_state(registry, "provider"), status, "step {i}");
        assert_eq!(metric_status(registry), status, "step {i}");
    }

    // The detailed report over HTTP.
    let (code, json) = health_over_http(registry, &health).await;
    assert_eq!(code, 200);
    assert_eq!(json["status"], "healthy");
    assert_eq!(json["version"], "2.0.0");
    assert!(json["uptime_seconds"].as_f64().unwrap() > 0.0);
    let provider = &json["checks"][0];
    assert_eq!(provider["name"], "provider");
    assert_eq!(provider["status"], "healthy");
    assert_eq!(provider["details"]["models"], "12");
    assert_eq!(provider["consecutive_successes"], 2);
    assert!(provider["duration_ms"].as_f64().unwrap() >= 0.0);
    let checked = provider["last_checked"].as_str().unwrap();
    assert!(checked.len() == 24 && checked.ends_with('Z'), "{checked}");
    let duration = family(&scrape(registry), "obs_health_check_duration_seconds").value(
        "obs_health_check_duration_seconds",
        &[("check", "provider")],
    );
    assert!(duration.is_some_and(|s| s >= 0.0), "{duration:?}");
}

/// A simulated provider: `GET /v1/models` answers 200.
async fn provider(addr: &str) -> Server {
    let app = Router::new().route("/v1/models", get(|| async { "{\"data\":[]}" }));
    // A port just released may take a moment to bind again.
    let deadline = Instant::now() + WAIT;
    loop {
        match Server::bind(addr, app.clone()).await {
            Ok(server) => return server,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Whether the provider at `addr` answers `GET /v1/models` with 200.
async fn probe(addr: String) -> CheckResult {
    let answer = tokio::task::spawn_blocking(move || http_get(&addr, "/v1/models", &[])).await;
    match answer {
        Ok(Ok(response)) if response.status == 200 => CheckResult::healthy(),
        Ok(Ok(response)) => CheckResult::unhealthy(format!("status {}", response.status)),
        Ok(Err(e)) => CheckResult::unhealthy(e.to_string()),
        Err(e) => CheckResult::unhealthy(e.to_string()),
    }
}

/// Reports until `done` holds, or panics after [`WAIT`].
async fn report_until(
    health: &Health,
    what: &str,
    done: impl Fn(&HealthReport) -> bool,
) -> HealthReport {
    let deadline = Instant::now() + WAIT;
    loop {
        let report = health.report().await;
        if done(&report) {
            return report;
        }
        assert!(Instant::now() < deadline, "{what}: {report:#?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn statuses(report: &HealthReport) -> Vec<HealthStatus> {
    report.checks.iter().map(|c| c.status).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_down_and_back_move_the_aggregate_as_stated() {
    use HealthStatus::{Degraded, Healthy as H, Unhealthy as U};
    // Unhealthy below 50 % healthy providers, degraded below 100 %.
    let rule = Aggregate::healthy_share(0.5, 1.0).unwrap();
    let health = Arc::new(Health::new("1").with_aggregate(rule));
    let registry = registry();
    health.register_metrics(registry).unwrap();
    let mut servers = Vec::new();
    let mut addrs = Vec::new();
    for i in 0..4 {
        let server = provider("127.0.0.1:0").await;
        let addr = server.local_addr().to_string();
        let schedule = Schedule::every(Duration::from_millis(20))
            .timeout(Duration::from_secs(1))
            .unhealthy_after(2)
            .healthy_after(2);
        let probed = addr.clone();
        health
            .add_scheduled(format!("provider-{i}"), schedule, move || {
                probe(probed.clone())
            })
            .unwrap();
        servers.push(Some(server));
        addrs.push(addr);
    }
    let all_up = report_until(&health, "all providers up", |r| statuses(r) == [H; 4]).await;
    assert_eq!(all_up.status, H);
    assert_eq!(metric_status(registry), H);

    // One down: degraded, seen after its two failed runs in a row.
    let taken_down = Instant::now();
    servers[0].take().unwrap().shutdown().await.unwrap();
    let report = report_until(&health, "provider-0 unhealthy", |r| r.checks[0].status == U).await;
    assert!(report.checks[0].consecutive_failures >= 2, "{report:#?}");
    assert!(taken_down.elapsed() < Duration::from_secs(5));
    assert_eq!(statuses(&report)[1..], [H; 3]);
    assert_eq!(report.status, Degraded);
    assert_eq!(metric_state(registry, "provider-0"), U);
    assert_eq!(metric_status(registry), Degraded);

    // Three down: 25 % healthy, unhealthy; `/health` answers 503.
    for server in &mut servers[1..3] {
        server.take().unwrap().shutdown().await.unwrap();
    }
    let report = report_until(&health, "three down", |r| statuses(r) == [U, U, U, H]).await;
    assert_eq!(report.status, U);
    assert_eq!(metric_status(registry), U);
    let (code, json) = health_over_http(registry, &health).await;
    assert_eq!(code, 503);
    assert_eq!(json["status"], "unhealthy");
    assert_eq!(json["checks"][1]["status"], "unhealthy");
    assert!(json["checks"][1]["message"].as_str().is_some());

    // Two back (exactly half healthy is not below half): degraded; all back: healthy.
    for i in 1..3 {
        servers[i] = Some(provider(&addrs[i]).await);
    }
    let report = report_until(&health, "two back", |r| statuses(r) == [U, H, H, H]).await;
    assert_eq!(report.status, Degraded);
    assert_eq!(metric_status(registry), Degraded);
    servers[0] = Some(provider(&addrs[0]).await);
    let report = report_until(&health, "all back", |r| statuses(r) == [H; 4]).await;
    assert_eq!(report.status, H);
    assert!(report.checks[0].consecutive_successes >= 2);
    assert_eq!(metric_state(registry, "provider-0"), H);
    assert_eq!(metric_status(registry), H);
    for server in servers.into_iter().flatten() {
        server.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_panics_or_hangs_fails() {
    let health = Health::new("1");
    let once = Schedule::every(Duration::from_secs(3600)).unhealthy_after(1);
    health
        .add_scheduled("panics", once, || async { panic!("the probe failed") })
        .unwrap();
    health
        .add_scheduled("hangs", once.timeout(Duration::from_millis(50)), || async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            CheckResult::healthy()
        })
        .unwrap();
    let report = report_until(&health, "both checked", |r| {
        r.checks.iter().all(|c| c.last_checked.is_some())
    })
    .await;
    assert_eq!(
        report.checks[0].message.as_deref(),
        Some("the check panicked")
    );
    assert_eq!(
        report.checks[1].message.as_deref(),
        Some("no answer within 50 ms")
    );
    assert!(
        report
            .checks
            .iter()
            .all(|c| c.status == HealthStatus::Unhealthy)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_that_cannot_run_are_refused() {
    let health = Health::new("1");
    let every = Schedule::every(Duration::from_secs(1));
    let healthy = || async { CheckResult::healthy() };
    let refused = |schedule: Schedule| health.add_scheduled("bad", schedule, healthy).unwrap_err();
    assert_eq!(
        refused(Schedule::every(Duration::ZERO)).to_string(),
        "health check `bad`: invalid schedule: the interval is zero"
    );
    assert!(matches!(
        refused(every.unhealthy_after(0)),
        HealthError::InvalidSchedule { .. }
    ));
    assert!(matches!(
        refused(every.healthy_after(0)),
        HealthError::InvalidSchedule { .. }
    ));
    assert!(matches!(
        refused(every.timeout(Duration::ZERO)),
        HealthError::InvalidSchedule { .. }
    ));
    health.add_scheduled("db", every, healthy).unwrap();
    assert_eq!(
        health.add_scheduled("db", every, healthy).unwrap_err(),
        HealthError::DuplicateCheck("db".into())
    );
}

#[test]
fn a_scheduled_check_needs_a_runtime() {
    let health = Health::new("1");
    let err = health
        .add_scheduled("db", Schedule::every(Duration::from_secs(1)), || async {
            CheckResult::healthy()
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "health check `db`: a scheduled check must be added inside a tokio runtime"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exposition_of_the_health_families_is_valid() {
    let health = Arc::new(Health::new("1"));
    let registry = registry();
    health.register_metrics(registry).unwrap();
    // Registering again into the same registry is nothing; another registry's families clash.
    health.register_metrics(registry).unwrap();
    assert!(
        Arc::new(Health::new("2"))
            .register_metrics(registry)
            .is_err()
    );
    let once = Schedule::every(Duration::from_secs(3600));
    for (name, result) in [
        ("up", CheckResult::healthy()),
        ("slow", CheckResult::degraded("p95 over 2 s")),
        ("down", CheckResult::unhealthy("refused")),
    ] {
        health
            .add_scheduled(name, once, move || std::future::ready(result.clone()))
            .unwrap();
    }
    report_until(&health, "every check ran", |r| {
        r.checks.iter().all(|c| c.last_checked.is_some())
    })
    .await;
    let text = registry.encode(Format::Text);
    promtool_check(&text).unwrap();
    let states = text_parse(&text).unwrap();
    let states = family(&states, "obs_health_check_state");
    assert_eq!(states.kind, "gauge");
    assert_eq!(states.samples.len(), 9, "three checks, three states each");
    assert_eq!(metric_state(registry, "up"), HealthStatus::Healthy);
    assert_eq!(metric_state(registry, "slow"), HealthStatus::Degraded);
    assert_eq!(metric_state(registry, "down"), HealthStatus::Unhealthy);
    assert_eq!(metric_status(registry), HealthStatus::Unhealthy);
    openmetrics_parse(&registry.encode(Format::OpenMetrics)).unwrap();
}
