//! Where [`HttpLayer`](super::HttpLayer) records, and the families read from it at scrape time.
//!
//! The semantic conventions' HTTP server metrics, under the OpenTelemetry-to-Prometheus name
//! mapping, and pushed over OTLP under their dotted names and units:
//!
//! - `http_server_request_duration_seconds{http_request_method, http_route,
//!   http_response_status_code, url_scheme}` (`http.server.request.duration`, `s`, the
//!   conventions' buckets): from the request's arrival to the end of its response body;
//! - `http_server_active_requests{http_request_method, url_scheme}`
//!   (`http.server.active_requests`, `{request}`);
//! - `http_server_request_body_size_bytes{...}` and `http_server_response_body_size_bytes{...}`
//!   (`http.server.request.body.size`, `http.server.response.body.size`, `By`), with the same
//!   labels as the duration.
//!
//! Over OTLP, `http.response.status_code` is an integer attribute, as the conventions type it
//! (the Prometheus label is its text).
//!
//! And our own: `obs_http_server_panics_total{http_route}`, handler panics the layer saw.
//!
//! # Storage
//!
//! One process-wide table, as the families are process-wide. A series is found by indexing, not
//! hashing: the route's row (the route template interned once per request, like any bounded
//! label), then the block of its scheme and method, then the status code's class and code, each
//! level made on first use and read with one atomic load after that. A series' histograms are
//! kept per thread (see [`per_thread`](crate::metrics::per_thread)): recording is a few plain
//! stores of whole units (nanoseconds, bytes) into the recording thread's shard, with no float
//! math, no lock and no locked instruction, and a scrape sums the shards. Requests in flight are
//! the requests started (counted per thread too) less the requests ended, which are the duration
//! histograms' counts: ending a request costs nothing more.
//!
//! Route templates are capped at [`MAX_ROUTES`]; past that, requests go to the overflow route
//! [`OVERFLOW_VALUE`](crate::metrics::OVERFLOW_VALUE), counted in `obs_label_overflow_total`.
//! Requests that matched no route have no `http_route` (an empty label value, absent over OTLP),
//! as the conventions ask. Methods are bounded by [`method`](super::method); status codes are
//! chosen by the application, not the client, and `http::StatusCode` keeps them within
//! 100..=999.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{LazyLock, OnceLock};

use super::method;
use super::scheme::UrlScheme;
use crate::metrics::per_thread::{ShardPool, ThreadSlots, bump, with_shard};
use crate::metrics::{
    Collector, ComputedFamily, FamilyDesc, Interner, LabelDesc, MetricType, OVERFLOW_VALUE, Sample,
    SampleFn, SelfFamilies, le_labels, unit_bounds, unit_bucket,
};

/// Bucket bounds of `http.server.request.duration`, in seconds: the semantic conventions'
/// advice.
pub const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Bucket bounds of the body sizes, in bytes (the conventions advise none): empty bodies apart,
/// then powers of four from 64 B to 64 MiB, which spans a bare JSON answer to a long prompt.
pub const BODY_SIZE_BUCKETS: [f64; 12] = [
    0.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0,
    67108864.0,
];

/// Most distinct route templates kept; more go to the overflow route.
pub const MAX_ROUTES: usize = 256;

/// The `http_route` of requests that matched no route: empty, so absent (the conventions forbid
/// putting anything but a route template there, and never the raw path).
pub const UNMATCHED_ROUTE: &str = "";

const DURATION_NANOS: [u64; DURATION_BUCKETS.len()] = unit_bounds(&DURATION_BUCKETS, 1e9);
const BODY_BYTES: [u64; BODY_SIZE_BUCKETS.len()] = unit_bounds(&BODY_SIZE_BUCKETS, 1.0);
/// Counts of a duration histogram: one per bound and `+Inf`.
const DURATION_COUNTS: usize = DURATION_BUCKETS.len() + 1;
/// Counts of a body size histogram.
const BODY_COUNTS: usize = BODY_SIZE_BUCKETS.len() + 1;

/// Route index of the overflow row.
const OVERFLOW_ROUTE: usize = MAX_ROUTES;
/// Route index of requests that matched no route.
const UNMATCHED: usize = MAX_ROUTES + 1;
/// Blocks of a row: one per scheme and method.
const BLOCKS: usize = UrlScheme::VALUES.len() * method::COUNT;

/// One thread's histogram in whole units: a count per bucket (`+Inf` last) and the sum. `N` is
/// the number of bounds plus one.
#[derive(Debug)]
struct Counts<const N: usize> {
    counts: [AtomicU64; N],
    sum: AtomicU64,
}

impl<const N: usize> Counts<N> {
    const fn new() -> Self {
        Self {
            counts: [const { AtomicU64::new(0) }; N],
            sum: AtomicU64::new(0),
        }
    }

    /// Counts `units`, by the one thread that owns the shard.
    #[inline]
    fn observe(&self, bounds: &[u64], units: u64) {
        bump(&self.counts[unit_bucket(bounds, units)], 1);
        bump(&self.sum, units);
    }

    /// Adds this shard's counts (not cumulative) to `counts`, and returns its sum.
    fn add_to(&self, counts: &mut [u64; N]) -> u64 {
        for (total, cell) in counts.iter_mut().zip(&self.counts) {
            *total += cell.load(Ordering::Relaxed);
        }
        self.sum.load(Ordering::Relaxed)
    }
}

/// One thread's three histograms of one method, route, status code and scheme.
#[derive(Debug)]
struct SeriesShard {
    duration: Counts<DURATION_COUNTS>,
    request_size: Counts<BODY_COUNTS>,
    response_size: Counts<BODY_COUNTS>,
}

impl SeriesShard {
    const fn new() -> Self {
        Self {
            duration: Counts::new(),
            request_size: Counts::new(),
            response_size: Counts::new(),
        }
    }
}

/// One histogram of a series, its shards summed: cumulative counts and the sum in whole units.
#[derive(Debug)]
struct Summed<const N: usize> {
    cumulative: [u64; N],
    sum: u64,
}

/// One method, route, status code and scheme: its slot in every thread's table, and its shards.
#[derive(Debug)]
struct Series {
    slot: usize,
    shards: ShardPool<SeriesShard>,
}

/// Slots given to series so far.
static SERIES_SLOTS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's shards of the series, by slot.
    static SERIES_MINE: RefCell<ThreadSlots<SeriesShard>> =
        const { RefCell::new(ThreadSlots::new()) };
    /// This thread's count of requests started, by block, by table.
    static STARTED_MINE: RefCell<ThreadSlots<Started>> =
        const { RefCell::new(ThreadSlots::new()) };
}

/// One thread's count of requests started, by block.
#[derive(Debug)]
struct Started([AtomicU64; BLOCKS]);

impl Series {
    fn new() -> Self {
        Self {
            slot: SERIES_SLOTS.fetch_add(1, Ordering::Relaxed),
            shards: ShardPool::new(),
        }
    }

    /// One histogram (chosen by `which`), its shards summed.
    fn read<const N: usize>(&self, which: fn(&SeriesShard) -> &Counts<N>) -> Summed<N> {
        let mut counts = [0; N];
        let mut sum = 0;
        for shard in self.shards.all() {
            sum += which(shard).add_to(&mut counts);
        }
        let mut total = 0;
        let cumulative = counts.map(|n| {
            total += n;
            total
        });
        Summed { cumulative, sum }
    }
}

/// The series of one status class (`2xx`), by the code's last two digits.
#[derive(Debug)]
struct Codes([OnceLock<Box<Series>>; 100]);

/// The series of one route, scheme and method, by status class (class 0 holds code 0: no
/// response, the service failed).
#[derive(Debug)]
struct Block([OnceLock<Box<Codes>>; 10]);

/// One route template.
#[derive(Debug)]
struct Row {
    blocks: [OnceLock<Box<Block>>; BLOCKS],
    panics: AtomicU64,
}

/// What one request is recorded under: its route's row, its scheme and method's block, its
/// status code (0 without a response).
#[derive(Debug, Clone, Copy)]
pub(super) struct Key {
    pub(super) route: usize,
    pub(super) block: usize,
    pub(super) status: u16,
}

/// The block of `scheme` and `method` (a label index of [`method`]).
#[inline(always)]
pub(super) fn block(scheme: UrlScheme, method: usize) -> usize {
    scheme as usize * method::COUNT + method
}

/// What one finished request measured.
#[derive(Debug, Clone, Copy)]
pub(super) struct Measured {
    pub(super) nanos: u64,
    /// `None` when the request did not say (a chunked body): not counted, never counted as 0.
    pub(super) request_bytes: Option<u64>,
    pub(super) response_bytes: u64,
}

/// The process-wide table.
pub(super) struct Storage {
    routes: Interner,
    route_overflows: AtomicU64,
    rows: Box<[OnceLock<Box<Row>>]>,
    /// This table's slot in every thread's [`Started`] table, and its shards.
    started_slot: usize,
    started: ShardPool<Started>,
}

/// Slots given to tables so far (one in the process, more in tests).
static STARTED_SLOTS: AtomicUsize = AtomicUsize::new(0);

pub(super) static STORAGE: LazyLock<Storage> = LazyLock::new(Storage::new);

impl Storage {
    fn new() -> Self {
        Self {
            routes: Interner::new(MAX_ROUTES),
            route_overflows: AtomicU64::new(0),
            rows: (0..MAX_ROUTES + 2).map(|_| OnceLock::new()).collect(),
            started_slot: STARTED_SLOTS.fetch_add(1, Ordering::Relaxed),
            started: ShardPool::new(),
        }
    }

    /// The route index of `template` (`None` or empty: unmatched), interned on first use.
    #[inline]
    pub(super) fn route(&self, template: Option<&str>) -> usize {
        match template {
            None | Some("") => UNMATCHED,
            Some(template) => {
                let index = self.routes.intern(template);
                if index == OVERFLOW_ROUTE && template != OVERFLOW_VALUE {
                    self.route_overflows.fetch_add(1, Ordering::Relaxed);
                }
                index
            }
        }
    }

    /// The `http_route` value of route index `route`.
    pub(super) fn route_label(&self, route: usize) -> &str {
        match route {
            UNMATCHED => UNMATCHED_ROUTE,
            route => self.routes.value(route),
        }
    }

    #[inline]
    fn row(&self, route: usize) -> &Row {
        self.rows[route].get_or_init(|| {
            Box::new(Row {
                blocks: [const { OnceLock::new() }; BLOCKS],
                panics: AtomicU64::new(0),
            })
        })
    }

    /// A request of `block` began.
    #[inline]
    pub(super) fn started(&'static self, block: usize) {
        let make = || Started([const { AtomicU64::new(0) }; BLOCKS]);
        with_shard(
            &STARTED_MINE,
            self.started_slot,
            &self.started,
            make,
            |shard, ()| {
                bump(&shard.0[block], 1);
            },
        );
    }

    /// A request of `key` ended, having measured `measured`.
    #[inline]
    pub(super) fn ended(&'static self, key: Key, measured: Measured) {
        let block = self.row(key.route).blocks[key.block]
            .get_or_init(|| Box::new(Block([const { OnceLock::new() }; 10])));
        let status = usize::from(key.status.min(999));
        let codes =
            block.0[status / 100].get_or_init(|| Box::new(Codes([const { OnceLock::new() }; 100])));
        let series = codes.0[status % 100].get_or_init(|| Box::new(Series::new()));
        with_shard(
            &SERIES_MINE,
            series.slot,
            &series.shards,
            SeriesShard::new,
            |shard, ()| {
                shard.duration.observe(&DURATION_NANOS, measured.nanos);
                if let Some(bytes) = measured.request_bytes {
                    shard.request_size.observe(&BODY_BYTES, bytes);
                }
                shard
                    .response_size
                    .observe(&BODY_BYTES, measured.response_bytes);
            },
        );
    }

    /// Requests in flight by block: started less ended (read first, so that a request that
    /// starts and ends between the two reads shows as in flight, never as less than none);
    /// `None` for blocks no request ever started in.
    fn in_flight(&self) -> [Option<i64>; BLOCKS] {
        let mut ended = [0u64; BLOCKS];
        self.visit(|block, _, series| {
            // Every ended request is in its series' duration histogram: its count.
            ended[block] += series.read(|s| &s.duration).cumulative[DURATION_COUNTS - 1];
        });
        let mut started = [0u64; BLOCKS];
        for shard in self.started.all() {
            for (total, cell) in started.iter_mut().zip(&shard.0) {
                *total += cell.load(Ordering::Relaxed);
            }
        }
        std::array::from_fn(|b| {
            (started[b] > 0).then(|| started[b].saturating_sub(ended[b]) as i64)
        })
    }

    /// A handler of `route` panicked.
    pub(super) fn panicked(&self, route: usize) {
        self.row(route).panics.fetch_add(1, Ordering::Relaxed);
    }

    /// Calls `f` with the block, the label values (method, route, status code, scheme) and the
    /// series of every series recorded into, in route, scheme, method and status order.
    fn visit(&self, mut f: impl FnMut(usize, &[&str; 4], &Series)) {
        let mut code = itoa::Buffer::new();
        for (route, row) in self.rows.iter().enumerate() {
            let Some(row) = row.get() else { continue };
            let route = self.route_label(route);
            for (b, block) in row.blocks.iter().enumerate() {
                let Some(block) = block.get() else { continue };
                let scheme = UrlScheme::VALUES[b / method::COUNT];
                let method = method::value(b % method::COUNT);
                for (class, codes) in block.0.iter().enumerate() {
                    let Some(codes) = codes.get() else { continue };
                    for (last, series) in codes.0.iter().enumerate() {
                        let Some(series) = series.get() else { continue };
                        let status = match class * 100 + last {
                            0 => "",
                            status => code.format(status),
                        };
                        f(b, &[method, route, status, scheme], series);
                    }
                }
            }
        }
    }
}

const METHOD: LabelDesc =
    LabelDesc::bounded("http_request_method", method::COUNT).otlp("http.request.method");
const ROUTE: LabelDesc = LabelDesc::bounded("http_route", MAX_ROUTES).otlp("http.route");
const STATUS: LabelDesc =
    LabelDesc::bounded("http_response_status_code", 900).otlp("http.response.status_code");
const SCHEME: LabelDesc = LabelDesc::fixed("url_scheme", &UrlScheme::VALUES).otlp("url.scheme");

const SERIES_LABELS: &[LabelDesc] = &[METHOD, ROUTE, STATUS, SCHEME];
const ACTIVE_LABELS: &[LabelDesc] = &[METHOD, SCHEME];
const PANIC_LABELS: &[LabelDesc] = &[ROUTE];

static DURATION_LE: LazyLock<Box<[Box<str>]>> = LazyLock::new(|| le_labels(&DURATION_BUCKETS));
static BODY_LE: LazyLock<Box<[Box<str>]>> = LazyLock::new(|| le_labels(&BODY_SIZE_BUCKETS));

/// Calls `f` with one histogram of every series: `which` picks it, and its sum in whole units is
/// scaled by `unit`.
fn histograms<const N: usize>(
    which: fn(&SeriesShard) -> &Counts<N>,
    bounds: &'static [f64],
    le: &'static LazyLock<Box<[Box<str>]>>,
    unit: f64,
    f: &mut dyn FnMut(&[&str], Sample<'_>),
) {
    STORAGE.visit(|_, labels, series| {
        let summed = series.read(which);
        f(
            labels,
            Sample::Histogram {
                bounds,
                le,
                cumulative: &summed.cumulative,
                sum: summed.sum as f64 * unit,
                exemplars: &[],
            },
        );
    });
}

fn duration(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    histograms(|s| &s.duration, &DURATION_BUCKETS, &DURATION_LE, 1e-9, f);
}

fn request_size(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    histograms(|s| &s.request_size, &BODY_SIZE_BUCKETS, &BODY_LE, 1.0, f);
}

fn response_size(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    histograms(|s| &s.response_size, &BODY_SIZE_BUCKETS, &BODY_LE, 1.0, f);
}

fn active(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for (b, n) in STORAGE.in_flight().into_iter().enumerate() {
        if let Some(n) = n {
            let labels = [
                method::value(b % method::COUNT),
                UrlScheme::VALUES[b / method::COUNT],
            ];
            f(&labels, Sample::Signed(n));
        }
    }
}

fn panics(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    let storage = &*STORAGE;
    for (route, row) in storage.rows.iter().enumerate() {
        if let Some(row) = row.get() {
            let n = row.panics.load(Ordering::Relaxed);
            if n > 0 {
                f(&[storage.route_label(route)], Sample::Unsigned(n));
            }
        }
    }
}

fn route_overflows(_: &()) -> u64 {
    STORAGE.route_overflows.load(Ordering::Relaxed)
}

/// A family of the layer, pushed over OTLP as `otlp` (name, unit) where a convention defines it.
const fn family(
    desc: FamilyDesc,
    otlp: Option<(&'static str, &'static str)>,
    samples: SampleFn<()>,
) -> ComputedFamily {
    let desc = match otlp {
        Some((name, unit)) => desc.with_otlp(name, unit),
        None => desc,
    };
    ComputedFamily::new(desc, (), samples).with_overflows(route_overflows)
}

static FAMILIES: SelfFamilies<5> = SelfFamilies::new([
    family(
        FamilyDesc::new(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests, from arrival to the end of the response body.",
            MetricType::Histogram,
            SERIES_LABELS,
        ),
        Some(("http.server.request.duration", "s")),
        duration,
    ),
    family(
        FamilyDesc::new(
            "http_server_active_requests",
            "Number of active HTTP server requests.",
            MetricType::Gauge,
            ACTIVE_LABELS,
        ),
        Some(("http.server.active_requests", "{request}")),
        active,
    ),
    family(
        FamilyDesc::new(
            "http_server_request_body_size_bytes",
            "Size of HTTP server request bodies (Content-Length, or counted through the body).",
            MetricType::Histogram,
            SERIES_LABELS,
        ),
        Some(("http.server.request.body.size", "By")),
        request_size,
    ),
    family(
        FamilyDesc::new(
            "http_server_response_body_size_bytes",
            "Size of HTTP server response bodies, counted through the body.",
            MetricType::Histogram,
            SERIES_LABELS,
        ),
        Some(("http.server.response.body.size", "By")),
        response_size,
    ),
    family(
        FamilyDesc::new(
            "obs_http_server_panics_total",
            "Handler panics seen by the obs HTTP server layer, by route (answered 500, or the response cut short when the body was streaming).",
            MetricType::Counter,
            PANIC_LABELS,
        ),
        None,
        panics,
    ),
]);

/// Joins the HTTP server families to the global registry, once.
pub(super) fn ensure_registered() {
    FAMILIES.ensure_registered();
}

/// The families [`HttpLayer`](super::HttpLayer) records, to add to a registry other than the
/// global one.
pub fn http_server_families() -> &'static dyn Collector {
    &FAMILIES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_in_whole_units_are_the_same_bounds() {
        crate::metrics::validate_buckets(&DURATION_BUCKETS).unwrap();
        crate::metrics::validate_buckets(&BODY_SIZE_BUCKETS).unwrap();
        assert_eq!(DURATION_NANOS[0], 5_000_000);
        assert_eq!(DURATION_NANOS[4], 75_000_000);
        assert_eq!(DURATION_NANOS[13], 10_000_000_000);
        assert_eq!(BODY_BYTES[0], 0);
        assert_eq!(BODY_BYTES[11], 64 << 20);
    }

    #[test]
    fn a_series_is_found_again_by_its_key_and_read_with_its_labels() {
        let storage = &*STORAGE;
        let route = storage.route(Some("/families-test/{id}"));
        assert_eq!(storage.route(Some("/families-test/{id}")), route);
        let key = Key {
            route,
            block: block(UrlScheme::Https, 1),
            status: 201,
        };
        storage.started(key.block);
        let measured = Measured {
            nanos: 30_000_000,
            request_bytes: Some(100),
            response_bytes: 0,
        };
        storage.ended(key, measured);
        storage.ended(
            key,
            Measured {
                nanos: 20_000_000_000,
                ..measured
            },
        );
        let mut seen = Vec::new();
        storage.visit(|_, labels, series| {
            if labels[1] == "/families-test/{id}" {
                seen.push((labels.map(str::to_owned), series.read(|s| &s.duration)));
            }
        });
        assert_eq!(seen.len(), 1);
        let (labels, summed) = &seen[0];
        assert_eq!(labels, &["POST", "/families-test/{id}", "201", "https"]);
        // 30 ms is under 50 ms; 20 s is past the last bound.
        assert_eq!(summed.cumulative[3], 1);
        assert_eq!(summed.cumulative[13], 1);
        assert_eq!(summed.cumulative[14], 2);
        assert_eq!(summed.sum, 20_030_000_000);
    }

    #[test]
    fn shards_of_many_threads_sum_and_in_flight_is_started_less_ended() {
        let storage: &'static Storage = Box::leak(Box::new(Storage::new()));
        let key = Key {
            route: storage.route(Some("/threads/{id}")),
            block: block(UrlScheme::Http, 0),
            status: 200,
        };
        let measured = Measured {
            nanos: 1_000,
            request_bytes: None,
            response_bytes: 10,
        };
        // Three requests start here; two end on other threads (one each), one never ends.
        for _ in 0..3 {
            storage.started(key.block);
        }
        for _ in 0..2 {
            std::thread::spawn(move || storage.ended(key, measured))
                .join()
                .unwrap();
        }
        let in_flight = storage.in_flight();
        assert_eq!(in_flight[key.block], Some(1));
        assert_eq!(in_flight[block(UrlScheme::Https, 0)], None);
        let mut seen = Vec::new();
        storage.visit(|_, _, series| {
            seen.push((series.read(|s| &s.response_size), series.shards.all().len()));
        });
        assert_eq!(seen.len(), 1);
        let (summed, shards) = &seen[0];
        // The second thread took up the shard the first left when it exited.
        assert_eq!(*shards, 1);
        assert_eq!(summed.cumulative[1], 2); // 10 bytes: le="64"
        assert_eq!(summed.sum, 20);
        // The other table's counts are its own, though this thread has a shard of both.
        storage.ended(key, measured);
        assert_eq!(storage.in_flight()[key.block], Some(0));
        STORAGE.started(key.block);
        assert_eq!(storage.in_flight()[key.block], Some(0));
    }

    #[test]
    fn routes_past_the_cap_share_the_overflow_route_and_are_counted() {
        let storage = Storage::new();
        let routes: Vec<usize> = (0..MAX_ROUTES + 3)
            .map(|i| storage.route(Some(&format!("/r{i}/{{id}}"))))
            .collect();
        assert_eq!(routes[..MAX_ROUTES], (0..MAX_ROUTES).collect::<Vec<_>>());
        assert_eq!(routes[MAX_ROUTES..], [OVERFLOW_ROUTE; 3]);
        assert_eq!(storage.route_overflows.load(Ordering::Relaxed), 3);
        // Known templates still find their own row; unmatched requests are not overflows.
        assert_eq!(storage.route(Some("/r7/{id}")), 7);
        assert_eq!(storage.route(None), UNMATCHED);
        assert_eq!(storage.route_overflows.load(Ordering::Relaxed), 3);
        assert_eq!(storage.route_label(OVERFLOW_ROUTE), OVERFLOW_VALUE);
    }

    #[test]
    fn no_route_is_the_unmatched_route() {
        assert_eq!(STORAGE.route(None), UNMATCHED);
        assert_eq!(STORAGE.route(Some("")), UNMATCHED);
        assert_eq!(STORAGE.route_label(UNMATCHED), UNMATCHED_ROUTE);
        assert_eq!(STORAGE.route_label(OVERFLOW_ROUTE), OVERFLOW_VALUE);
    }
}
