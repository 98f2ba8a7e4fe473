//! Interning of [`Bounded`](super::Bounded) label values.
//!
//! A fixed-capacity open-addressing table maps a value to its dense index. Lookups of known values
//! are lock-free and allocation-free (a hash, a probe and a string compare); only a new value takes
//! the insertion lock and allocates, once. Past the capacity, values map to the overflow index
//! without locking.
//!
//! An interner does not count overflows itself: a recording can overflow several labels of its
//! family at once, and `obs_label_overflow_total` counts recordings. Each overflowing lookup
//! bumps a per-thread tally ([`overflowed_on_this_thread`]) that the family reads before and after
//! resolving a recording's labels, and counts the recording once if it moved.

use std::cell::Cell;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The label value of the overflow series of a [`Bounded`](super::Bounded) label.
pub const OVERFLOW_VALUE: &str = "__overflow__";

/// Longest [`Bounded`](super::Bounded) label value kept, in bytes; longer values are truncated.
pub const MAX_VALUE_LEN: usize = 128;

/// Interned values of one bounded label of one family.
#[derive(Debug)]
pub struct Interner {
    /// Values by dense index; the first `len` are set.
    values: Box<[OnceLock<Box<str>>]>,
    /// Open-addressing slots holding `index + 1`, or 0 when empty; at most half full.
    slots: Box<[AtomicU32]>,
    len: AtomicUsize,
    insert: Mutex<()>,
    hasher: foldhash::fast::RandomState,
}

thread_local! {
    /// Lookups on this thread that went to an overflow index because a table was full.
    static OVERFLOWED: Cell<u64> = const { Cell::new(0) };
}

/// How many lookups on this thread have gone to an overflow index because their table was full,
/// since the thread started: read it before and after resolving labels to learn whether any
/// overflowed.
#[inline(always)]
pub(crate) fn overflowed_on_this_thread() -> u64 {
    OVERFLOWED.with(Cell::get)
}

#[cold]
fn note_overflow() {
    OVERFLOWED.with(|n| n.set(n.get().wrapping_add(1)));
}

impl Interner {
    /// An interner holding at most `cap` distinct values.
    pub fn new(cap: usize) -> Self {
        let slots = cap.saturating_mul(2).max(1).next_power_of_two();
        Self {
            values: (0..cap).map(|_| OnceLock::new()).collect(),
            slots: (0..slots).map(|_| AtomicU32::new(0)).collect(),
            len: AtomicUsize::new(0),
            insert: Mutex::new(()),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// A placeholder for a fixed-cardinality label: holds nothing and allocates nothing.
    pub fn unused() -> Self {
        Self {
            values: Box::new([]),
            slots: Box::new([]),
            len: AtomicUsize::new(0),
            insert: Mutex::new(()),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// The capacity, which is also the overflow index.
    pub fn capacity(&self) -> usize {
        self.values.len()
    }

    /// The dense index of `value`, interning it if it is new and there is room; past the
    /// capacity, the overflow index (counted in this thread's overflow tally).
    #[inline]
    pub fn intern(&self, value: &str) -> usize {
        let value = truncate(value);
        let hash = self.hasher.hash_one(value) as usize;
        match self.find(value, hash) {
            Ok(index) => index,
            Err(_) => self.insert_slow(value, hash),
        }
    }

    /// The value at `index`, or the overflow marker.
    pub fn value(&self, index: usize) -> &str {
        self.values
            .get(index)
            .and_then(OnceLock::get)
            .map_or(OVERFLOW_VALUE, |v| v)
    }

    /// `Ok(index)` when present, else `Err(empty slot)` where it would go.
    #[inline]
    fn find(&self, value: &str, hash: usize) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut pos = hash & mask;
        loop {
            let slot = self.slots[pos].load(Ordering::Acquire) as usize;
            if slot == 0 {
                return Err(pos);
            }
            if self.values[slot - 1].get().is_some_and(|v| **v == *value) {
                return Ok(slot - 1);
            }
            pos = (pos + 1) & mask;
        }
    }

    #[cold]
    fn insert_slow(&self, value: &str, hash: usize) -> usize {
        #[cfg(test)]
        tests::after_a_missed_lookup(self);
        let cap = self.capacity();
        if value == OVERFLOW_VALUE {
            return cap;
        }
        if self.len.load(Ordering::Acquire) >= cap {
            // Full, so nothing is inserted any more: but another thread may have inserted this
            // very value since our lookup missed it, so look once more before calling it an
            // overflow.
            if let Ok(index) = self.find(value, hash) {
                return index;
            }
            note_overflow();
            return cap;
        }
        let _guard = self
            .insert
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let pos = match self.find(value, hash) {
            Ok(index) => return index,
            Err(pos) => pos,
        };
        let index = self.len.load(Ordering::Relaxed);
        if index >= cap {
            note_overflow();
            return cap;
        }
        // Under the lock nobody else sets this cell, so `set` cannot fail.
        let _ = self.values[index].set(value.into());
        self.slots[pos].store(index as u32 + 1, Ordering::Release);
        self.len.store(index + 1, Ordering::Release);
        index
    }
}

/// `value` cut to at most [`MAX_VALUE_LEN`] bytes at a character boundary.
#[inline]
pub fn truncate(value: &str) -> &str {
    if value.len() <= MAX_VALUE_LEN {
        return value;
    }
    let mut end = MAX_VALUE_LEN;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_up_to_capacity_then_overflows() {
        let before = overflowed_on_this_thread();
        let interner = Interner::new(3);
        assert_eq!(interner.intern("a"), 0);
        assert_eq!(interner.intern("b"), 1);
        assert_eq!(interner.intern("a"), 0);
        assert_eq!(interner.intern("c"), 2);
        assert_eq!(interner.intern("d"), 3);
        assert_eq!(interner.intern("e"), 3);
        assert_eq!(interner.intern("b"), 1);
        assert_eq!(overflowed_on_this_thread() - before, 2);
        assert_eq!(interner.value(1), "b");
        assert_eq!(interner.value(3), OVERFLOW_VALUE);
    }

    #[test]
    fn the_overflow_marker_is_never_a_value_of_its_own() {
        let before = overflowed_on_this_thread();
        let interner = Interner::new(4);
        assert_eq!(interner.intern(OVERFLOW_VALUE), 4);
        assert_eq!(overflowed_on_this_thread(), before);
    }

    #[test]
    fn long_values_are_truncated_at_a_char_boundary() {
        let long = "é".repeat(MAX_VALUE_LEN);
        let cut = truncate(&long);
        assert!(cut.len() <= MAX_VALUE_LEN && cut.len() >= MAX_VALUE_LEN - 1);
        assert!(long.starts_with(cut));
        let interner = Interner::new(2);
        let a = interner.intern(&long);
        assert_eq!(interner.intern(cut), a);
    }

    #[test]
    fn zero_capacity_always_overflows() {
        let before = overflowed_on_this_thread();
        let interner = Interner::new(0);
        assert_eq!(interner.intern("x"), 0);
        assert_eq!(overflowed_on_this_thread() - before, 1);
    }

    thread_local! {
        /// Run once, by the next [`Interner::insert_slow`] on this thread, between its missed
        /// lookup and anything else: lets a test place another thread's insertion exactly there.
        static AFTER_A_MISSED_LOOKUP: std::cell::Cell<Option<fn(&Interner)>> =
            const { std::cell::Cell::new(None) };
    }

    pub(super) fn after_a_missed_lookup(interner: &Interner) {
        if let Some(hook) = AFTER_A_MISSED_LOOKUP.take() {
            hook(interner);
        }
    }

    #[test]
    fn a_value_interned_by_another_thread_after_a_missed_lookup_is_found() {
        // The other thread interns the same value, filling the table, just after this thread's
        // lookup missed it: this thread must find it, not call it an overflow.
        let before = overflowed_on_this_thread();
        let interner = Interner::new(2);
        assert_eq!(interner.intern("a"), 0);
        AFTER_A_MISSED_LOOKUP.set(Some(|interner| {
            std::thread::scope(|s| {
                s.spawn(|| assert_eq!(interner.intern("b"), 1));
            });
        }));
        assert_eq!(interner.intern("b"), 1);
        assert_eq!(overflowed_on_this_thread(), before);
        assert_eq!(interner.intern("c"), 2);
        assert_eq!(overflowed_on_this_thread() - before, 1);
    }

    #[test]
    fn concurrent_interning_gives_one_index_per_value() {
        let interner = Interner::new(64);
        let seen: Vec<Vec<usize>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..64).map(|i| interner.intern(&format!("v{i}"))).collect()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(seen.windows(2).all(|w| w[0] == w[1]));
        let mut indices = seen[0].clone();
        indices.sort_unstable();
        assert_eq!(indices, (0..64).collect::<Vec<_>>());
    }
}
