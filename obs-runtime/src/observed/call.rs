//! The call guard: one call of an `#[observed]` function in progress, recorded into its call
//! site (and the user's own families, through a [`CallHook`]) exactly once, however it ends.

use std::cell::{Cell, RefCell};
use std::sync::LazyLock;

use super::callsite::CallSite;
use super::outcome::Outcome;

/// The clock: the TSC where it is usable (a read costs a few nanoseconds), else the OS clock.
static CLOCK: LazyLock<quanta::Clock> = LazyLock::new(quanta::Clock::new);

/// A raw reading of the call clock.
#[inline(always)]
pub(crate) fn now() -> u64 {
    CLOCK.raw()
}

/// Nanoseconds between two raw readings of the call clock.
#[inline(always)]
pub(crate) fn nanos_between(start: u64, end: u64) -> u64 {
    CLOCK.delta_as_nanos(start, end)
}

/// A raw interval of the call clock: what [`nanos_between`] converts (0 when `end` is not after
/// `start`, as there).
#[inline(always)]
pub(crate) fn raw_between(start: u64, end: u64) -> u64 {
    end.saturating_sub(start)
}

/// For each bound in nanoseconds, the largest raw interval that is at most that many
/// nanoseconds: a raw interval compared with these falls in the same bucket as its nanoseconds
/// compared with `nanos` (the conversion is monotonic), without converting every interval.
pub(crate) fn raw_bounds<const N: usize>(nanos: &[u64; N]) -> [u64; N] {
    let in_nanos = |raw: u64| nanos_between(0, raw);
    nanos.map(|bound| {
        // Grow `hi` past the bound, then halve the gap: `in_nanos(lo) <= bound < in_nanos(hi)`.
        let mut hi = 1u64;
        while in_nanos(hi) <= bound {
            if hi >= 1 << 62 {
                return hi;
            }
            hi *= 2;
        }
        let mut lo = 0;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if in_nanos(mid) <= bound {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    })
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
    /// A `RefCell`, so [`Call::with_hook`] updates the hook in place rather than moving it out
    /// and back.
    hook: RefCell<Option<H>>,
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
    /// [`Call::start`], also running `hook` when the call ends. Always inlined, like
    /// [`Call::pending_with`], so a large hook is built in the guard, not copied into it.
    #[inline(always)]
    pub fn start_with(site: Option<&'static CallSite>, hook: H) -> Self {
        let call = Self::pending_with(site, hook);
        call.begin();
        call
    }

    /// [`Call::pending`], also running `hook` when the call ends.
    #[inline(always)]
    pub fn pending_with(site: Option<&'static CallSite>, hook: H) -> Self {
        Self {
            site,
            start: Cell::new(0),
            state: Cell::new(State::Pending),
            hook: RefCell::new(Some(hook)),
        }
    }

    /// Starts timing, unless already started.
    #[inline]
    pub fn begin(&self) {
        self.begin_timed(false);
    }

    /// Whether the call has not begun yet.
    #[inline(always)]
    pub(crate) fn is_pending(&self) -> bool {
        self.state.get() == State::Pending
    }

    /// Starts timing, unless already started; reads the clock even when nothing records the
    /// call's duration when `timed` (a stream hook needs the start).
    #[inline]
    pub(crate) fn begin_timed(&self, timed: bool) {
        if self.state.get() != State::Pending {
            return;
        }
        self.state.set(State::Running);
        if let Some(site) = self.site {
            site.start();
        }
        if self.site.is_some() || H::ACTIVE || timed {
            self.start.set(now());
        }
    }

    /// The raw clock reading the call started at (0 before it began, or when nothing timed it).
    #[inline]
    pub(crate) fn started_at(&self) -> u64 {
        self.start.get()
    }

    /// Records how the call ended.
    #[inline]
    pub fn finish(&self, outcome: Outcome) {
        if self.state.get() == State::Running {
            self.state.set(State::Finished);
            self.record(outcome);
        }
    }

    /// Lets `f` update the hook before the call ends (an attribute's settle step hands the
    /// hook what it read from the return value); nothing happens once the call has ended.
    #[inline]
    pub fn with_hook(&self, f: impl FnOnce(&mut H)) {
        if let Ok(mut hook) = self.hook.try_borrow_mut()
            && let Some(hook) = hook.as_mut()
        {
            f(hook);
        }
    }

    /// Counts an error of kind `index` among `names`.
    #[inline]
    pub fn error_kind(&self, index: usize, names: &'static [&'static str]) {
        if let Some(site) = self.site {
            site.error_kind(index, names);
        }
    }

    /// How the call ends if it is dropped now: `None` when it never began or has finished.
    pub(crate) fn unfinished_outcome(&self) -> Option<Outcome> {
        match self.state.get() {
            State::Pending | State::Finished => None,
            State::Running if !std::thread::panicking() => Some(Outcome::Cancelled),
            State::Running | State::Panicked => Some(Outcome::Panic),
        }
    }

    /// A call dropped before it finished: it panicked or was cancelled.
    #[cold]
    #[inline(never)]
    fn record_unfinished(&self) {
        if let Some(outcome) = self.unfinished_outcome() {
            self.record(outcome);
        }
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
        let nanos = nanos_between(self.start.get(), now());
        let hook = self.hook.try_borrow_mut().ok().and_then(|mut h| h.take());
        if let Some(hook) = hook {
            hook.on_end(outcome, nanos);
        }
        if let Some(site) = self.site {
            site.record(nanos, outcome);
        }
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
