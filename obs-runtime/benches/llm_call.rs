//! Per-call and per-chunk overhead of `#[llm_call]` (issue 8), side by side in one run with what a
//! user would write instead: the same GenAI measurements recorded by hand through the
//! OpenTelemetry SDK's metrics API.
//!
//! - `llm_call` (no `tracing` subscriber, before any dispatcher exists): a sync function returning
//!   a response whose usage is read through `HasUsage` (1200 input tokens of which 1000 cached,
//!   40 output of which 8 reasoning), priced by the bundled table (`openai` / `gpt-4o`), so every
//!   call computes and records a cost of four kinds. Variants: the plain function;
//!   `#[llm_call(span = false)]`; `#[llm_call]` with its span (no subscriber); the plain function
//!   recorded by hand with the OTel SDK (an `SdkMeterProvider` with a periodic reader whose
//!   interval is longer than the run, so nothing is exported during it): `Instant` around the call, the duration histogram, the token
//!   histogram twice (input, output), the cost counter once per priced kind, the cost computed
//!   with obs' own `ModelPrice::cost` (so only the recording differs); once with attributes built
//!   per call with `KeyValue::new` as the OTel docs show (the model, a `&str` argument, copied
//!   into each attribute set), once with every attribute set built before the run.
//! - `llm_stream`: a plain `impl Stream` of 1,000 chunks (the last carrying usage) consumed to the
//!   end, and the same function under `#[llm_call(stream)]`, with and without its span.
//!
//! - `llm_floor`: one locked add, one TSC read, and what the measurements cost as bare atomics:
//!   two TSC reads and the 15 locked adds a priced call does; one TSC read and two locked adds
//!   per chunk.
//!
//! Every function is `#[inline(never)]` and takes its model through `black_box`; streams are
//! driven by the same poll loop with a no-op waker (every chunk is ready at once).
//! `scripts/bench-llm.sh` turns the results into the tables of `BENCHMARKS.md`.

use std::hint::black_box;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_core::Stream;
use obs_runtime::llm::{HasUsage, ModelPrice, TokenKind, Usage};
use obs_runtime::{Format, Registry, llm_call};
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, MeterProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};

const PROVIDER: &str = "openai";
const MODEL: &str = "gpt-4o";
/// Chunks per benchmarked stream.
const CHUNKS: u32 = 1_000;

// ---------------------------------------------------------------------------------------------
// The response and chunk types.

/// A response with its token counts, as a provider client's typed response would carry them.
#[derive(Clone, Copy, Debug)]
struct Response {
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
}

const RESPONSE: Response = Response {
    input: 1200,
    cached: 1000,
    output: 40,
    reasoning: 8,
};

impl HasUsage for Response {
    #[inline]
    fn usage(&self) -> Option<Usage> {
        Some(Usage {
            input: Some(self.input),
            output: Some(self.output),
            cache_read: Some(self.cached),
            cache_creation: None,
            reasoning: Some(self.reasoning),
        })
    }
}

/// One chunk of a stream; the last one reports the call's usage.
#[derive(Clone, Copy, Debug)]
struct Chunk {
    index: u32,
}

impl HasUsage for Chunk {
    #[inline]
    fn usage(&self) -> Option<Usage> {
        (self.index + 1 == CHUNKS).then(|| Usage {
            input: Some(30),
            output: Some(u64::from(CHUNKS)),
            ..Usage::default()
        })
    }
}

/// A stream of [`CHUNKS`] chunks, every one ready at once.
struct Chunks {
    next: u32,
}

impl Stream for Chunks {
    type Item = Chunk;

    #[inline]
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Chunk>> {
        if self.next == CHUNKS {
            return Poll::Ready(None);
        }
        let index = self.next;
        self.next += 1;
        Poll::Ready(Some(Chunk { index }))
    }
}

// ---------------------------------------------------------------------------------------------
// The functions, identical but for the attribute.

#[inline(never)]
fn plain_chat(model: &str) -> Response {
    black_box(model);
    RESPONSE
}

#[llm_call(provider = "openai", model = model, span = false)]
#[inline(never)]
fn obs_chat_no_span(model: &str) -> Response {
    black_box(model);
    RESPONSE
}

#[llm_call(provider = "openai", model = model)]
#[inline(never)]
fn obs_chat(model: &str) -> Response {
    black_box(model);
    RESPONSE
}

#[inline(never)]
fn plain_stream(model: &str) -> impl Stream<Item = Chunk> {
    black_box(model);
    Chunks { next: 0 }
}

#[llm_call(provider = "openai", model = model, stream, span = false)]
#[inline(never)]
fn obs_stream_no_span(model: &str) -> impl Stream<Item = Chunk> {
    black_box(model);
    Chunks { next: 0 }
}

#[llm_call(provider = "openai", model = model, stream)]
#[inline(never)]
fn obs_stream(model: &str) -> impl Stream<Item = Chunk> {
    black_box(model);
    Chunks { next: 0 }
}

/// Consumes `stream` to its end with a no-op waker; returns how many chunks it gave.
#[inline(always)]
fn drain<S: Stream<Item = Chunk>>(stream: S) -> u32 {
    let mut stream = pin!(stream);
    let mut cx = Context::from_waker(Waker::noop());
    let mut n = 0;
    loop {
        match stream.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(chunk)) => {
                black_box(chunk);
                n += 1;
            }
            Poll::Ready(None) => return n,
            Poll::Pending => unreachable!("every chunk is ready at once"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The peer: the same measurements recorded by hand with the OpenTelemetry SDK.

/// The exporter of the peer's periodic reader, whose interval is longer than the run: it only
/// keeps the names of the metrics it was given, read after the run through a forced flush.
#[derive(Debug, Clone, Default)]
struct NamesExporter(Arc<Mutex<Vec<String>>>);

impl PushMetricExporter for NamesExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let mut names = self.0.lock().expect("not poisoned");
        for scope in metrics.scope_metrics() {
            names.extend(scope.metrics().map(|m| m.name().to_owned()));
        }
        Ok(())
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

/// The instruments a user would create once, the price looked up once.
struct Otel {
    exported: NamesExporter,
    provider: SdkMeterProvider,
    duration: Histogram<f64>,
    tokens: Histogram<u64>,
    cost: Counter<f64>,
    price: ModelPrice,
}

impl Otel {
    fn new() -> Self {
        let exported = NamesExporter::default();
        // An export every hour: never during the run.
        let reader = PeriodicReader::builder(exported.clone())
            .with_interval(Duration::from_secs(3600))
            .build();
        let provider = SdkMeterProvider::builder().with_reader(reader).build();
        let meter = provider.meter("llm-bench");
        let duration = meter
            .f64_histogram("gen_ai.client.operation.duration")
            .with_unit("s")
            .with_boundaries(obs_runtime::llm::semconv::OPERATION_DURATION_BUCKETS.to_vec())
            .build();
        let tokens = meter
            .u64_histogram("gen_ai.client.token.usage")
            .with_unit("{token}")
            .with_boundaries(obs_runtime::llm::semconv::TOKEN_USAGE_BUCKETS.to_vec())
            .build();
        let cost = meter.f64_counter("llm.cost").with_unit("USD").build();
        let price = obs_runtime::llm::pricing()
            .get(PROVIDER, MODEL)
            .cloned()
            .expect("the bundled table prices openai gpt-4o");
        Self {
            exported,
            provider,
            duration,
            tokens,
            cost,
            price,
        }
    }

    /// The names of the instruments holding data, exported by a forced flush.
    fn recorded(&self) -> Vec<String> {
        self.provider.force_flush().expect("flushes");
        self.exported.0.lock().expect("not poisoned").clone()
    }
}

const OPERATION_NAME: &str = "gen_ai.operation.name";
const PROVIDER_NAME: &str = "gen_ai.provider.name";
const REQUEST_MODEL: &str = "gen_ai.request.model";
const TOKEN_TYPE: &str = "gen_ai.token.type";
const COST_KIND: &str = "obs.llm.cost.kind";

/// The plain function timed and recorded by hand, attributes built per call with
/// `KeyValue::new` (the model, a borrowed `&str`, copied into a `String` for each set).
#[inline(never)]
fn otel_chat(otel: &Otel, model: &str) -> Response {
    let start = Instant::now();
    let response = plain_chat(model);
    let seconds = start.elapsed().as_secs_f64();
    otel.duration.record(
        seconds,
        &[
            KeyValue::new(OPERATION_NAME, "chat"),
            KeyValue::new(PROVIDER_NAME, PROVIDER),
            KeyValue::new(REQUEST_MODEL, model.to_owned()),
        ],
    );
    if let Some(usage) = response.usage() {
        for (kind, count) in [("input", usage.input), ("output", usage.output)] {
            if let Some(count) = count {
                otel.tokens.record(
                    count,
                    &[
                        KeyValue::new(OPERATION_NAME, "chat"),
                        KeyValue::new(PROVIDER_NAME, PROVIDER),
                        KeyValue::new(REQUEST_MODEL, model.to_owned()),
                        KeyValue::new(TOKEN_TYPE, kind),
                    ],
                );
            }
        }
        let cost = otel.price.cost(&usage);
        for (kind, dollars) in cost.by_kind() {
            if dollars > 0.0 {
                otel.cost.add(
                    dollars,
                    &[
                        KeyValue::new(OPERATION_NAME, "chat"),
                        KeyValue::new(PROVIDER_NAME, PROVIDER),
                        KeyValue::new(REQUEST_MODEL, model.to_owned()),
                        KeyValue::new(COST_KIND, kind.as_str()),
                    ],
                );
            }
        }
    }
    response
}

/// Every attribute set of one model, built once.
struct Prebuilt {
    call: [KeyValue; 3],
    input: [KeyValue; 4],
    output: [KeyValue; 4],
    /// By [`TokenKind::ALL`].
    cost: [[KeyValue; 4]; 5],
}

impl Prebuilt {
    fn new(model: &str) -> Self {
        let call = [
            KeyValue::new(OPERATION_NAME, "chat"),
            KeyValue::new(PROVIDER_NAME, PROVIDER),
            KeyValue::new(REQUEST_MODEL, model.to_owned()),
        ];
        let with = |key: &'static str, value: &'static str| {
            let [a, b, c] = call.clone();
            [a, b, c, KeyValue::new(key, value)]
        };
        Self {
            input: with(TOKEN_TYPE, "input"),
            output: with(TOKEN_TYPE, "output"),
            cost: TokenKind::ALL.map(|kind| with(COST_KIND, kind.as_str())),
            call,
        }
    }
}

/// [`otel_chat`] with every attribute set built before the run.
#[inline(never)]
fn otel_chat_prebuilt(otel: &Otel, attrs: &Prebuilt) -> Response {
    let start = Instant::now();
    let response = plain_chat(MODEL);
    let seconds = start.elapsed().as_secs_f64();
    otel.duration.record(seconds, &attrs.call);
    if let Some(usage) = response.usage() {
        if let Some(input) = usage.input {
            otel.tokens.record(input, &attrs.input);
        }
        if let Some(output) = usage.output {
            otel.tokens.record(output, &attrs.output);
        }
        let cost = otel.price.cost(&usage);
        for ((_, dollars), kind_attrs) in cost.by_kind().into_iter().zip(&attrs.cost) {
            if dollars > 0.0 {
                otel.cost.add(dollars, kind_attrs);
            }
        }
    }
    response
}

// ---------------------------------------------------------------------------------------------
// Benchmarks

fn calls(c: &mut Criterion) {
    assert!(
        !tracing::dispatcher::has_been_set(),
        "the no-subscriber benchmarks must run before any dispatcher exists"
    );
    let otel = Otel::new();
    let prebuilt = Prebuilt::new(MODEL);

    let mut g = c.benchmark_group("llm_call");
    g.bench_function("plain", |b| b.iter(|| plain_chat(black_box(MODEL))));
    g.bench_function("obs_no_span", |b| {
        b.iter(|| obs_chat_no_span(black_box(MODEL)))
    });
    g.bench_function("obs", |b| b.iter(|| obs_chat(black_box(MODEL))));
    g.bench_function("otel_sdk", |b| {
        b.iter(|| otel_chat(black_box(&otel), black_box(MODEL)))
    });
    g.bench_function("otel_sdk_prebuilt", |b| {
        b.iter(|| otel_chat_prebuilt(black_box(&otel), black_box(&prebuilt)))
    });
    g.finish();

    // Checks, outside the timing: both recorded what they are benchmarked for.
    black_box((
        otel_chat(&otel, MODEL),
        otel_chat_prebuilt(&otel, &prebuilt),
    ));
    let recorded = otel.recorded();
    for name in [
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "llm.cost",
    ] {
        assert!(
            recorded.iter().any(|r| r == name),
            "OTel recorded no {name}: {recorded:?}"
        );
    }
}

fn streams(c: &mut Criterion) {
    let mut g = c.benchmark_group("llm_stream");
    g.bench_function("plain", |b| {
        b.iter(|| drain(plain_stream(black_box(MODEL))))
    });
    g.bench_function("obs_no_span", |b| {
        b.iter(|| drain(obs_stream_no_span(black_box(MODEL))))
    });
    g.bench_function("obs", |b| b.iter(|| drain(obs_stream(black_box(MODEL)))));
    g.finish();
}

/// The locked read-modify-writes a priced `#[llm_call]` call does: `#[observed]`'s three (started,
/// latency bucket and sum), two for the GenAI duration (bucket, nanosecond sum), two for each of
/// the input tokens, output tokens and output tokens per second histograms (bucket, float sum),
/// and one per priced cost kind (four here).
const CALL_RMWS: usize = 3 + 2 + 3 * 2 + 4;

/// What any code that records those measurements with atomics pays on this machine: the clock
/// reads and locked adds alone, on distinct cache lines as the real cells are.
fn floors(c: &mut Criterion) {
    #[repr(align(64))]
    struct Line(AtomicU64);
    let clock = quanta::Clock::new();
    let cells: [Line; CALL_RMWS] = std::array::from_fn(|_| Line(AtomicU64::new(0)));
    let mut g = c.benchmark_group("llm_floor");
    g.bench_function("rmw_x1", |b| {
        let cell = black_box(&cells[0].0);
        b.iter(|| cell.fetch_add(1, Ordering::Relaxed))
    });
    g.bench_function("tsc_x1", |b| {
        let clock = black_box(&clock);
        b.iter(|| clock.raw())
    });
    g.bench_function("call_tsc_x2_rmw_x15", |b| {
        let (clock, cells) = black_box((&clock, &cells));
        b.iter(|| {
            let start = clock.raw();
            let nanos = clock.delta_as_nanos(start, clock.raw());
            for cell in cells {
                cell.0.fetch_add(nanos, Ordering::Relaxed);
            }
        })
    });
    // Per chunk: one clock read, the chunk-time histogram's bucket and sum.
    g.bench_function("chunk_tsc_x1_rmw_x2", |b| {
        let (clock, cells) = black_box((&clock, &cells));
        b.iter(|| {
            let now = clock.raw();
            cells[0].0.fetch_add(1, Ordering::Relaxed);
            cells[1].0.fetch_add(now, Ordering::Relaxed);
        })
    });
    g.finish();
}

fn checks(_: &mut Criterion) {
    black_box((obs_chat(MODEL), obs_chat_no_span(MODEL)));
    assert_eq!(drain(obs_stream(MODEL)), CHUNKS);
    assert_eq!(drain(obs_stream_no_span(MODEL)), CHUNKS);
    let text = Registry::global().encode(Format::Text);
    for needle in [
        "gen_ai_client_operation_duration_seconds_count{",
        "gen_ai_client_operation_time_per_output_chunk_seconds_count{",
        "obs_llm_cost_usd_total{",
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(needle) && l.contains("gpt-4o")),
            "obs recorded no {needle}"
        );
    }
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("obs_llm_unpriced_calls_total{")
                && l.contains("gpt-4o")
                && !l.ends_with(" 0")),
        "obs priced every call"
    );
    eprintln!("checked: obs and the OTel SDK recorded every benchmarked measurement");
}

criterion_group!(benches, calls, streams, floors, checks);
criterion_main!(benches);
