//! Stripes: where a thread's counter increments go.
//!
//! Two threads incrementing one atomic pass its cache line back and forth on every increment, so
//! under contention a shared counter costs a cache-line transfer per increment. Counters therefore
//! keep one run of cells per stripe (see [`Family`](super::Family)), each run on cache lines of its
//! own; a thread always adds into the stripe it was given on its first increment, and a read sums
//! the stripes. The value stays exact; two threads on different stripes never touch the same line.
//!
//! The stripe count is the number of CPUs the process may use, at most [`MAX_STRIPES`], fixed for
//! the life of the process; threads take stripes round-robin in the order of their first
//! increment, so up to that many threads that record at once get one each. On one CPU there is
//! one stripe and nothing is spread.

use std::cell::Cell;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Most stripes a counter keeps: bounds memory (8 bytes per series per stripe) on large machines.
pub const MAX_STRIPES: usize = 4;

/// Cells left empty before, between and after the stripes of a family, so that no two stripes
/// (and no stripe and a neighbouring allocation) share a cache line or an adjacent-line prefetch
/// pair: 16 x 8 = 128 bytes.
pub(crate) const PAD: usize = 16;

static COUNT: LazyLock<usize> = LazyLock::new(|| {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_STRIPES)
});

static NEXT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe, or `usize::MAX` before its first increment.
    static MINE: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The number of stripes, the same for every family of the process.
#[inline]
pub(crate) fn count() -> usize {
    *COUNT
}

/// This thread's stripe, in `0..count()`.
#[inline(always)]
pub(crate) fn current() -> usize {
    let stripe = MINE.with(Cell::get);
    if stripe != usize::MAX {
        return stripe;
    }
    assign()
}

#[cold]
#[inline(never)]
fn assign() -> usize {
    let stripe = NEXT.fetch_add(1, Ordering::Relaxed) % count();
    MINE.with(|mine| mine.set(stripe));
    stripe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_stripe() {
        let stripes: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| (current(), current()))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .map(|(a, b)| {
                    assert_eq!(a, b);
                    a
                })
                .collect()
        });
        assert!(stripes.iter().all(|&s| s < count()));
    }
}
