//! Per-thread shards: series that one thread writes with plain loads and stores (relaxed atomics,
//! no locked instruction) and a reader sums. A locked add costs about 8 ns on a virtualised x86
//! core, several times a store, so the hot paths that record several values per call
//! (`#[observed]` call sites, `#[llm_call]` rows) keep one shard per thread.
//!
//! A shard is owned by one thread at a time; when the thread exits it goes back to its pool and
//! is taken up by the next new thread, so a pool holds as many shards as threads ever recorded
//! at once, and nothing recorded is lost.
//!
//! A thread finds its shards in a [`ThreadSlots`] table (a `thread_local!` per kind of shard),
//! by slot: a dense index each series set gets when it is made. [`with_shard`] is the one way in.

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::LocalKey;

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

/// One thread's shards of one kind, by slot; each goes back to its pool when the thread exits.
/// `X` is what the thread keeps beside a shard (the LLM rows keep the row's price there).
pub(crate) struct ThreadSlots<T: 'static, X = ()>(Vec<Option<Slot<T, X>>>);

/// A thread's shard at one slot.
struct Slot<T: 'static, X> {
    shard: &'static T,
    pool: &'static ShardPool<T>,
    extra: X,
}

impl<T: 'static, X> ThreadSlots<T, X> {
    /// An empty table (`const`, for `thread_local!`).
    pub(crate) const fn new() -> Self {
        Self(Vec::new())
    }
}

impl<T: 'static, X> Drop for ThreadSlots<T, X> {
    fn drop(&mut self) {
        for slot in self.0.drain(..).flatten() {
            slot.pool.give_back(slot.shard);
        }
    }
}

/// Runs `f` with the calling thread's shard at `slot` of its table `mine`, and what the thread
/// keeps beside it; on the thread's first use of the slot, the shard is taken from `pool` (made
/// by `make` when none is free). While the thread is exiting (its thread-locals are gone), `f`
/// gets a shard taken for the call and given straight back, and a fresh `X`: nothing is lost.
#[inline(always)]
pub(crate) fn with_shard<T: 'static, X: Default, R>(
    mine: &'static LocalKey<RefCell<ThreadSlots<T, X>>>,
    slot: usize,
    pool: &'static ShardPool<T>,
    make: impl Fn() -> T,
    f: impl FnOnce(&'static T, &mut X) -> R,
) -> R {
    let mut f = Some(f);
    let done = mine.try_with(|mine| {
        let mut mine = mine.borrow_mut();
        if !matches!(mine.0.get(slot), Some(Some(_))) {
            claim(&mut mine.0, slot, pool, &make);
        }
        match mine.0.get_mut(slot) {
            Some(Some(local)) => f.take().map(|f| f(local.shard, &mut local.extra)),
            _ => None,
        }
    });
    match (done, f) {
        (Ok(Some(out)), _) => out,
        (_, Some(f)) => {
            let shard = pool.take(make);
            let out = f(shard, &mut X::default());
            pool.give_back(shard);
            out
        }
        (_, None) => unreachable!("`f` ran, or is still here"),
    }
}

/// Takes a shard from `pool` for this thread, at `slot`.
#[cold]
#[inline(never)]
fn claim<T: 'static, X: Default>(
    mine: &mut Vec<Option<Slot<T, X>>>,
    slot: usize,
    pool: &'static ShardPool<T>,
    make: &impl Fn() -> T,
) {
    if mine.len() <= slot {
        mine.resize_with(slot + 1, || None);
    }
    mine[slot] = Some(Slot {
        shard: pool.take(make),
        pool,
        extra: X::default(),
    });
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
