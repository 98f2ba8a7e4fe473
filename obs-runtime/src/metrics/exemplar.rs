//! Exemplars: the trace a sample came from, so a dashboard spike links to a trace.
//!
//! A recording made while a sampled span is current (as `ExemplarLayer` in `export` tracks it,
//! per thread) stores that span's `trace_id` / `span_id` with the value: one slot per counter
//! series and per histogram bucket, the latest winning. The slots of a family are allocated on
//! its first exemplar; with no span current, recording reads one thread-local and does nothing
//! more — no lock, no allocation. Exemplars are exposed in OpenMetrics only.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// One exemplar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exemplar {
    /// The W3C trace id.
    pub trace_id: u128,
    /// The span id.
    pub span_id: u64,
    /// The value recorded (a counter's increment, a histogram's observation).
    pub value: f64,
    /// When, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

/// Whether anything tracks span contexts (an `ExemplarLayer` is installed): until then recording
/// skips even the thread-local read.
static TRACKING: AtomicBool = AtomicBool::new(false);

/// Turns exemplar recording on, process-wide (done by the layer that tracks spans).
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) fn enable() {
    TRACKING.store(true, Ordering::Relaxed);
}

thread_local! {
    /// The trace context of each span entered on this thread, innermost last (`None` for a span
    /// that is not sampled).
    static CONTEXT: RefCell<Vec<Option<(u128, u64)>>> = const { RefCell::new(Vec::new()) };
}

/// Marks a span as entered on this thread, with its trace context when it is sampled.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) fn enter_span(context: Option<(u128, u64)>) {
    CONTEXT.with(|c| c.borrow_mut().push(context));
}

/// Marks the innermost entered span as exited.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) fn exit_span() {
    CONTEXT.with(|c| {
        c.borrow_mut().pop();
    });
}

/// The trace context recordings on this thread should carry, if any.
#[inline]
pub fn current() -> Option<(u128, u64)> {
    CONTEXT
        .try_with(|c| {
            c.try_borrow()
                .ok()
                .and_then(|c| c.last().copied().flatten())
        })
        .ok()
        .flatten()
}

/// A slot written lock-free under a sequence number: odd while being written.
#[derive(Debug, Default)]
struct Slot {
    seq: AtomicU64,
    trace_hi: AtomicU64,
    trace_lo: AtomicU64,
    span: AtomicU64,
    value: AtomicU64,
    time_ms: AtomicU64,
}

impl Slot {
    fn store(&self, e: &Exemplar) {
        let seq = self.seq.load(Ordering::Relaxed);
        // Another writer holds the slot: its exemplar is as recent as ours; keep it.
        if seq % 2 == 1
            || self
                .seq
                .compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.trace_hi
            .store((e.trace_id >> 64) as u64, Ordering::Relaxed);
        self.trace_lo.store(e.trace_id as u64, Ordering::Relaxed);
        self.span.store(e.span_id, Ordering::Relaxed);
        self.value.store(e.value.to_bits(), Ordering::Relaxed);
        self.time_ms.store(e.timestamp_ms, Ordering::Relaxed);
        self.seq.store(seq + 2, Ordering::Release);
    }

    fn load(&self) -> Option<Exemplar> {
        for _ in 0..64 {
            let before = self.seq.load(Ordering::Acquire);
            if before == 0 {
                return None;
            }
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let e = Exemplar {
                trace_id: (u128::from(self.trace_hi.load(Ordering::Relaxed)) << 64)
                    | u128::from(self.trace_lo.load(Ordering::Relaxed)),
                span_id: self.span.load(Ordering::Relaxed),
                value: f64::from_bits(self.value.load(Ordering::Relaxed)),
                timestamp_ms: self.time_ms.load(Ordering::Relaxed),
            };
            std::sync::atomic::fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == before {
                return Some(e);
            }
        }
        None
    }
}

/// The exemplar slots of one family.
#[derive(Debug)]
pub struct Exemplars {
    slots: OnceLock<Box<[Slot]>>,
    len: usize,
}

impl Exemplars {
    /// Room for `len` exemplars (series x buckets), allocated on the first one.
    pub fn new(len: usize) -> Self {
        Self {
            slots: OnceLock::new(),
            len,
        }
    }

    /// Records `value` at `slot` when a sampled span is current.
    #[inline(always)]
    pub fn record(&self, slot: usize, value: f64) {
        // One relaxed load of a process-wide flag; the rest is out of line, so a recording path
        // without span tracking keeps its registers.
        if TRACKING.load(Ordering::Relaxed) {
            self.record_tracked(slot, value);
        }
    }

    #[cold]
    #[inline(never)]
    fn record_tracked(&self, slot: usize, value: f64) {
        let Some((trace_id, span_id)) = current() else {
            return;
        };
        let slots = self
            .slots
            .get_or_init(|| (0..self.len).map(|_| Slot::default()).collect());
        if let Some(s) = slots.get(slot) {
            let timestamp_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            s.store(&Exemplar {
                trace_id,
                span_id,
                value,
                timestamp_ms,
            });
        }
    }

    /// The exemplar at `slot`, if one was recorded.
    pub fn get(&self, slot: usize) -> Option<Exemplar> {
        self.slots.get()?.get(slot)?.load()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_only_inside_a_sampled_span() {
        enable();
        let exemplars = Exemplars::new(4);
        exemplars.record(1, 1.0);
        assert_eq!(exemplars.get(1), None);
        enter_span(Some((0xabc, 0x12)));
        exemplars.record(1, 2.5);
        enter_span(None);
        exemplars.record(2, 9.0);
        exit_span();
        exit_span();
        exemplars.record(3, 1.0);
        let e = exemplars.get(1).unwrap();
        assert_eq!((e.trace_id, e.span_id, e.value), (0xabc, 0x12, 2.5));
        assert_eq!(exemplars.get(2), None, "an unsampled span carries none");
        assert_eq!(exemplars.get(3), None);
        assert_eq!(current(), None);
    }

    #[test]
    fn the_latest_wins() {
        enable();
        let exemplars = Exemplars::new(1);
        enter_span(Some((1, 1)));
        exemplars.record(0, 1.0);
        exit_span();
        enter_span(Some((2, 2)));
        exemplars.record(0, 3.0);
        exit_span();
        assert_eq!(exemplars.get(0).unwrap().trace_id, 2);
    }
}
