//! Per-annotation-site state of `#[observed]` functions and the call guard that records into it.
//!
//! Each annotated function owns one `static CallSite`: counters and a latency histogram in plain
//! atomics, registered once on the first call (like `tracing`'s callsites), so a call records
//! with a few relaxed atomics and two reads of the TSC clock, without hashing or locking.
//!
//! The in-flight gauge and the `ok` count are derived at scrape time (`started - finished` and
//! `finished - error - panic - cancelled`), which keeps the common path at three atomic adds.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};

use crate::metrics::DEFAULT_BUCKETS;

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::LabelValue)]
#[label(crate = "crate")]
pub enum Outcome {
    /// Returned normally (anything but `Err`).
    Ok,
    /// Returned `Err`.
    Error,
    /// Panicked.
    Panic,
    /// A future dropped before it completed.
    Cancelled,
}

/// Number of latency buckets, `+Inf` included.
pub(crate) const BUCKETS: usize = DEFAULT_BUCKETS.len() + 1;

/// [`DEFAULT_BUCKETS`] in nanoseconds.
const BOUNDS_NANOS: [u64; BUCKETS - 1] = {
    let mut out = [0u64; BUCKETS - 1];
    let mut i = 0;
    while i < out.len() {
        out[i] = (DEFAULT_BUCKETS[i] * 1e9) as u64;
        i += 1;
    }
    out
};

/// The clock: the TSC where it is usable (a read costs a few nanoseconds), else the OS clock.
static CLOCK: LazyLock<quanta::Clock> = LazyLock::new(quanta::Clock::new);

/// The state of one `#[observed]` function. Created by the macro as a `static`.
#[derive(Debug)]
pub struct CallSite {
    /// The function's name.
    pub function: &'static str,
    /// `module_path!()` where the function is defined.
    pub module: &'static str,
    registered: AtomicBool,
    started: AtomicU64,
    errors: AtomicU64,
    panics: AtomicU64,
    cancelled: AtomicU64,
    buckets: [AtomicU64; BUCKETS],
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
    /// Cumulative latency bucket counts, `+Inf` last.
    pub cumulative: [u64; BUCKETS],
    /// Sum of latencies in seconds.
    pub sum_seconds: f64,
}

static SITES: Mutex<Vec<&'static CallSite>> = Mutex::new(Vec::new());

impl CallSite {
    /// A call site for `function` in `module`. Used by `#[observed]`.
    pub const fn new(function: &'static str, module: &'static str) -> Self {
        Self {
            function,
            module,
            registered: AtomicBool::new(false),
            started: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            buckets: [const { AtomicU64::new(0) }; BUCKETS],
            sum_nanos: AtomicU64::new(0),
            error_kinds: OnceLock::new(),
        }
    }

    /// Every call site that has been called at least once, in first-call order.
    pub fn all() -> Vec<&'static CallSite> {
        SITES.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The call site of `function` defined in `module` (its `module_path!()`), once it has been
    /// called.
    pub fn find(module: &str, function: &str) -> Option<&'static CallSite> {
        let sites = SITES.lock().unwrap_or_else(|p| p.into_inner());
        sites
            .iter()
            .copied()
            .find(|s| s.module == module && s.function == function)
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

    /// Reads the counters.
    pub fn snapshot(&self) -> CallSiteSnapshot {
        let mut cumulative = [0u64; BUCKETS];
        let mut total = 0;
        for (out, b) in cumulative.iter_mut().zip(&self.buckets) {
            total += b.load(Ordering::Relaxed);
            *out = total;
        }
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

/// What else a call records when it ends: recording into the user's own families
/// (`#[observed(duration = ..., calls = ...)]`).
pub trait CallHook {
    /// Whether the hook records anything (so the call must be timed even without a call site).
    const ACTIVE: bool;
    /// Called once, with how the call ended and how long it took.
    fn on_end(self, outcome: Outcome, nanos: u64);
}

/// No hook.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHook;

impl CallHook for NoHook {
    const ACTIVE: bool = false;
    #[inline(always)]
    fn on_end(self, _: Outcome, _: u64) {}
}

impl<F: FnOnce(Outcome, u64)> CallHook for F {
    const ACTIVE: bool = true;
    #[inline]
    fn on_end(self, outcome: Outcome, nanos: u64) {
        self(outcome, nanos);
    }
}

/// One call in progress. Dropping it records the call; how it ended is what [`Call::finish`] was
/// told, or else `panic` when unwinding and `cancelled` otherwise. A call that never began (a
/// future dropped before its first poll) records nothing.
pub struct Call<H: CallHook = NoHook> {
    site: Option<&'static CallSite>,
    start: Cell<u64>,
    state: Cell<State>,
    hook: Cell<Option<H>>,
}

impl<H: CallHook> std::fmt::Debug for Call<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("site", &self.site.map(|s| s.function))
            .field("state", &self.state.get())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Running,
    Finished,
    Panicked,
}

impl Call<NoHook> {
    /// Starts timing a call of `site` now; `None` records nothing (`metrics = false`).
    #[inline]
    pub fn start(site: Option<&'static CallSite>) -> Self {
        Self::start_with(site, NoHook)
    }

    /// A call of `site` that starts at [`Call::begin`] (a future's first poll).
    #[inline]
    pub fn pending(site: Option<&'static CallSite>) -> Self {
        Self::pending_with(site, NoHook)
    }
}

impl<H: CallHook> Call<H> {
    /// [`Call::start`], also running `hook` when the call ends.
    #[inline]
    pub fn start_with(site: Option<&'static CallSite>, hook: H) -> Self {
        let call = Self::pending_with(site, hook);
        call.begin();
        call
    }

    /// [`Call::pending`], also running `hook` when the call ends.
    #[inline]
    pub fn pending_with(site: Option<&'static CallSite>, hook: H) -> Self {
        Self {
            site,
            start: Cell::new(0),
            state: Cell::new(State::Pending),
            hook: Cell::new(Some(hook)),
        }
    }

    /// Starts timing, unless already started.
    #[inline]
    pub fn begin(&self) {
        if self.state.get() != State::Pending {
            return;
        }
        self.state.set(State::Running);
        if let Some(site) = self.site {
            if !site.registered.load(Ordering::Relaxed) {
                site.register();
            }
            site.started.fetch_add(1, Ordering::Relaxed);
        }
        if self.site.is_some() || H::ACTIVE {
            self.start.set(CLOCK.raw());
        }
    }

    /// Records how the call ended.
    #[inline]
    pub fn finish(&self, outcome: Outcome) {
        if self.state.get() == State::Running {
            self.state.set(State::Finished);
            self.record(outcome);
        }
    }

    /// Counts an error of kind `index` among `names`.
    #[inline]
    pub fn error_kind(&self, index: usize, names: &'static [&'static str]) {
        if let Some(site) = self.site {
            let kinds = site.error_kinds.get_or_init(|| ErrorKinds {
                names,
                counts: names.iter().map(|_| AtomicU64::new(0)).collect(),
            });
            if let Some(count) = kinds.counts.get(index) {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A call dropped before it finished: it panicked or was cancelled.
    #[cold]
    #[inline(never)]
    fn record_unfinished(&self) {
        let outcome = match self.state.get() {
            State::Running if !std::thread::panicking() => Outcome::Cancelled,
            _ => Outcome::Panic,
        };
        self.record(outcome);
    }

    /// Marks that a poll of the call's future is unwinding.
    pub(crate) fn mark_panicked(&self) {
        if self.state.get() == State::Running {
            self.state.set(State::Panicked);
        }
    }

    /// Not forced inline: one copy per hook type serves every annotated function, which keeps
    /// release builds of many `#[observed]` functions small.
    #[inline]
    fn record(&self, outcome: Outcome) {
        if self.site.is_none() && !H::ACTIVE {
            return;
        }
        let nanos = CLOCK.delta_as_nanos(self.start.get(), CLOCK.raw());
        if let Some(hook) = self.hook.take() {
            hook.on_end(outcome, nanos);
        }
        let Some(site) = self.site else { return };
        // Calls of one function mostly land in one bucket, so this branch predicts well, and the
        // common case (under the first bound) does not wait for a count over every bound.
        let bucket = if nanos <= BOUNDS_NANOS[0] {
            0
        } else {
            BOUNDS_NANOS.partition_point(|&b| b < nanos)
        };
        site.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        site.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        let counter = match outcome {
            Outcome::Ok => return,
            Outcome::Error => &site.errors,
            Outcome::Panic => &site.panics,
            Outcome::Cancelled => &site.cancelled,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl<H: CallHook> Drop for Call<H> {
    /// Inlined: a finished call (the common case) only reads its state.
    #[inline]
    fn drop(&mut self) {
        if matches!(self.state.get(), State::Running | State::Panicked) {
            self.record_unfinished();
        }
    }
}
