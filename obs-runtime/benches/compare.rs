//! obs against its peers, side by side in one run (issue 2): labeled counter increments (fixed
//! labels and a `Bounded` string label), histogram observations, two threads on one series, and
//! rendering 10,000 counter + 1,000 histogram series to text.
//!
//! Every benchmark of a group records the same labels and values; `scripts/bench.sh` turns the
//! results into the ratio tables of `BENCHMARKS.md`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use obs_runtime::{Bounded, Format, LabelValue, Registry, metrics};

mod common;
use common::{BUCKETS, Method, Region, Status};

metrics! {
    /// Families the hot-path benchmarks record into.
    BENCH in "bench" {
        /// Requests by method, status and region.
        requests_total: Counter { method: Method, status: Status, region: Region },
        /// Requests by route.
        routed_total: Counter { route: Bounded<64> },
        /// Request latency by method.
        #[buckets(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)]
        latency_seconds: Histogram { method: Method },
        /// The series two threads increment at once.
        contended_total: Counter { method: Method, status: Status, region: Region },
    }
}

/// Label triples the "varying" benchmarks cycle through.
const LABELS: [(Method, Status, Region); 16] = {
    use Method::*;
    use Region::*;
    use Status::*;
    [
        (Get, Ok, Eu),
        (Post, Ok, Us),
        (Get, ClientError, Ap),
        (Put, Ok, Sa),
        (Get, Ok, Us),
        (Post, ServerError, Eu),
        (Get, Ok, Ap),
        (Put, ClientError, Us),
        (Get, ServerError, Sa),
        (Post, Ok, Ap),
        (Get, Ok, Sa),
        (Put, Ok, Eu),
        (Post, ClientError, Sa),
        (Get, ClientError, Eu),
        (Put, ServerError, Ap),
        (Post, Ok, Eu),
    ]
};

/// The label set of the "constant" benchmarks.
const CONST: (Method, Status, Region) = (Method::Get, Status::Ok, Region::Eu);

/// Route strings of the `Bounded` benchmarks.
const ROUTES: [&str; 16] = [
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/models",
    "/v1/images/generations",
    "/v1/audio/transcriptions",
    "/v1/audio/speech",
    "/v1/moderations",
    "/v1/files",
    "/v1/batches",
    "/v1/responses",
    "/v1/assistants",
    "/v1/threads",
    "/v1/fine_tuning/jobs",
    "/healthz",
    "/metrics",
];

/// Observations the histogram benchmarks cycle through, spread over every bucket.
const VALUES: [f64; 16] = [
    0.001, 0.007, 0.02, 0.04, 0.07, 0.2, 0.3, 0.7, 1.5, 3.0, 7.0, 12.0, 0.003, 0.09, 0.45, 0.015,
];

/// Methods the histogram benchmarks cycle through.
const METHODS: [Method; 4] = [Method::Get, Method::Post, Method::Get, Method::Put];

fn strs((m, s, r): (Method, Status, Region)) -> [&'static str; 3] {
    [m.as_str(), s.as_str(), r.as_str()]
}

/// A cycling index into the 16-entry input arrays.
struct Cycle(usize);

impl Cycle {
    #[inline(always)]
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_add(1);
        self.0 & 15
    }
}

// ---------------------------------------------------------------------------------------------
// Peers' hot-path state, built once.

/// The `metrics` recorder, installed globally (as a service would) once.
fn metrics_handle() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: OnceLock<metrics_exporter_prometheus::PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("non-empty buckets")
            .install_recorder()
            .expect("no other global recorder")
    })
}

fn prom_counter_vec(name: &str, labels: &[&str]) -> prometheus::IntCounterVec {
    prometheus::IntCounterVec::new(prometheus::Opts::new(name, "help"), labels)
        .expect("valid counter vec")
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct PcReq {
    method: Method,
    status: Status,
    region: Region,
}

impl From<(Method, Status, Region)> for PcReq {
    fn from((method, status, region): (Method, Status, Region)) -> Self {
        Self {
            method,
            status,
            region,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct PcRoute {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct PcRouteOwned {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct PcMethod {
    method: Method,
}

#[derive(Clone, Copy, measured::LabelGroup)]
#[label(set = MReqSet)]
struct MReq {
    method: Method,
    status: Status,
    region: Region,
}

impl From<(Method, Status, Region)> for MReq {
    fn from((method, status, region): (Method, Status, Region)) -> Self {
        Self {
            method,
            status,
            region,
        }
    }
}

#[derive(Clone, Copy, measured::LabelGroup)]
#[label(set = MRouteSet)]
struct MRoute {
    #[label(fixed_with = indexmap::IndexSet<&'static str>)]
    route: &'static str,
}

#[derive(Clone, Copy, measured::LabelGroup)]
#[label(set = MMethodSet)]
struct MMethod {
    method: Method,
}

type PcCounterFamily<L> =
    prometheus_client::metrics::family::Family<L, prometheus_client::metrics::counter::Counter>;

// ---------------------------------------------------------------------------------------------
// 1. Labeled counter, three fixed-cardinality labels, one thread.

fn counter_fixed(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_3_labels");

    let raw = AtomicU64::new(0);
    g.bench_function("raw_atomic", |b| {
        let raw = black_box(&raw);
        b.iter(|| raw.fetch_add(1, Ordering::Relaxed))
    });
    let raw_array: [AtomicU64; 36] = std::array::from_fn(|_| AtomicU64::new(0));
    g.bench_function("raw_atomic_array_varying", |b| {
        let cells = black_box(&raw_array);
        let mut i = Cycle(0);
        b.iter(|| {
            let (m, s, r) = LABELS[i.next()];
            let index = (m.index() * 3 + s.index()) * 4 + r.index();
            cells[index].fetch_add(1, Ordering::Relaxed)
        })
    });

    g.bench_function("obs_const", |b| {
        b.iter(|| BENCH.requests_total.with(black_box(CONST)).inc())
    });
    g.bench_function("obs_varying", |b| {
        let mut i = Cycle(0);
        b.iter(|| BENCH.requests_total.with(LABELS[i.next()]).inc())
    });
    g.bench_function("obs_handle", |b| {
        let handle = BENCH.requests_total.with(CONST);
        b.iter(|| black_box(handle).inc())
    });

    let prom = prom_counter_vec("prom_requests_total", &["method", "status", "region"]);
    g.bench_function("prometheus_with_label_values_const", |b| {
        b.iter(|| prom.with_label_values(&strs(black_box(CONST))).inc())
    });
    g.bench_function("prometheus_with_label_values_varying", |b| {
        let mut i = Cycle(0);
        b.iter(|| prom.with_label_values(&strs(LABELS[i.next()])).inc())
    });
    let child = prom.with_label_values(&strs(CONST));
    g.bench_function("prometheus_handle", |b| b.iter(|| black_box(&child).inc()));

    let pc = PcCounterFamily::<PcReq>::default();
    g.bench_function("prometheus_client_const", |b| {
        b.iter(|| pc.get_or_create(&PcReq::from(black_box(CONST))).inc())
    });
    g.bench_function("prometheus_client_varying", |b| {
        let mut i = Cycle(0);
        b.iter(|| pc.get_or_create(&PcReq::from(LABELS[i.next()])).inc())
    });
    let pc_handle = pc.get_or_create_owned(&PcReq::from(CONST));
    g.bench_function("prometheus_client_handle", |b| {
        b.iter(|| black_box(&pc_handle).inc())
    });

    metrics_handle();
    g.bench_function("metrics_const", |b| {
        b.iter(|| {
            let [m, s, r] = strs(black_box(CONST));
            ::metrics::counter!("metrics_requests_total", "method" => m, "status" => s, "region" => r)
                .increment(1)
        })
    });
    g.bench_function("metrics_varying", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            let [m, s, r] = strs(LABELS[i.next()]);
            ::metrics::counter!("metrics_requests_total", "method" => m, "status" => s, "region" => r)
                .increment(1)
        })
    });
    let [m, s, r] = strs(CONST);
    let metrics_handle =
        ::metrics::counter!("metrics_requests_total", "method" => m, "status" => s, "region" => r);
    g.bench_function("metrics_handle", |b| {
        b.iter(|| black_box(&metrics_handle).increment(1))
    });

    let measured = measured::CounterVec::with_label_set(MReqSet::new());
    g.bench_function("measured_const", |b| {
        b.iter(|| measured.inc(MReq::from(black_box(CONST))))
    });
    g.bench_function("measured_varying", |b| {
        let mut i = Cycle(0);
        b.iter(|| measured.inc(MReq::from(LABELS[i.next()])))
    });
    let id = measured.with_labels(MReq::from(CONST));
    g.bench_function("measured_handle", |b| {
        b.iter(|| measured.get_metric(black_box(id)).inc())
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 2. Labeled counter, one `Bounded` string label from 16 routes.

fn counter_bounded(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_bounded_label");
    for route in ROUTES {
        BENCH.routed_total.with(route).inc();
    }
    g.bench_function("obs", |b| {
        let mut i = Cycle(0);
        b.iter(|| BENCH.routed_total.with(ROUTES[i.next()]).inc())
    });

    let prom = prom_counter_vec("prom_routed_total", &["route"]);
    g.bench_function("prometheus_with_label_values", |b| {
        let mut i = Cycle(0);
        b.iter(|| prom.with_label_values(&[ROUTES[i.next()]]).inc())
    });

    let pc = PcCounterFamily::<PcRoute>::default();
    g.bench_function("prometheus_client_static_str", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            pc.get_or_create(&PcRoute {
                route: ROUTES[i.next()],
            })
            .inc()
        })
    });
    let pc_owned = PcCounterFamily::<PcRouteOwned>::default();
    g.bench_function("prometheus_client_string", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            pc_owned
                .get_or_create(&PcRouteOwned {
                    route: ROUTES[i.next()].to_owned(),
                })
                .inc()
        })
    });

    metrics_handle();
    g.bench_function("metrics", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            ::metrics::counter!("metrics_routed_total", "route" => ROUTES[i.next()]).increment(1)
        })
    });

    let measured =
        measured::CounterVec::with_label_set(MRouteSet::new(ROUTES.iter().copied().collect()));
    g.bench_function("measured", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            measured.inc(MRoute {
                route: ROUTES[i.next()],
            })
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 3. Histogram observation, 11 buckets, one fixed label.

fn histogram(c: &mut Criterion) {
    let mut g = c.benchmark_group("histogram_observe");
    let durations = VALUES.map(Duration::from_secs_f64);

    g.bench_function("obs_observe", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            let k = i.next();
            BENCH
                .latency_seconds
                .with(METHODS[k & 3])
                .observe(VALUES[k])
        })
    });
    g.bench_function("obs_observe_duration", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            let k = i.next();
            BENCH
                .latency_seconds
                .with(METHODS[k & 3])
                .observe_duration(durations[k])
        })
    });
    let handle = BENCH.latency_seconds.with(Method::Get);
    g.bench_function("obs_handle_observe", |b| {
        let mut i = Cycle(0);
        b.iter(|| black_box(handle).observe(VALUES[i.next()]))
    });

    let prom = prometheus::HistogramVec::new(
        prometheus::HistogramOpts::new("prom_latency_seconds", "help").buckets(BUCKETS.to_vec()),
        &["method"],
    )
    .expect("valid histogram vec");
    g.bench_function("prometheus_with_label_values", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            let k = i.next();
            prom.with_label_values(&[METHODS[k & 3].as_str()])
                .observe(VALUES[k])
        })
    });
    let prom_child = prom.with_label_values(&[Method::Get.as_str()]);
    g.bench_function("prometheus_handle", |b| {
        let mut i = Cycle(0);
        b.iter(|| black_box(&prom_child).observe(VALUES[i.next()]))
    });

    let pc: common::PcHistogramFamily<PcMethod> =
        prometheus_client::metrics::family::Family::new_with_constructor(common::pc_histogram);
    g.bench_function("prometheus_client", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            let k = i.next();
            pc.get_or_create(&PcMethod {
                method: METHODS[k & 3],
            })
            .observe(VALUES[k])
        })
    });
    let pc_handle = pc.get_or_create_owned(&PcMethod {
        method: Method::Get,
    });
    g.bench_function("prometheus_client_handle", |b| {
        let mut i = Cycle(0);
        b.iter(|| black_box(&pc_handle).observe(VALUES[i.next()]))
    });

    // The exporter queues raw samples until upkeep or render: drain them outside the timing.
    let upkeep = metrics_handle();
    let timed_in_chunks = |iters: u64, op: &mut dyn FnMut()| {
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(1 << 16);
            let start = Instant::now();
            for _ in 0..n {
                op();
            }
            total += start.elapsed();
            left -= n;
            upkeep.run_upkeep();
        }
        total
    };
    g.bench_function("metrics", |b| {
        let mut i = Cycle(0);
        b.iter_custom(|iters| {
            timed_in_chunks(iters, &mut || {
                let k = i.next();
                ::metrics::histogram!("metrics_latency_seconds", "method" => METHODS[k & 3].as_str())
                    .record(VALUES[k])
            })
        })
    });
    let metrics_h = ::metrics::histogram!("metrics_latency_seconds", "method" => "get");
    g.bench_function("metrics_handle", |b| {
        let mut i = Cycle(0);
        b.iter_custom(|iters| {
            timed_in_chunks(iters, &mut || {
                black_box(&metrics_h).record(VALUES[i.next()])
            })
        })
    });

    let measured = measured::HistogramVec::with_label_set_and_metadata(
        MMethodSet::new(),
        measured::metric::histogram::Thresholds::with_buckets(BUCKETS),
    );
    g.bench_function("measured", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            let k = i.next();
            measured.observe(
                MMethod {
                    method: METHODS[k & 3],
                },
                VALUES[k],
            )
        })
    });
    g.bench_function("measured_observe_duration", |b| {
        let mut i = Cycle(0);
        b.iter(|| {
            let k = i.next();
            measured.observe_duration(
                MMethod {
                    method: METHODS[k & 3],
                },
                durations[k],
            )
        })
    });
    let id = measured.with_labels(MMethod {
        method: Method::Get,
    });
    g.bench_function("measured_handle", |b| {
        let mut i = Cycle(0);
        b.iter(|| measured.get_metric(black_box(id)).observe(VALUES[i.next()]))
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 4. Two threads incrementing the same labeled series.

/// Runs `op` `iters` times on each of two threads started together; returns the slower thread's
/// time, so the result is nanoseconds per operation per thread.
fn two_threads(iters: u64, op: impl Fn() + Sync) -> Duration {
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        op();
                    }
                    start.elapsed()
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("benchmark thread"))
            .max()
            .unwrap_or_default()
    })
}

fn contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_two_threads");

    let raw = AtomicU64::new(0);
    g.bench_function("raw_atomic", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, || {
                black_box(&raw).fetch_add(1, Ordering::Relaxed);
            })
        })
    });
    g.bench_function("obs", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, || BENCH.contended_total.with(black_box(CONST)).inc())
        })
    });

    let prom = prom_counter_vec("prom_contended_total", &["method", "status", "region"]);
    g.bench_function("prometheus_with_label_values", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, || {
                prom.with_label_values(&strs(black_box(CONST))).inc()
            })
        })
    });
    let child = prom.with_label_values(&strs(CONST));
    g.bench_function("prometheus_handle", |b| {
        b.iter_custom(|iters| two_threads(iters, || black_box(&child).inc()))
    });

    let pc = PcCounterFamily::<PcReq>::default();
    g.bench_function("prometheus_client", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, || {
                pc.get_or_create(&PcReq::from(black_box(CONST))).inc();
            })
        })
    });

    metrics_handle();
    g.bench_function("metrics", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, || {
                let [m, s, r] = strs(black_box(CONST));
                ::metrics::counter!("metrics_contended_total", "method" => m, "status" => s, "region" => r)
                    .increment(1)
            })
        })
    });

    let measured = measured::CounterVec::with_label_set(MReqSet::new());
    g.bench_function("measured", |b| {
        b.iter_custom(|iters| two_threads(iters, || measured.inc(MReq::from(black_box(CONST)))))
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 5. Rendering 10,000 counter series + 1,000 histogram series to text.

fn render(c: &mut Criterion) {
    let labels = common::RenderLabels::new();
    let mut g = c.benchmark_group("render_text");
    g.sample_size(20);

    common::obs_populate(&labels);
    let registry = Registry::new();
    common::RENDER
        .register_into(&registry)
        .expect("a fresh registry");
    let mut obs_buf = String::new();

    let prom = common::prom_populate(&labels);
    let mut prom_buf = String::new();
    let encode_prom = |buf: &mut String| {
        buf.clear();
        prometheus::TextEncoder::new()
            .encode_utf8(&prom.registry.gather(), buf)
            .expect("encodes");
    };

    let pc = common::pc_populate(&labels);
    let mut pc_buf = String::new();
    let encode_pc = |buf: &mut String| {
        buf.clear();
        prometheus_client::encoding::text::encode(buf, &pc).expect("encodes");
    };

    let recorder = common::metrics_populate(&labels);
    let handle = recorder.handle();
    let mut metrics_buf = Vec::new();
    let encode_metrics = |buf: &mut Vec<u8>| {
        buf.clear();
        handle.render_to_write(buf).expect("renders");
    };

    let measured = common::measured_populate(&labels);
    let mut measured_enc = measured::text::BufferedTextEncoder::new();
    let encode_measured = |enc: &mut measured::text::BufferedTextEncoder| {
        use measured::MetricGroup as _;
        let Ok(()) = measured.collect_group_into(enc);
        enc.finish()
    };

    // Same content, same size: check once, outside the timing.
    registry.encode_into(Format::Text, &mut obs_buf);
    encode_prom(&mut prom_buf);
    encode_pc(&mut pc_buf);
    encode_metrics(&mut metrics_buf);
    let measured_out = encode_measured(&mut measured_enc);
    for (name, text) in [
        ("obs", obs_buf.as_bytes()),
        ("prometheus", prom_buf.as_bytes()),
        ("prometheus_client", pc_buf.as_bytes()),
        ("metrics", &metrics_buf[..]),
        ("measured", &measured_out[..]),
    ] {
        let lines = text.split(|&b| b == b'\n');
        let (mut counters, mut buckets) = (0, 0);
        for line in lines {
            counters += usize::from(line.starts_with(b"render_c_total{"));
            buckets += usize::from(line.starts_with(b"render_h_seconds_bucket{"));
        }
        eprintln!(
            "render_text/{name}: {} bytes, {counters} counter series, {buckets} bucket lines",
            text.len()
        );
    }

    g.bench_function("obs", |b| {
        b.iter(|| {
            obs_buf.clear();
            registry.encode_into(Format::Text, &mut obs_buf);
            obs_buf.len()
        })
    });
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            encode_prom(&mut prom_buf);
            prom_buf.len()
        })
    });
    g.bench_function("prometheus_client", |b| {
        b.iter(|| {
            encode_pc(&mut pc_buf);
            pc_buf.len()
        })
    });
    g.bench_function("metrics", |b| {
        b.iter(|| {
            encode_metrics(&mut metrics_buf);
            metrics_buf.len()
        })
    });
    g.bench_function("measured", |b| {
        b.iter(|| encode_measured(&mut measured_enc).len())
    });
    g.finish();
}

criterion_group!(
    benches,
    counter_fixed,
    counter_bounded,
    histogram,
    contended,
    render
);
criterion_main!(benches);
