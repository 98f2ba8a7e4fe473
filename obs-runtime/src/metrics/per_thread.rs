//! Per-thread shards: series that one thread writes with plain loads and stores (relaxed atomics,
//! no locked instruction) and a reader sums. A locked add costs about 8 ns on a virtualised x86
//! core, several times a store, so the hot paths that record several values per call
//! (`#[observed]` call sites, `#[llm_call]` rows) keep one shard per thread.
//!
//! A shard is owned by one thread at a time; when the thread exits it goes back to its pool and
//! is taken up by the next new thread, so a pool holds as many shards as threads ever recorded
//! at once, and nothing recorded is lost.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The shards of one series set: every one ever made (for reading), and those whose thread has
/// exited (for the next new thread).
#[derive(Debug)]
pub(crate) struct ShardPool<T: 'static> {
    all: Mutex<Vec<&'static T>>,
    free: Mutex<Vec<&'static T>>,
}

impl<T: 'static> Default for ShardPool<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static> ShardPool<T> {
    /// An empty pool (`const`, so it can sit in a `static`).
    pub(crate) const fn new() -> Self {
        Self {
            all: Mutex::new(Vec::new()),
            free: Mutex::new(Vec::new()),
        }
    }

    /// A shard for the calling thread: one a finished thread left, or a new one from `make`.
    #[cold]
    pub(crate) fn take(&self, make: impl FnOnce() -> T) -> &'static T {
        if let Some(shard) = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return shard;
        }
        let shard: &'static T = Box::leak(Box::new(make()));
        self.all
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(shard);
        shard
    }

    /// Returns a shard whose thread is done with it.
    pub(crate) fn give_back(&self, shard: &'static T) {
        self.free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(shard);
    }

    /// Every shard ever made, for reading.
    pub(crate) fn all(&self) -> Vec<&'static T> {
        self.all.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// `cell += by`, by the one thread that writes it.
#[inline(always)]
pub(crate) fn bump(cell: &AtomicU64, by: u64) {
    cell.store(
        cell.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

/// `cell += value` as an `f64`, by the one thread that writes it.
#[cfg_attr(not(feature = "llm"), allow(dead_code))]
#[inline(always)]
pub(crate) fn add_f64(cell: &AtomicU64, value: f64) {
    let sum = f64::from_bits(cell.load(Ordering::Relaxed)) + value;
    cell.store(sum.to_bits(), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_given_back_is_taken_again_and_every_shard_stays_readable() {
        let pool: ShardPool<AtomicU64> = ShardPool::new();
        let a = pool.take(|| AtomicU64::new(0));
        bump(a, 2);
        let b = pool.take(|| AtomicU64::new(0));
        assert!(!std::ptr::eq(a, b));
        pool.give_back(a);
        let c = pool.take(|| AtomicU64::new(100));
        assert!(
            std::ptr::eq(a, c),
            "the free shard is reused, not a new one made"
        );
        bump(c, 3);
        let total: u64 = pool.all().iter().map(|s| s.load(Ordering::Relaxed)).sum();
        assert_eq!(total, 5);
        assert_eq!(pool.all().len(), 2);
    }
}
