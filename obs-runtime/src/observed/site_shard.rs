//! One thread's counts of one call site (see [`per_thread`](crate::metrics::per_thread)): a call
//! records its start and its end with plain stores into the shard of the thread it runs on, and
//! a snapshot sums the shards. A future that moves between threads starts in one thread's shard
//! and ends in another's; the sums are the same.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::callsite::CallSite;
use super::outcome::Outcome;
use crate::metrics::per_thread::{ThreadSlots, bump, with_shard};

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

thread_local! {
    /// This thread's shards, by call-site slot.
    static MINE: RefCell<ThreadSlots<SiteShard>> = const { RefCell::new(ThreadSlots::new()) };
}

/// Runs `f` with the calling thread's shard of `site`, whose slot (its registration index) is
/// `slot`.
#[inline]
pub(crate) fn with_mine(site: &'static CallSite, slot: usize, f: impl FnOnce(&SiteShard)) {
    with_shard(
        &MINE,
        slot,
        site.shards(),
        || site.new_shard(),
        |shard, ()| f(shard),
    );
}
