//! The LLM gateway demo: simulated chat traffic through several providers, recorded into a
//! `metrics!` schema (requests by status) and by `#[llm_call]` on the provider calls (the GenAI
//! families: duration, tokens, cost from the bundled pricing table), served on `/metrics` while
//! it runs, then printed.
//!
//! ```text
//! cargo run -p obs-examples --bin gateway -- --requests 500 --concurrency 8 --listen 127.0.0.1:9464
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use obs_examples::Args;
use obs_runtime::export::{OtlpConfig, Protocol, exemplar_layer, traces_layer};
use obs_runtime::health::{CheckOptions, CheckResult, Health};
use obs_runtime::llm::Usage;
use obs_runtime::serve::{Server, router};
use obs_runtime::{Bounded, ErrorKind, Format, LabelValue, Registry, llm_call, metrics};

/// Upstream LLM providers.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Provider {
    /// OpenAI.
    OpenAi,
    /// Anthropic.
    Anthropic,
    /// Google.
    Google,
}

/// How a request ended.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Status {
    /// Answered.
    Ok,
    /// Refused by the provider's rate limit.
    RateLimited,
    /// The provider failed.
    UpstreamError,
    /// Gave up waiting.
    Timeout,
}

/// How a simulated provider call failed (its `error.type`).
#[derive(Clone, Copy, Debug, ErrorKind)]
pub enum ProviderError {
    /// Refused by the provider's rate limit.
    RateLimited,
    /// The provider failed.
    UpstreamError,
    /// Gave up waiting.
    Timeout,
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

metrics! {
    /// What the gateway records.
    pub GATEWAY in "llm_gateway" {
        /// Requests handled, by provider and outcome.
        requests_total: Counter { provider: Provider, status: Status },
        /// Request latency, by provider and model.
        #[buckets(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)]
        request_duration_seconds: Histogram { provider: Provider, model: Bounded<16> },
        /// Requests currently being served.
        in_flight_requests: Gauge,
    }
}

const PROVIDERS: [Provider; 3] = [Provider::OpenAi, Provider::Anthropic, Provider::Google];
const STATUSES: [Status; 4] = [
    Status::Ok,
    Status::RateLimited,
    Status::UpstreamError,
    Status::Timeout,
];

/// The models routed to, by provider: all priced in the bundled pricing table.
const MODELS: &[(Provider, &str)] = &[
    (Provider::OpenAi, "gpt-4o"),
    (Provider::OpenAi, "gpt-4o-mini"),
    (Provider::Anthropic, "claude-sonnet-4-6"),
    (Provider::Anthropic, "claude-haiku-4-5"),
    (Provider::Google, "gemini-2.5-pro"),
];

/// A small deterministic generator (SplitMix64), so runs are reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A simulated provider: its latency, then an answer with token usage or a failure.
async fn simulate(rng: &mut Rng, time_scale: f64) -> Result<Usage, ProviderError> {
    let simulated = Duration::from_millis(20 + rng.below(400));
    tokio::time::sleep(simulated.mul_f64(time_scale)).await;
    match rng.below(100) {
        0..=3 => Err(ProviderError::RateLimited),
        4..=5 => Err(ProviderError::UpstreamError),
        6 => Err(ProviderError::Timeout),
        _ => {
            let input = 100 + rng.below(2_000);
            let cached = if rng.below(4) == 0 { input / 2 } else { 0 };
            Ok(Usage {
                input: Some(input),
                output: Some(20 + rng.below(800)),
                cache_read: Some(cached),
                ..Usage::default()
            })
        }
    }
}

// One annotated function per provider: `provider` is a literal, a label fixed per function.

#[llm_call(provider = "openai", model = model, error_kind)]
async fn call_openai(model: &str, rng: &mut Rng, time_scale: f64) -> Result<Usage, ProviderError> {
    simulate(rng, time_scale).await
}

#[llm_call(provider = "anthropic", model = model, error_kind)]
async fn call_anthropic(
    model: &str,
    rng: &mut Rng,
    time_scale: f64,
) -> Result<Usage, ProviderError> {
    simulate(rng, time_scale).await
}

#[llm_call(provider = "gcp.gemini", model = model, error_kind)]
async fn call_gemini(model: &str, rng: &mut Rng, time_scale: f64) -> Result<Usage, ProviderError> {
    simulate(rng, time_scale).await
}

/// One simulated chat completion.
#[obs_runtime::observed(name = "gateway.request", level = "info")]
async fn handle(rng: &mut Rng, time_scale: f64) {
    let (provider, model) = MODELS[rng.below(MODELS.len() as u64) as usize];
    GATEWAY.in_flight_requests.series().inc();
    let timer = GATEWAY
        .request_duration_seconds
        .with((provider, model))
        .start_timer();
    let answer = match provider {
        Provider::OpenAi => call_openai(model, rng, time_scale).await,
        Provider::Anthropic => call_anthropic(model, rng, time_scale).await,
        Provider::Google => call_gemini(model, rng, time_scale).await,
    };
    drop(timer);
    let status = match answer {
        Ok(_) => Status::Ok,
        Err(ProviderError::RateLimited) => Status::RateLimited,
        Err(ProviderError::UpstreamError) => Status::UpstreamError,
        Err(ProviderError::Timeout) => Status::Timeout,
    };
    GATEWAY.requests_total.with((provider, status)).inc();
    GATEWAY.in_flight_requests.series().dec();
}

#[tokio::main]
async fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}\n\n{}", Args::USAGE);
            std::process::exit(2);
        }
    };
    // With a collector, every request is a span (exported), and samples carry exemplars.
    let _traces = match &args.otlp {
        Some(endpoint) => {
            use tracing_subscriber::layer::SubscriberExt;
            let config = OtlpConfig::new("llm-gateway-demo", endpoint.clone(), Protocol::Grpc);
            match traces_layer(&config) {
                Ok((layer, guard)) => {
                    let subscriber = tracing_subscriber::registry()
                        .with(layer)
                        .with(exemplar_layer());
                    if tracing::subscriber::set_global_default(subscriber).is_err() {
                        eprintln!("a tracing subscriber was already installed");
                    }
                    Some(guard)
                }
                Err(e) => {
                    // The error and each cause, as `Display` no longer repeats its source.
                    let mut message = format!("--otlp: {e}");
                    let mut cause = std::error::Error::source(&e);
                    while let Some(inner) = cause {
                        message.push_str(&format!(": {inner}"));
                        cause = inner.source();
                    }
                    eprintln!("{message}");
                    std::process::exit(2);
                }
            }
        }
        None => None,
    };
    // Touch the group so every family is exposed, with HELP and TYPE, before the first request.
    let _ = GATEWAY.get();
    let health = std::sync::Arc::new(Health::new(env!("CARGO_PKG_VERSION")));
    health.add_check("upstream_errors", CheckOptions::default(), || async {
        // Degraded while more than a tenth of the answered requests failed upstream.
        let total: u64 = PROVIDERS
            .iter()
            .flat_map(|p| STATUSES.iter().map(move |s| (*p, *s)))
            .map(|labels| GATEWAY.requests_total.with(labels).get())
            .sum();
        let failed: u64 = PROVIDERS
            .iter()
            .map(|p| {
                GATEWAY
                    .requests_total
                    .with((*p, Status::UpstreamError))
                    .get()
            })
            .sum();
        if total > 0 && failed * 10 > total {
            CheckResult::degraded(format!("{failed} of {total} requests failed upstream"))
        } else {
            CheckResult::healthy()
        }
    });
    let server = match &args.listen {
        Some(addr) => match Server::bind(addr, router(Registry::global(), health)).await {
            Ok(server) => {
                println!("serving http://{}/metrics", server.local_addr());
                Some(server)
            }
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        },
        None => None,
    };

    let next = std::sync::Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..args.concurrency)
        .map(|w| {
            let next = next.clone();
            let (requests, scale) = (args.requests, args.time_scale);
            tokio::spawn(async move {
                let mut rng = Rng(0x5EED ^ w as u64);
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    handle(&mut rng, scale).await;
                }
            })
        })
        .collect();
    for w in workers {
        if let Err(e) = w.await {
            eprintln!("a worker failed: {e}");
        }
    }
    if args.linger > Duration::ZERO && server.is_some() {
        println!("traffic done; still serving for {:?}", args.linger);
        tokio::time::sleep(args.linger).await;
    }
    let format = if args.openmetrics {
        Format::OpenMetrics
    } else {
        Format::Text
    };
    print!("{}", Registry::global().encode(format));
    if let Some(server) = server
        && let Err(e) = server.shutdown().await
    {
        eprintln!("server: {e}");
    }
    let ok: u64 = PROVIDERS
        .iter()
        .map(|p| GATEWAY.requests_total.with((*p, Status::Ok)).get())
        .sum();
    eprintln!("{} requests simulated, {ok} answered", args.requests);
}
