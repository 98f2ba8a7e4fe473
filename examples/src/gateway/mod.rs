//! The LLM gateway demo: an OpenAI-compatible gateway on loopback, in front of three simulated
//! providers that run as HTTP servers of their own in the same process, instrumented with obs.
//!
//! - `#[observed]` on routing, `#[llm_call]` on every provider call (streamed or not), and
//!   `#[audited]` on the admin route that changes routing (refusals included) and on rate-limit
//!   refusals, into a hash-chained audit log (HMAC-keyed with `OBS_AUDIT_HMAC_KEY`) that the
//!   report verifies;
//! - obs' HTTP layer on the gateway and on every provider, so one trace runs from the gateway's
//!   server span through the `#[llm_call]` client span to the provider's server span;
//! - the families of a production gateway, recorded by its own logic (`families`): circuit
//!   breaker states, retries by attempt, rate-limit refusals by limit, cache hits and misses,
//!   queue depth; provider health from scheduled checks; `/metrics` and `/health`;
//! - OTLP export of spans and metrics with `--otlp-endpoint`.
//!
//! With `--requests N` it sends its own load through real HTTP and prints a report read back
//! from its metrics beside the simulation's ground truth (`truth`); see [`main`].

mod activity;
mod admin;
mod app;
mod args;
mod attempts;
mod audit_log;
mod breaker;
mod cache;
mod catalog;
mod clients;
mod families;
mod health;
mod limiter;
mod load;
mod provider;
mod queue;
mod relay;
mod report;
mod rng;
mod routing;
mod sse;
mod truth;
mod upstream;
mod wire;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use obs_runtime::Registry;
use obs_runtime::audit::AuditError;
use obs_runtime::export::{
    ExportError, MetricsGuard, OtlpConfig, TracesGuard, exemplar_layer, start_metrics_export,
    traces_layer,
};
use obs_runtime::health::HealthError;
use obs_runtime::serve::{ServeError, Server};

pub use audit_log::AuditSummary;
pub use report::{GenAiTokens, Quantiles, Report};
pub use truth::{GroundTruth, TokenCounts};

use activity::settle;
use args::{Args, ArgsError, USAGE};
use catalog::Provider;
use clients::{ADMIN_KEY_ENV, ADMIN_KEY_HEADER, AdminKey};

/// Why the demo stopped.
#[derive(Debug)]
pub enum DemoError {
    /// A server could not start.
    Serve(ServeError),
    /// The health checks could not be set up.
    Health(HealthError),
    /// OTLP export could not be set up.
    Export(ExportError),
    /// A file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime could not start.
    Runtime(std::io::Error),
    /// The audit log could not be opened or written.
    Audit(AuditError),
    /// Some requests were still unaccounted for long after the load ended.
    Unsettled,
}

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DemoError::Serve(_) => f.write_str("cannot start a server"),
            DemoError::Health(_) => f.write_str("cannot set up the health checks"),
            DemoError::Export(_) => f.write_str("cannot set up OTLP export"),
            DemoError::Write { path, .. } => write!(f, "cannot write {}", path.display()),
            DemoError::Runtime(_) => f.write_str("cannot start the async runtime"),
            DemoError::Audit(_) => f.write_str("the audit log failed"),
            DemoError::Unsettled => {
                f.write_str("requests were still open 10 s after the load ended")
            }
        }
    }
}

impl std::error::Error for DemoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DemoError::Serve(e) => Some(e),
            DemoError::Health(e) => Some(e),
            DemoError::Export(e) => Some(e),
            DemoError::Audit(e) => Some(e),
            DemoError::Write { source, .. } | DemoError::Runtime(source) => Some(source),
            DemoError::Unsettled => None,
        }
    }
}

/// `error` and its causes, joined by `: `.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// Runs the demo with the process's arguments.
pub fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(ArgsError::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(ArgsError::Invalid(message)) => {
            eprintln!("gateway: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DemoError::Runtime)
        .and_then(|runtime| {
            let export = runtime.block_on(async { export(&args) })?;
            let result = runtime.block_on(run(&args));
            drop(export);
            result
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gateway: {}", chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// What keeps OTLP export running.
struct Export {
    _traces: TracesGuard,
    metrics: Option<MetricsGuard>,
}

impl Drop for Export {
    fn drop(&mut self) {
        if let Some(metrics) = self.metrics.take() {
            metrics.shutdown();
        }
    }
}

/// With `--otlp-endpoint`: spans (of obs and of the demo, not of the exporter's own transport)
/// and every metric family exported, and exemplars on the samples.
fn export(args: &Args) -> Result<Option<Export>, DemoError> {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;

    let Some(endpoint) = &args.otlp_endpoint else {
        return Ok(None);
    };
    let mut config = OtlpConfig::new("llm-gateway-demo", endpoint.clone(), args.otlp_protocol);
    config.service_version = Some(env!("CARGO_PKG_VERSION").to_owned());
    config.batch.delay = Duration::from_millis(200);
    let (layer, traces) = traces_layer(&config).map_err(DemoError::Export)?;
    let ours = Targets::new()
        .with_target("obs", tracing::Level::TRACE)
        .with_target("obs_examples", tracing::Level::TRACE);
    let subscriber = tracing_subscriber::registry()
        .with(layer.with_filter(ours))
        .with(exemplar_layer());
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        eprintln!("gateway: a tracing subscriber was already installed; spans are not exported");
    }
    let metrics = start_metrics_export(&config, Registry::global(), Duration::from_secs(5))
        .map_err(DemoError::Export)?;
    Ok(Some(Export {
        _traces: traces,
        metrics: Some(metrics),
    }))
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), DemoError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    std::fs::write(path, text + "\n").map_err(|source| DemoError::Write {
        path: path.to_owned(),
        source,
    })
}

async fn run(args: &Args) -> Result<(), DemoError> {
    let audit_dir = args
        .audit_dir
        .clone()
        .unwrap_or_else(audit_log::default_dir);
    let audit = audit_log::open(&audit_dir).map_err(DemoError::Audit)?;
    let result = serve(args, &audit).await;
    // Writes what is queued and syncs; the log is closed for the rest of the process.
    let closed = audit.shutdown().map_err(DemoError::Audit);
    result.and(closed)
}

async fn serve(args: &Args, audit: &obs_runtime::audit::AuditLog) -> Result<(), DemoError> {
    let truth = Arc::new(truth::Truth::default());
    let mut providers = Vec::new();
    for p in Provider::ALL {
        let config = args.providers[p as usize];
        let running = provider::start(p, config, args.seed, Arc::clone(&truth))
            .await
            .map_err(DemoError::Serve)?;
        providers.push(running);
    }
    let addrs = [0, 1, 2].map(|i| providers[i].server.local_addr());
    let upstream = upstream::Upstream::new(upstream::http_client(), addrs);
    let admin_key = AdminKey::from_env_or_random();
    let gateway = Arc::new(app::Gateway::new(
        upstream,
        admin_key.clone(),
        app::Settings::default(),
    ));
    let health = health::provider_checks(
        env!("CARGO_PKG_VERSION"),
        Arc::clone(&gateway.upstream),
        args.health_interval,
    )
    .map_err(DemoError::Health)?;
    let server = Server::bind(args.listen(), app::router(Arc::clone(&gateway), health))
        .await
        .map_err(DemoError::Serve)?;
    let addr = server.local_addr();
    println!("gateway listening on http://{addr} (OpenAI base URL http://{addr}/v1)");
    for (p, running) in Provider::ALL.iter().zip(&providers) {
        println!(
            "provider {} on http://{}/{}/v1",
            p.name(),
            running.server.local_addr(),
            p.slug()
        );
    }
    println!("audit log: {}", audit.dir().display());
    match args.requests {
        None => {
            println!(
                "try: curl -s http://{addr}/v1/chat/completions -H 'Authorization: Bearer sk-demo-alice' \
                 -H 'Content-Type: application/json' -d '{{\"model\": \"gpt-4o-mini\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hi\"}}]}}'"
            );
            println!(
                "admin key ({ADMIN_KEY_ENV} sets it): {}  (POST /admin/routes with {ADMIN_KEY_HEADER})",
                admin_key.reveal()
            );
            println!(
                "metrics: http://{addr}/metrics   health: http://{addr}/health   Ctrl-C stops"
            );
            let _ = tokio::signal::ctrl_c().await;
        }
        Some(requests) => {
            let plan = load::LoadPlan {
                seed: args.seed,
                requests,
                concurrency: args.concurrency,
            };
            load::drive(addr, admin_key, plan, Arc::clone(&truth)).await;
            let mut open = vec![&gateway.activity];
            open.extend(providers.iter().map(|p| &p.activity));
            if !settle(&open, Duration::from_secs(10)).await {
                return Err(DemoError::Unsettled);
            }
            println!("traffic done");
            let mut report = Report::read();
            report.audit = Some(audit_log::summary(audit).map_err(DemoError::Audit)?);
            let ground_truth = truth.snapshot();
            print!("{}", report.render(&ground_truth));
            match &args.ground_truth {
                Some(path) => write_json(path, &ground_truth)?,
                None => println!(
                    "ground truth: {}",
                    serde_json::to_string(&ground_truth).unwrap_or_default()
                ),
            }
            if let Some(path) = &args.report_json {
                write_json(path, &report)?;
            }
            if !args.linger.is_zero() {
                println!("still serving for {:?}", args.linger);
                tokio::time::sleep(args.linger).await;
            }
        }
    }
    let stopping = async {
        let _ = server.shutdown().await;
        for running in providers {
            let _ = running.server.shutdown().await;
        }
    };
    // In-flight streams (a stalled provider's, say) are not waited for long.
    let _ = tokio::time::timeout(Duration::from_secs(5), stopping).await;
    Ok(())
}
