//! Per-annotation-site state of `#[observed]` functions.
//!
//! Each annotated function owns one `static CallSite`: counters and a latency histogram in plain
//! atomics, registered once on the first call (like `tracing`'s callsites), so a call records
//! with a few relaxed atomics and two reads of the TSC clock, without hashing or locking.
//!
//! The in-flight gauge and the `ok` count are derived at scrape time (`started - finished` and
//! `finished - error - panic - cancelled`), which keeps the common path at three atomic adds.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use super::buckets::{self, DEFAULT_COUNTS, LatencyBuckets, Layout};
use super::outcome::Outcome;

/// The state of one `#[observed]` function. Created by the macro as a `static`.
#[derive(Debug)]
pub struct CallSite {
    /// The function's name.
    pub function: &'static str,
    /// `module_path!()` where the function is defined.
    pub module: &'static str,
    registered: AtomicBool,
    pub(crate) started: AtomicU64,
    errors: AtomicU64,
    panics: AtomicU64,
    cancelled: AtomicU64,
    layout: Layout,
    /// The bucket counts of a per-function layout (empty: the default layout's, `default_counts`).
    custom_counts: &'static [AtomicU64],
    default_counts: [AtomicU64; DEFAULT_COUNTS],
    sum_nanos: AtomicU64,
    error_kinds: OnceLock<ErrorKinds>,
}

/// Error counts by kind, for functions whose error type implements
/// [`ErrorKind`](super::ErrorKind).
#[derive(Debug)]
pub(crate) struct ErrorKinds {
    pub(crate) names: &'static [&'static str],
    pub(crate) counts: Box<[AtomicU64]>,
}

/// A consistent-enough reading of a call site for exposition.
#[derive(Debug, Clone)]
pub struct CallSiteSnapshot {
    /// Calls by outcome, indexed like [`Outcome`].
    pub outcomes: [u64; 4],
    /// Calls started and not finished.
    pub in_flight: u64,
    /// The latency buckets' upper bounds in seconds, without `+Inf`.
    pub bounds: &'static [f64],
    /// Cumulative latency bucket counts, one per bound and `+Inf` last.
    pub cumulative: Vec<u64>,
    /// Sum of latencies in seconds.
    pub sum_seconds: f64,
}

static SITES: Mutex<Vec<&'static CallSite>> = Mutex::new(Vec::new());

impl CallSite {
    /// A call site for `function` in `module`, with the default latency buckets
    /// ([`DEFAULT_LATENCY_BUCKETS`](super::DEFAULT_LATENCY_BUCKETS)). Used by `#[observed]`.
    pub const fn new(function: &'static str, module: &'static str) -> Self {
        Self::with_layout(function, module, buckets::DEFAULT, &[])
    }

    /// A call site for `function` in `module` whose latency is counted in `buckets`, a `static`
    /// of its own (`#[observed(buckets(...))]`).
    pub const fn with_buckets<const N: usize, const M: usize>(
        function: &'static str,
        module: &'static str,
        buckets: &'static LatencyBuckets<N, M>,
    ) -> Self {
        let (layout, counts) = buckets::custom(buckets);
        Self::with_layout(function, module, layout, counts)
    }

    const fn with_layout(
        function: &'static str,
        module: &'static str,
        layout: Layout,
        custom_counts: &'static [AtomicU64],
    ) -> Self {
        Self {
            function,
            module,
            registered: AtomicBool::new(false),
            started: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            layout,
            custom_counts,
            default_counts: [const { AtomicU64::new(0) }; DEFAULT_COUNTS],
            sum_nanos: AtomicU64::new(0),
            error_kinds: OnceLock::new(),
        }
    }

    /// Every call site that has been called at least once, in first-call order. Two functions
    /// of the same name in one module (methods of two types) are two sites with equal labels;
    /// the framework families sum them into one series.
    pub fn all() -> Vec<&'static CallSite> {
        SITES.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The first-called call site of `function` defined in `module` (its `module_path!()`), once
    /// it has been called.
    pub fn find(module: &str, function: &str) -> Option<&'static CallSite> {
        let sites = SITES.lock().unwrap_or_else(|p| p.into_inner());
        sites
            .iter()
            .copied()
            .find(|s| s.module == module && s.function == function)
    }

    /// Registers the site on its first call.
    #[inline(always)]
    pub(crate) fn ensure_registered(&'static self) {
        if !self.registered.load(Ordering::Relaxed) {
            self.register();
        }
    }

    #[cold]
    fn register(&'static self) {
        let mut sites = SITES.lock().unwrap_or_else(|p| p.into_inner());
        if !self.registered.swap(true, Ordering::AcqRel) {
            sites.push(self);
            drop(sites);
            super::families::ensure_registered();
        }
    }

    /// The latency bucket layout.
    pub(crate) fn layout(&self) -> Layout {
        self.layout
    }

    #[inline(always)]
    fn counts(&self) -> &[AtomicU64] {
        if self.custom_counts.is_empty() {
            &self.default_counts
        } else {
            self.custom_counts
        }
    }

    /// Records a finished call of `nanos` that ended with `outcome`.
    #[inline]
    pub(crate) fn record(&self, nanos: u64, outcome: Outcome) {
        if let Some(count) = self.counts().get(self.layout.bucket(nanos)) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        let counter = match outcome {
            Outcome::Ok => return,
            Outcome::Error => &self.errors,
            Outcome::Panic => &self.panics,
            Outcome::Cancelled => &self.cancelled,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an error of kind `index` among `names`.
    pub(crate) fn error_kind(&self, index: usize, names: &'static [&'static str]) {
        let kinds = self.error_kinds.get_or_init(|| ErrorKinds {
            names,
            counts: names.iter().map(|_| AtomicU64::new(0)).collect(),
        });
        if let Some(count) = kinds.counts.get(index) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Reads the counters.
    pub fn snapshot(&self) -> CallSiteSnapshot {
        let mut total = 0;
        let cumulative = self
            .counts()
            .iter()
            .map(|b| {
                total += b.load(Ordering::Relaxed);
                total
            })
            .collect();
        let errors = self.errors.load(Ordering::Relaxed);
        let panics = self.panics.load(Ordering::Relaxed);
        let cancelled = self.cancelled.load(Ordering::Relaxed);
        let started = self.started.load(Ordering::Relaxed);
        CallSiteSnapshot {
            outcomes: [
                total.saturating_sub(errors + panics + cancelled),
                errors,
                panics,
                cancelled,
            ],
            in_flight: started.saturating_sub(total),
            bounds: self.layout.seconds,
            cumulative,
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }

    /// Error counts by kind, when the function's errors have kinds.
    pub fn error_kinds(&self) -> Option<(&'static [&'static str], Vec<u64>)> {
        self.error_kinds.get().map(|k| {
            let counts = k.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
            (k.names, counts)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_land_in_the_sites_own_layout() {
        static BUCKETS: LatencyBuckets<2, 3> = LatencyBuckets::new([0.001, 60.0]);
        static SITE: CallSite = CallSite::with_buckets("f", "m", &BUCKETS);
        SITE.record(500_000, Outcome::Ok); // 0.5 ms
        SITE.record(30_000_000_000, Outcome::Error); // 30 s
        SITE.record(90_000_000_000, Outcome::Cancelled); // 90 s
        let snap = SITE.snapshot();
        assert_eq!(snap.bounds, &[0.001, 60.0]);
        assert_eq!(snap.cumulative, [1, 2, 3]);
        assert_eq!(snap.outcomes, [1, 1, 0, 1]);
        assert_eq!(snap.sum_seconds, 120.0005);
    }

    #[test]
    fn the_default_layout_counts_long_calls_below_inf() {
        static SITE: CallSite = CallSite::new("g", "m");
        SITE.record(45_000_000_000, Outcome::Ok); // 45 s
        let snap = SITE.snapshot();
        let le_60 = snap.bounds.iter().position(|&b| b == 60.0).unwrap();
        assert_eq!(snap.cumulative[le_60 - 1], 0);
        assert_eq!(snap.cumulative[le_60], 1);
    }
}
