//! Per-thread storage of a row's series (see [`per_thread`](crate::metrics::per_thread)): each
//! thread records into a shard of its own with plain stores, and a scrape sums the shards. A
//! priced call records some fifteen values, so this is what keeps `#[llm_call]` cheap.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::pricing::ModelPrice;
use crate::metrics::per_thread::{ShardPool, ThreadSlots, with_shard};
pub(crate) use crate::metrics::per_thread::{add_f64, bump};
pub(crate) use crate::metrics::unit_bounds;
use crate::metrics::unit_bucket as bucket;
use crate::observed::call::nanos_between;

/// Most bucket bounds of a shard histogram.
pub(crate) const MAX_BOUNDS: usize = 14;

/// One histogram of one thread: bucket counts (not cumulative; `+Inf` last) and the sum, of
/// float observations (`f64` bits) and of whole units (nanoseconds, tokens) apart, so that
/// counting a whole number needs no float math.
#[derive(Debug)]
pub(crate) struct ShardHistogram {
    counts: [AtomicU64; MAX_BOUNDS + 1],
    sum: AtomicU64,
    sum_units: AtomicU64,
}

impl ShardHistogram {
    const fn new() -> Self {
        Self {
            counts: [const { AtomicU64::new(0) }; MAX_BOUNDS + 1],
            sum: AtomicU64::new(0),
            sum_units: AtomicU64::new(0),
        }
    }

    /// Counts `units` (nanoseconds, tokens) in `bounds`, the same bounds in those units: the
    /// first bucket whose bound is at least `units`, by a scan from the smallest.
    #[inline]
    pub(crate) fn observe_units(&self, bounds: &[u64], units: u64) {
        bump(&self.counts[bucket(bounds, units)], 1);
        bump(&self.sum_units, units);
    }

    /// Counts the rate `count` per second over `nanos` nanoseconds (both above 0) in `bounds`,
    /// whole units per second: the bucket is found by exact integer comparison
    /// (`count * 1e9 <= bound * nanos`), which does not wait for the division that only the sum
    /// needs, in a scan from the smallest bound (the products are independent of each other,
    /// where a binary search would chain them).
    #[inline]
    pub(crate) fn observe_rate(&self, bounds: &[u64], count: u64, nanos: u64) {
        let scaled = u128::from(count) * 1_000_000_000;
        let mut bucket = 0;
        while bucket < bounds.len() && u128::from(bounds[bucket]) * u128::from(nanos) < scaled {
            bucket += 1;
        }
        bump(&self.counts[bucket], 1);
        add_f64(&self.sum, count as f64 * 1e9 / nanos as f64);
    }

    /// Adds this shard's counts (`bounds + 1` of them) to `counts`, and returns its sum, whole
    /// units counted as `unit` each.
    fn add_to(&self, counts: &mut [u64], unit: f64) -> f64 {
        for (total, cell) in counts.iter_mut().zip(&self.counts) {
            *total += cell.load(Ordering::Relaxed);
        }
        f64::from_bits(self.sum.load(Ordering::Relaxed))
            + self.sum_units.load(Ordering::Relaxed) as f64 * unit
    }
}

/// Chunk times of one stream, counted in the stream's own state (no shared memory per chunk)
/// in the call clock's raw units, and added to the row in nanoseconds when the stream's call
/// ends: a chunk costs a comparison and two adds, no conversion.
#[derive(Debug, Default)]
pub(crate) struct LocalHistogram {
    counts: [u32; MAX_BOUNDS + 1],
    sum_raw: u64,
}

impl LocalHistogram {
    /// Counts an interval of `raw` clock units in `raw_bounds` (bounds made by
    /// `observed::call::raw_bounds`).
    #[inline]
    pub(crate) fn observe_raw(&mut self, raw_bounds: &[u64], raw: u64) {
        let bucket = bucket(raw_bounds, raw);
        self.counts[bucket] = self.counts[bucket].saturating_add(1);
        self.sum_raw = self.sum_raw.saturating_add(raw);
    }

    /// Adds the counts and the sum to `into`, the thread's shard (which counts nanoseconds).
    pub(crate) fn add_to(&self, into: &ShardHistogram) {
        for (cell, n) in into.counts.iter().zip(self.counts) {
            if n > 0 {
                bump(cell, u64::from(n));
            }
        }
        bump(&into.sum_units, nanos_between(0, self.sum_raw));
    }
}

/// What one thread recorded into one row.
#[derive(Debug)]
pub(crate) struct Shard {
    pub(crate) duration: ShardHistogram,
    pub(crate) input_tokens: ShardHistogram,
    pub(crate) output_tokens: ShardHistogram,
    pub(crate) time_to_first_chunk: ShardHistogram,
    pub(crate) time_per_chunk: ShardHistogram,
    pub(crate) tokens_per_second: ShardHistogram,
    /// US dollars (`f64` bits) by kind of token, in `TokenKind::ALL` order.
    pub(crate) cost: [AtomicU64; 5],
    pub(crate) usage_missing: AtomicU64,
    pub(crate) unpriced: AtomicU64,
    /// Calls of a priced model that used a kind of token its entry has no price for, by kind
    /// (`TokenKind::ALL` order).
    pub(crate) partially_priced: [AtomicU64; 5],
}

impl Shard {
    const fn new() -> Self {
        Self {
            duration: ShardHistogram::new(),
            input_tokens: ShardHistogram::new(),
            output_tokens: ShardHistogram::new(),
            time_to_first_chunk: ShardHistogram::new(),
            time_per_chunk: ShardHistogram::new(),
            tokens_per_second: ShardHistogram::new(),
            cost: [const { AtomicU64::new(0) }; 5],
            usage_missing: AtomicU64::new(0),
            unpriced: AtomicU64::new(0),
            partially_priced: [const { AtomicU64::new(0) }; 5],
        }
    }
}

/// The shards of one row.
pub(crate) type Shards = ShardPool<Shard>;

/// A histogram summed over a row's shards.
#[derive(Debug)]
pub(crate) struct Summed {
    /// Cumulative counts, one per bound and `+Inf` last.
    pub(crate) cumulative: Vec<u64>,
    pub(crate) sum: f64,
}

impl ShardPool<Shard> {
    /// One histogram (chosen by `which`) summed over the shards; `None` when nothing was counted.
    pub(crate) fn histogram(
        &self,
        bounds: &[f64],
        unit: f64,
        which: fn(&Shard) -> &ShardHistogram,
    ) -> Option<Summed> {
        let mut counts = vec![0u64; bounds.len() + 1];
        let mut sum = 0.0;
        for shard in self.all() {
            sum += which(shard).add_to(&mut counts, unit);
        }
        let mut running = 0;
        let cumulative: Vec<u64> = counts
            .iter()
            .map(|c| {
                running += c;
                running
            })
            .collect();
        (running > 0).then_some(Summed { cumulative, sum })
    }

    /// A counter (chosen by `which`) summed over the shards.
    pub(crate) fn count(&self, which: impl Fn(&Shard) -> &AtomicU64) -> u64 {
        self.all()
            .iter()
            .map(|s| which(s).load(Ordering::Relaxed))
            .sum()
    }

    /// A float counter (chosen by `which`) summed over the shards.
    pub(crate) fn dollars(&self, which: impl Fn(&Shard) -> &AtomicU64) -> f64 {
        self.all()
            .iter()
            .map(|s| f64::from_bits(which(s).load(Ordering::Relaxed)))
            .sum()
    }
}

/// The row's price as one thread last looked it up, and the pricing table's generation then.
#[derive(Default)]
struct Priced {
    generation: Option<u64>,
    price: Option<ModelPrice>,
}

thread_local! {
    /// This thread's shards, by row id.
    static MINE: RefCell<ThreadSlots<Shard, Priced>> = const { RefCell::new(ThreadSlots::new()) };
}

/// Runs `f` with the calling thread's shard of the row `id` (whose shards are `shards`) and the
/// row's price as of pricing `generation` (`price` looks it up when this thread's copy is older).
#[inline]
pub(crate) fn with_mine<R>(
    id: usize,
    shards: &'static Shards,
    generation: u64,
    price: impl FnOnce() -> Option<ModelPrice>,
    f: impl FnOnce(&'static Shard, Option<&ModelPrice>) -> R,
) -> R {
    with_shard(&MINE, id, shards, Shard::new, |shard, priced| {
        if priced.generation != Some(generation) {
            priced.price = price();
            priced.generation = Some(generation);
        }
        f(shard, priced.price.as_ref())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_times_in_raw_units_land_in_the_buckets_their_seconds_would() {
        use crate::observed::call::{nanos_between, raw_bounds};
        let seconds = [0.01, 0.02, 0.04];
        let bounds: [u64; 3] = unit_bounds(&seconds, 1e9);
        assert_eq!(bounds, [10_000_000, 20_000_000, 40_000_000]);
        let raw = raw_bounds(&bounds);
        for (r, b) in raw.iter().zip(bounds) {
            assert!(
                nanos_between(0, *r) <= b && nanos_between(0, r + 1) > b,
                "{r} {b}"
            );
        }
        let mut local = LocalHistogram::default();
        // At a bound, in it (`le`); just above, in the next; past the last, in `+Inf`.
        for interval in [raw[0], raw[0] + 1, raw[2], raw[2] + 1, 0] {
            local.observe_raw(&raw, interval);
        }
        let shard = Shard::new();
        local.add_to(&shard.time_per_chunk);
        let mut counts = vec![0; 4];
        let sum = shard.time_per_chunk.add_to(&mut counts, 1e-9);
        assert_eq!(counts, [2, 1, 1, 1]);
        let raw_sum = 2 * raw[0] + 2 * raw[2] + 2;
        assert_eq!(sum, nanos_between(0, raw_sum) as f64 * 1e-9);
    }

    #[test]
    fn a_rate_at_a_bound_is_in_it_and_just_above_is_in_the_next() {
        let bounds: [u64; 3] = unit_bounds(&[1.0, 10.0, 100.0], 1.0);
        let h = ShardHistogram::new();
        h.observe_rate(&bounds, 10, 1_000_000_000); // 10/s: le="10"
        h.observe_rate(&bounds, 10, 999_999_999); // just over 10/s
        h.observe_rate(&bounds, 1, 1_000_000_000_000); // 0.001/s
        h.observe_rate(&bounds, 40, 100); // 400 million/s: +Inf
        let mut counts = vec![0; 4];
        let sum = h.add_to(&mut counts, 1.0);
        assert_eq!(counts, [1, 1, 1, 1]);
        assert!(
            (sum - (10.0 + 10.000_000_01 + 0.001 + 4e8)).abs() < 1e-3,
            "{sum}"
        );
    }

    #[test]
    fn shards_sum_across_threads_and_are_reused_after_a_thread_exits() {
        static SHARDS: std::sync::LazyLock<Shards> = std::sync::LazyLock::new(Shards::default);
        let shards: &'static Shards = &SHARDS;
        let bounds = [1.0, 10.0];
        let rate_bounds: [u64; 2] = unit_bounds(&bounds, 1.0);
        for _ in 0..3 {
            std::thread::spawn(move || {
                with_mine(
                    3000,
                    shards,
                    0,
                    || None,
                    |shard, price| {
                        assert!(price.is_none());
                        // 0.5 and 5 per second.
                        shard.duration.observe_rate(&rate_bounds, 1, 2_000_000_000);
                        shard.duration.observe_rate(&rate_bounds, 5, 1_000_000_000);
                        bump(&shard.unpriced, 1);
                        add_f64(&shard.cost[0], 0.25);
                    },
                )
            })
            .join()
            .unwrap();
        }
        // Three threads one after another: one shard, reused.
        assert_eq!(shards.all().len(), 1);
        let summed = shards.histogram(&bounds, 1e-9, |s| &s.duration).unwrap();
        assert_eq!(summed.cumulative, [3, 6, 6]);
        assert_eq!(summed.sum, 16.5);
        assert_eq!(shards.count(|s| &s.unpriced), 3);
        assert_eq!(shards.dollars(|s| &s.cost[0]), 0.75);
        assert!(
            shards
                .histogram(&bounds, 1.0, |s| &s.input_tokens)
                .is_none()
        );
    }
}
