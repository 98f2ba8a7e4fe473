//! Per-annotation-site state of `#[observed]` functions.
//!
//! Each annotated function owns one `static CallSite`, registered once on its first call (like
//! `tracing`'s callsites). Its counts live in per-thread shards (`site_shard.rs`), so a call
//! records with plain stores into its thread's shard and two reads of the TSC clock, without
//! hashing, locking or a locked instruction.
//!
//! The in-flight gauge and the `ok` count are derived at scrape time (`started - finished` and
//! `finished - error - panic - cancelled`), which keeps the common path at three stores.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::buckets::{self, LatencyBuckets, Layout};
use super::outcome::Outcome;
use super::site_shard::{self, SiteShard, SiteTotals};
use crate::metrics::per_thread::ShardPool;

/// The state of one `#[observed]` function. Created by the macro as a `static`.
#[derive(Debug)]
pub struct CallSite {
    /// The function's name.
    pub function: &'static str,
    /// `module_path!()` where the function is defined.
    pub module: &'static str,
    /// The site's position among registered sites, which indexes each thread's shards, plus
    /// one; 0 until the first call registers it.
    slot: AtomicUsize,
    layout: Layout,
    shards: ShardPool<SiteShard>,
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
        Self::with_layout(function, module, buckets::DEFAULT)
    }

    /// A call site for `function` in `module` whose latency is counted in `buckets`, a `static`
    /// of its own (`#[observed(buckets(...))]`).
    pub const fn with_buckets<const N: usize>(
        function: &'static str,
        module: &'static str,
        buckets: &'static LatencyBuckets<N>,
    ) -> Self {
        Self::with_layout(function, module, buckets::custom(buckets))
    }

    const fn with_layout(function: &'static str, module: &'static str, layout: Layout) -> Self {
        Self {
            function,
            module,
            slot: AtomicUsize::new(0),
            layout,
            shards: ShardPool::new(),
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

    /// Registers the site on its first call; returns its slot.
    #[inline(always)]
    fn slot(&'static self) -> usize {
        match self.slot.load(Ordering::Acquire) {
            0 => self.register(),
            slot => slot - 1,
        }
    }

    #[cold]
    #[inline(never)]
    fn register(&'static self) -> usize {
        let mut sites = SITES.lock().unwrap_or_else(|p| p.into_inner());
        let slot = self.slot.load(Ordering::Acquire);
        if slot != 0 {
            return slot - 1;
        }
        let index = sites.len();
        sites.push(self);
        self.slot.store(index + 1, Ordering::Release);
        drop(sites);
        super::families::ensure_registered();
        index
    }

    /// The site's shards.
    pub(crate) fn shards(&'static self) -> &'static ShardPool<SiteShard> {
        &self.shards
    }

    /// A new shard for this site.
    pub(crate) fn new_shard(&self) -> SiteShard {
        SiteShard::new(self.layout.seconds.len() + 1)
    }

    /// Counts a call that began (registering the site on its first call).
    #[inline]
    pub(crate) fn start(&'static self) {
        site_shard::with_mine(self, self.slot(), SiteShard::start);
    }

    /// The latency bucket layout.
    pub(crate) fn layout(&self) -> Layout {
        self.layout
    }

    /// Records a finished call of `nanos` that ended with `outcome`.
    #[inline]
    pub(crate) fn record(&'static self, nanos: u64, outcome: Outcome) {
        let bucket = self.layout.bucket(nanos);
        site_shard::with_mine(self, self.slot(), |shard| shard.end(bucket, nanos, outcome));
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
        let mut totals = SiteTotals {
            counts: vec![0; self.layout.seconds.len() + 1],
            ..SiteTotals::default()
        };
        for shard in self.shards.all() {
            shard.add_to(&mut totals);
        }
        let mut total = 0;
        let cumulative = totals
            .counts
            .iter()
            .map(|b| {
                total += b;
                total
            })
            .collect();
        let [errors, panics, cancelled] = totals.failed;
        let started = totals.started;
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
            sum_seconds: totals.sum_nanos as f64 / 1e9,
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
        static BUCKETS: LatencyBuckets<2> = LatencyBuckets::new([0.001, 60.0]);
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
    fn calls_started_and_ended_on_other_threads_sum_exactly_and_exited_threads_shards_are_reused() {
        static SITE: CallSite = CallSite::new("moves", "m");
        // Each call starts on one thread and ends on the next (a future that migrated).
        let starts = std::thread::spawn(|| (0..500).for_each(|_| SITE.start()));
        starts.join().unwrap();
        assert_eq!(SITE.snapshot().in_flight, 500);
        let ends: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    for n in 0..125 {
                        let outcome = if n % 5 == 0 {
                            Outcome::Error
                        } else {
                            Outcome::Ok
                        };
                        SITE.record(1_000_000 * (i + 1), outcome);
                    }
                })
            })
            .collect();
        ends.into_iter().for_each(|t| t.join().unwrap());
        let snap = SITE.snapshot();
        assert_eq!(snap.in_flight, 0);
        assert_eq!(snap.outcomes, [400, 100, 0, 0]);
        assert_eq!(snap.cumulative[0], 500, "all under 5 ms");
        assert_eq!(snap.sum_seconds, 125.0 * (1.0 + 2.0 + 3.0 + 4.0) / 1000.0);
        // Five threads recorded, at most four at once: shards of exited threads were taken up.
        assert!(SITE.shards.all().len() <= 4, "{}", SITE.shards.all().len());
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
