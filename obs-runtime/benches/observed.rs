//! Per-call overhead of `#[observed]` over the plain function, side by side in one run with the
//! attribute macros it replaces (issue 3): `#[autometrics(track_concurrency)]`
//! (prometheus-client backend, its default),
//! `#[tracing::instrument]` and `#[fastrace::trace]`.
//!
//! Every variant is the same trivial function, `a.wrapping_add(b)` on two `u64` passed through
//! `black_box`, once sync and once `async`, each `#[inline(never)]` so every variant pays the
//! same call. Async variants are driven by the same one-poll executor (a no-op waker; every body
//! here is ready on its first poll), so only the instrumentation differs.
//!
//! Three subscriber conditions, in this order (the order matters, see below):
//!
//! 1. no `tracing` subscriber at all (`observed_sync`, `observed_async`): the plain baseline, obs
//!    metrics only (`span = false`), obs span + metrics, autometrics, `#[tracing::instrument]`,
//!    fastrace outside a root span (as when no trace is being collected);
//! 2. `tracing_subscriber::registry()` with a no-op layer as this thread's default
//!    (`*_registry`): a `Registry` with no layer at all never frees closed spans
//!    (tokio-rs/tracing#900), so a long run of it measures a growing heap, for obs and tracing
//!    alike, until the process runs out of memory;
//! 3. `registry()` plus a `fmt` layer writing to `std::io::sink` (`*_fmt`).
//!
//! Between 1 and 2, `observed_floor` measures what timing a call costs on this machine whatever
//! the framework: two reads of the TSC clock obs uses, those plus three relaxed atomic adds, and
//! two `Instant::now()`.
//!
//! A subscriber is set with `tracing::dispatcher::set_default` inside each benchmark function and
//! unset when it returns. Each `Dispatch` is created when its group starts, never before: creating
//! one registers it with `tracing-core`, which re-evaluates every callsite's interest against all
//! live dispatchers and raises the global max level, and nothing lowers them again when the
//! dispatcher is dropped. So the "no subscriber" groups run first, before any dispatcher has
//! existed in the process. `scripts/bench-observed.sh` turns the results into the tables of
//! `BENCHMARKS.md`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use autometrics::autometrics;
use autometrics::settings::AutometricsSettings;
use criterion::{Criterion, criterion_group, criterion_main};
use obs_runtime::{Format, Registry, observed};
use tracing::Dispatch;
use tracing_subscriber::layer::{Identity, SubscriberExt as _};

// ---------------------------------------------------------------------------------------------
// The functions, one per variant, identical but for the attribute.

#[inline(never)]
fn plain_add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[observed(span = false)]
#[inline(never)]
fn obs_metrics_add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[observed]
#[inline(never)]
fn obs_add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

/// With both arguments as span fields, as `#[tracing::instrument]` records them by default.
#[observed(record(a, b))]
#[inline(never)]
fn obs_record_add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[autometrics(track_concurrency)]
#[inline(never)]
fn autometrics_add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[tracing::instrument]
#[inline(never)]
fn tracing_add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[fastrace::trace]
#[inline(never)]
fn fastrace_add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[inline(never)]
async fn plain_add_async(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[observed(span = false)]
#[inline(never)]
async fn obs_metrics_add_async(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[observed]
#[inline(never)]
async fn obs_add_async(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

/// With both arguments as span fields, as `#[tracing::instrument]` records them by default.
#[observed(record(a, b))]
#[inline(never)]
async fn obs_record_add_async(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[autometrics(track_concurrency)]
#[inline(never)]
async fn autometrics_add_async(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[tracing::instrument]
#[inline(never)]
async fn tracing_add_async(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

#[fastrace::trace]
#[inline(never)]
async fn fastrace_add_async(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

/// The executor of every async variant: polls once with a no-op waker. Every future benchmarked
/// here completes on its first poll.
#[inline(always)]
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("benchmarked futures are ready on their first poll"),
    }
}

// ---------------------------------------------------------------------------------------------
// Checks, outside the timing, that every variant does what it is benchmarked for.

/// A layer counting the spans it sees created, to check that a subscriber gets each variant's span.
struct CountSpans(&'static AtomicU64);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountSpans {
    fn on_new_span(
        &self,
        _: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs `f` under a fresh `registry()` with a span counter and returns how many spans it made.
/// Used only after every benchmark that needs "no dispatcher ever" has run.
fn spans_made<R>(f: impl FnOnce() -> R) -> u64 {
    static SPANS: AtomicU64 = AtomicU64::new(0);
    let before = SPANS.load(Ordering::Relaxed);
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(CountSpans(&SPANS)));
    black_box(tracing::dispatcher::with_default(&dispatch, f));
    SPANS.load(Ordering::Relaxed) - before
}

/// autometrics' settings, set up before its first call (as its docs ask) so its registry can be
/// read back afterwards.
static AUTOMETRICS: std::sync::OnceLock<&'static AutometricsSettings> = std::sync::OnceLock::new();

/// Each library's recorder holds the calls of its benchmarked functions.
fn check_metrics() {
    let obs = Registry::global().encode(Format::Text);
    for function in [
        "obs_metrics_add",
        "obs_add",
        "obs_metrics_add_async",
        "obs_add_async",
    ] {
        let needle = format!("obs_function_calls_total{{function=\"{function}\"");
        assert!(obs.contains(&needle), "obs recorded no call of {function}");
    }
    // autometrics' own registry, read back through prometheus-client's text encoder.
    let mut text = String::new();
    prometheus_client_022::encoding::text::encode(
        &mut text,
        AUTOMETRICS
            .get()
            .expect("set up first")
            .prometheus_client_registry(),
    )
    .expect("encodes");
    let autometrics_calls: Vec<f64> = text
        .lines()
        .filter(|l| {
            l.starts_with("function_calls_total{") && l.contains("function=\"autometrics_add")
        })
        .filter_map(|l| l.rsplit_once(' ').and_then(|(_, v)| v.parse().ok()))
        .collect();
    assert_eq!(
        autometrics_calls.len(),
        2,
        "autometrics recorded its two functions"
    );
    assert!(autometrics_calls.iter().all(|&n| n > 0.0));
    eprintln!(
        "checked: obs and autometrics recorded every benchmarked function ({} autometrics calls)",
        autometrics_calls.iter().sum::<f64>()
    );
}

fn check_spans() {
    let spans = [
        ("obs_metrics_add", spans_made(|| obs_metrics_add(1, 2))),
        ("obs_add", spans_made(|| obs_add(1, 2))),
        ("tracing_add", spans_made(|| tracing_add(1, 2))),
        ("obs_add_async", spans_made(|| run(obs_add_async(1, 2)))),
        (
            "tracing_add_async",
            spans_made(|| run(tracing_add_async(1, 2))),
        ),
    ];
    eprintln!("checked: spans a registry sees per call: {spans:?}");
    assert_eq!(spans.map(|(_, n)| n), [0, 1, 1, 1, 1]);
}

// ---------------------------------------------------------------------------------------------
// 1. No subscriber: must run first (see the crate docs).

fn no_subscriber(c: &mut Criterion) {
    assert!(
        !tracing::dispatcher::has_been_set(),
        "the no-subscriber benchmarks must run before any dispatcher exists"
    );
    AUTOMETRICS.get_or_init(|| AutometricsSettings::builder().init());

    let mut g = c.benchmark_group("observed_sync");
    g.bench_function("plain", |b| {
        b.iter(|| plain_add(black_box(1), black_box(2)))
    });
    g.bench_function("obs_metrics", |b| {
        b.iter(|| obs_metrics_add(black_box(1), black_box(2)))
    });
    g.bench_function("obs", |b| b.iter(|| obs_add(black_box(1), black_box(2))));
    g.bench_function("autometrics", |b| {
        b.iter(|| autometrics_add(black_box(1), black_box(2)))
    });
    g.bench_function("tracing", |b| {
        b.iter(|| tracing_add(black_box(1), black_box(2)))
    });
    g.bench_function("fastrace", |b| {
        b.iter(|| fastrace_add(black_box(1), black_box(2)))
    });
    g.finish();

    let mut g = c.benchmark_group("observed_async");
    g.bench_function("plain", |b| {
        b.iter(|| run(plain_add_async(black_box(1), black_box(2))))
    });
    g.bench_function("obs_metrics", |b| {
        b.iter(|| run(obs_metrics_add_async(black_box(1), black_box(2))))
    });
    g.bench_function("obs", |b| {
        b.iter(|| run(obs_add_async(black_box(1), black_box(2))))
    });
    g.bench_function("autometrics", |b| {
        b.iter(|| run(autometrics_add_async(black_box(1), black_box(2))))
    });
    g.bench_function("tracing", |b| {
        b.iter(|| run(tracing_add_async(black_box(1), black_box(2))))
    });
    g.bench_function("fastrace", |b| {
        b.iter(|| run(fastrace_add_async(black_box(1), black_box(2))))
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 1b. Floors: what any call site that times each call pays on this machine, whatever the framework.

fn floors(c: &mut Criterion) {
    let mut g = c.benchmark_group("observed_floor");
    // The TSC clock `#[observed]` reads (quanta, as obs-runtime uses it).
    let clock = quanta::Clock::new();
    g.bench_function("tsc_x2", |b| {
        let clock = black_box(&clock);
        b.iter(|| clock.raw().wrapping_add(clock.raw()))
    });
    g.bench_function("instant_now_x2", |b| {
        b.iter(|| std::time::Instant::now().elapsed())
    });
    // Two clock reads and three relaxed atomic adds: started, bucket, sum (the metrics-only call
    // site with its bookkeeping taken away).
    let cells: [AtomicU64; 3] = std::array::from_fn(|_| AtomicU64::new(0));
    g.bench_function("tsc_x2_atomic_x3", |b| {
        let (clock, cells) = black_box((&clock, &cells));
        b.iter(|| {
            cells[0].fetch_add(1, Ordering::Relaxed);
            let start = clock.raw();
            let nanos = clock.delta_as_nanos(start, clock.raw());
            cells[1].fetch_add(1, Ordering::Relaxed);
            cells[2].fetch_add(nanos, Ordering::Relaxed);
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 2. and 3. With a subscriber as this thread's default.

/// Benchmarks the span-making variants with `dispatch` as the thread's default.
fn with_subscriber(c: &mut Criterion, condition: &str, dispatch: &Dispatch, record_args: bool) {
    let mut g = c.benchmark_group(format!("observed_sync_{condition}"));
    g.bench_function("obs", |b| {
        let _default = tracing::dispatcher::set_default(dispatch);
        b.iter(|| obs_add(black_box(1), black_box(2)))
    });
    if record_args {
        g.bench_function("obs_record_args", |b| {
            let _default = tracing::dispatcher::set_default(dispatch);
            b.iter(|| obs_record_add(black_box(1), black_box(2)))
        });
    }
    g.bench_function("tracing", |b| {
        let _default = tracing::dispatcher::set_default(dispatch);
        b.iter(|| tracing_add(black_box(1), black_box(2)))
    });
    g.finish();

    let mut g = c.benchmark_group(format!("observed_async_{condition}"));
    g.bench_function("obs", |b| {
        let _default = tracing::dispatcher::set_default(dispatch);
        b.iter(|| run(obs_add_async(black_box(1), black_box(2))))
    });
    if record_args {
        g.bench_function("obs_record_args", |b| {
            let _default = tracing::dispatcher::set_default(dispatch);
            b.iter(|| run(obs_record_add_async(black_box(1), black_box(2))))
        });
    }
    g.bench_function("tracing", |b| {
        let _default = tracing::dispatcher::set_default(dispatch);
        b.iter(|| run(tracing_add_async(black_box(1), black_box(2))))
    });
    g.finish();
}

fn registry(c: &mut Criterion) {
    // `Identity`: see the crate docs; without a layer the registry leaks every span.
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(Identity::new()));
    with_subscriber(c, "registry", &dispatch, false);
}

fn fmt_sink(c: &mut Criterion) {
    let dispatch = Dispatch::new(
        tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::io::sink),
        ),
    );
    with_subscriber(c, "fmt", &dispatch, true);
}

fn checks(_: &mut Criterion) {
    // Make sure every function ran at least once even when a filter skipped its benchmark.
    black_box((obs_metrics_add(1, 2), obs_add(1, 2), autometrics_add(1, 2)));
    black_box(run(async {
        (
            obs_metrics_add_async(1, 2).await,
            obs_add_async(1, 2).await,
            autometrics_add_async(1, 2).await,
        )
    }));
    check_metrics();
    check_spans();
}

criterion_group!(benches, no_subscriber, floors, registry, fmt_sink, checks);
criterion_main!(benches);
