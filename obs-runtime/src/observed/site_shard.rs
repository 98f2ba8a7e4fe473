//! One thread's counts of one call site (see [`per_thread`](crate::metrics::per_thread)): a call
//! records its start and its end with plain stores into the shard of the thread it runs on, and
//! a snapshot sums the shards. A future that moves between threads starts in one thread's shard
//! and ends in another's; the sums are the same.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::callsite::CallSite;
use super::outcome::Outcome;
use crate::metrics::per_thread::bump;

/// What one thread recorded into one call site.
#[derive(Debug)]
pub(crate) struct SiteShard {
    started: AtomicU64,
    /// Calls that ended as `error`, `panic` and `cancelled` (`ok` is derived).
    failed: [AtomicU64; 3],
    sum_nanos: AtomicU64,
    /// Latency bucket counts (not cumulative), `+Inf` last.
    counts: Box<[AtomicU64]>,
}

/// A call site's shards summed.
#[derive(Debug, Default)]
pub(crate) struct SiteTotals {
    pub(crate) started: u64,
    pub(crate) failed: [u64; 3],
    pub(crate) sum_nanos: u64,
    pub(crate) counts: Vec<u64>,
}

impl SiteShard {
    /// A shard with `buckets` latency counts.
    pub(crate) fn new(buckets: usize) -> Self {
        Self {
            started: AtomicU64::new(0),
            failed: [const { AtomicU64::new(0) }; 3],
            sum_nanos: AtomicU64::new(0),
            counts: (0..buckets).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Counts a call that began.
    #[inline(always)]
    pub(crate) fn start(&self) {
        bump(&self.started, 1);
    }

    /// Counts a call of `nanos` in latency bucket `bucket` that ended with `outcome`.
    #[inline(always)]
    pub(crate) fn end(&self, bucket: usize, nanos: u64, outcome: Outcome) {
        if let Some(count) = self.counts.get(bucket) {
            bump(count, 1);
        }
        bump(&self.sum_nanos, nanos);
        let failed = match outcome {
            Outcome::Ok => return,
            Outcome::Error => &self.failed[0],
            Outcome::Panic => &self.failed[1],
            Outcome::Cancelled => &self.failed[2],
        };
        bump(failed, 1);
    }

    /// Adds this shard to `totals` (whose `counts` has one entry per bucket).
    pub(crate) fn add_to(&self, totals: &mut SiteTotals) {
        // Ends before starts: a call that starts and ends between the two reads is then counted
        // as neither, never as ended without having started.
        for (total, cell) in totals.counts.iter_mut().zip(self.counts.iter()) {
            *total += cell.load(Ordering::Relaxed);
        }
        for (total, cell) in totals.failed.iter_mut().zip(&self.failed) {
            *total += cell.load(Ordering::Relaxed);
        }
        totals.sum_nanos += self.sum_nanos.load(Ordering::Relaxed);
        totals.started += self.started.load(Ordering::Relaxed);
    }
}

/// This thread's shards, by call-site slot; given back to their sites when the thread exits.
struct ThreadShards(Vec<Option<(&'static SiteShard, &'static CallSite)>>);

impl Drop for ThreadShards {
    fn drop(&mut self) {
        for (shard, site) in self.0.drain(..).flatten() {
            site.give_back(shard);
        }
    }
}

thread_local! {
    static MINE: RefCell<ThreadShards> = const { RefCell::new(ThreadShards(Vec::new())) };
}

/// Runs `f` with the calling thread's shard of `site`, whose slot (its registration index) is
/// `slot`.
#[inline]
pub(crate) fn with_mine(site: &'static CallSite, slot: usize, f: impl FnOnce(&SiteShard)) {
    let mut f = Some(f);
    let _ = MINE.try_with(|mine| {
        let mut mine = mine.borrow_mut();
        let shard = match mine.0.get(slot) {
            Some(Some((shard, _))) => *shard,
            _ => claim(&mut mine.0, site, slot),
        };
        if let Some(f) = f.take() {
            f(shard);
        }
    });
    // The thread is exiting (its thread-locals are gone): record into a shard given straight
    // back; it stays readable.
    if let Some(f) = f {
        let shard = site.take();
        f(shard);
        site.give_back(shard);
    }
}

/// Takes a shard of `site` for this thread, at `slot`.
#[cold]
#[inline(never)]
fn claim(
    mine: &mut Vec<Option<(&'static SiteShard, &'static CallSite)>>,
    site: &'static CallSite,
    slot: usize,
) -> &'static SiteShard {
    if mine.len() <= slot {
        mine.resize(slot + 1, None);
    }
    let shard = site.take();
    mine[slot] = Some((shard, site));
    shard
}
