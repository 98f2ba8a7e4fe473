//! Counters and gauges: families of one-value series.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::exemplar::Exemplars;
use super::family::{Core, ExemplarVisitor, FamilyDesc, FamilyView, MetricType, Sample};
use super::label::{LabelSet, NoLabels};
use super::stripe;

/// Marker types naming the value kind of a [`Family`].
pub mod kind {
    /// A monotonic `u64` counter.
    #[derive(Debug)]
    pub enum Counter {}
    /// A monotonic `f64` counter, for amounts such as cost.
    #[derive(Debug)]
    pub enum FloatCounter {}
    /// An `i64` gauge.
    #[derive(Debug)]
    pub enum Gauge {}
    /// An `f64` gauge.
    #[derive(Debug)]
    pub enum FloatGauge {}
}

/// The value kinds a [`Family`] can hold.
pub trait ScalarKind: sealed::Sealed + 'static {
    /// The exposition type.
    const TYPE: MetricType;
    /// Whether increments spread over per-thread stripes (counters; a gauge's `set` cannot).
    const STRIPED: bool;
    /// Whether a recording can be refused (a float counter's negative or NaN amount).
    const REFUSES: bool;
    /// Interprets the stored bits.
    fn sample(bits: u64) -> Sample<'static>;
    /// Adds the bits of two stripes of one series.
    fn merge(a: u64, b: u64) -> u64;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::kind::Counter {}
    impl Sealed for super::kind::FloatCounter {}
    impl Sealed for super::kind::Gauge {}
    impl Sealed for super::kind::FloatGauge {}
}

fn add_f64_bits(a: u64, b: u64) -> u64 {
    (f64::from_bits(a) + f64::from_bits(b)).to_bits()
}

impl ScalarKind for kind::Counter {
    const TYPE: MetricType = MetricType::Counter;
    const STRIPED: bool = true;
    const REFUSES: bool = false;
    fn sample(bits: u64) -> Sample<'static> {
        Sample::Unsigned(bits)
    }
    fn merge(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }
}
impl ScalarKind for kind::FloatCounter {
    const TYPE: MetricType = MetricType::Counter;
    const STRIPED: bool = true;
    const REFUSES: bool = true;
    fn sample(bits: u64) -> Sample<'static> {
        Sample::Float(f64::from_bits(bits))
    }
    fn merge(a: u64, b: u64) -> u64 {
        add_f64_bits(a, b)
    }
}
impl ScalarKind for kind::Gauge {
    const TYPE: MetricType = MetricType::Gauge;
    const STRIPED: bool = false;
    const REFUSES: bool = false;
    fn sample(bits: u64) -> Sample<'static> {
        Sample::Signed(bits as i64)
    }
    fn merge(a: u64, _: u64) -> u64 {
        a
    }
}
impl ScalarKind for kind::FloatGauge {
    const TYPE: MetricType = MetricType::Gauge;
    const STRIPED: bool = false;
    const REFUSES: bool = false;
    fn sample(bits: u64) -> Sample<'static> {
        Sample::Float(f64::from_bits(bits))
    }
    fn merge(a: u64, _: u64) -> u64 {
        a
    }
}

/// Marks a series as recorded into. Its flag lives apart from the values, on a line that no
/// increment writes: a check of it never competes with another thread's increment.
#[inline(always)]
fn touch(touched: &AtomicBool) {
    if !touched.load(Ordering::Relaxed) {
        touched.store(true, Ordering::Relaxed);
    }
}

#[inline]
fn update_f64(cell: &AtomicU64, f: impl Fn(f64) -> f64) {
    let _ = cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
        Some(f(f64::from_bits(b)).to_bits())
    });
}

/// A family of counters or gauges, statically typed by its label set `L`.
///
/// Declared through `metrics!`; recording takes exactly the declared labels, in declaration
/// order: `()` for none, the value itself for one, a tuple for several.
///
/// # Storage
///
/// One dense array of values, allocated with the family. A gauge has one cell per series. A
/// counter has one run of cells per stripe (as many stripes as CPUs the process may use, at most
/// 4), each run 128 bytes away from the next: a thread adds into its own stripe's cell, so two
/// threads incrementing the same series do not pass a cache line back and forth, and a read sums
/// the stripes, so the value stays exact. That costs 8 bytes per series per stripe (plus 128
/// bytes per stripe per family), and nothing on one CPU. Whether a series was recorded into is
/// kept apart (one byte per series), where no increment writes.
pub struct Family<K, L = NoLabels> {
    core: Core<L>,
    /// `stripes` runs of one cell per series, `stride` cells apart, the first at `offset`.
    values: Box<[AtomicU64]>,
    offset: usize,
    stride: usize,
    /// Whether each series has been recorded into.
    touched: Box<[AtomicBool]>,
    /// One slot per series; used by counters only.
    exemplars: Exemplars,
    _kind: PhantomData<fn() -> K>,
}

/// A family of `u64` counters.
pub type CounterFamily<L = NoLabels> = Family<kind::Counter, L>;
/// A family of `f64` counters.
pub type FloatCounterFamily<L = NoLabels> = Family<kind::FloatCounter, L>;
/// A family of `i64` gauges.
pub type GaugeFamily<L = NoLabels> = Family<kind::Gauge, L>;
/// A family of `f64` gauges.
pub type FloatGaugeFamily<L = NoLabels> = Family<kind::FloatGauge, L>;

impl<K: ScalarKind, L: LabelSet> Family<K, L> {
    /// The family, pushed over OTLP as `name` in `unit` (a semantic convention's names, such as
    /// `gen_ai.client.token.usage` in `{token}`) instead of names derived from its own.
    pub fn with_otlp(mut self, name: &'static str, unit: &'static str) -> Self {
        self.core.desc.otlp = Some(super::OtlpName { name, unit });
        self
    }

    /// A family named `name` (namespace included) with HELP text `help`.
    pub fn new(name: &'static str, help: &'static str) -> Self {
        let core = Core::new(name, help, K::TYPE);
        let series = core.series();
        let stripes = if K::STRIPED { stripe::count() } else { 1 };
        let (offset, stride, len) = if stripes > 1 {
            let stride = series + stripe::PAD;
            (stripe::PAD, stride, stripe::PAD + stripes * stride)
        } else {
            (0, series, series)
        };
        Self {
            exemplars: Exemplars::new(series),
            values: (0..len).map(|_| AtomicU64::new(0)).collect(),
            offset,
            stride,
            touched: (0..series).map(|_| AtomicBool::new(false)).collect(),
            core,
            _kind: PhantomData,
        }
    }

    /// The cells of series `index`, one per stripe, `stride` apart.
    #[inline(always)]
    fn cells(&self, index: usize) -> &[AtomicU64] {
        &self.values[self.offset + index..]
    }

    #[inline(always)]
    fn series_at(&self, index: usize) -> Series<'_> {
        Series {
            cells: self.cells(index),
            stride: self.stride,
            touched: &self.touched[index],
            exemplars: &self.exemplars,
            refused: &self.core.refused,
            index,
        }
    }

    /// The value of series `index`: its stripes added up.
    fn read(&self, index: usize) -> u64 {
        read::<K>(self.cells(index), self.stride)
    }
}

/// The stripes of one series added up.
fn read<K: ScalarKind>(cells: &[AtomicU64], stride: usize) -> u64 {
    let mut stripes = cells.iter().step_by(stride.max(1));
    let first = stripes.next().map_or(0, |c| c.load(Ordering::Relaxed));
    stripes.fold(first, |sum, c| K::merge(sum, c.load(Ordering::Relaxed)))
}

impl<K, L> fmt::Debug for Family<K, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.core.desc.name)
            .field("series", &self.touched.len())
            .finish_non_exhaustive()
    }
}

impl<K: ScalarKind, L: LabelSet> FamilyView for Family<K, L> {
    fn desc(&self) -> &FamilyDesc {
        &self.core.desc
    }

    fn visit(&self, f: &mut dyn FnMut(&[&str], Sample<'_>)) {
        let always = L::LABELS.is_empty();
        self.core.for_each_touched(
            |i| always || self.touched[i].load(Ordering::Relaxed),
            |i, labels| f(labels, K::sample(self.read(i))),
        );
    }

    fn overflows(&self) -> Option<u64> {
        self.core.overflows()
    }

    fn refused(&self) -> Option<u64> {
        K::REFUSES.then(|| self.core.refused.load(Ordering::Relaxed))
    }

    fn visit_with_exemplars(&self, f: &mut ExemplarVisitor<'_>) {
        let always = L::LABELS.is_empty();
        let counter = K::TYPE == MetricType::Counter;
        self.core.for_each_touched(
            |i| always || self.touched[i].load(Ordering::Relaxed),
            |i, labels| {
                let exemplar = if counter { self.exemplars.get(i) } else { None };
                f(labels, K::sample(self.read(i)), exemplar)
            },
        );
    }
}

/// A counter series: its cells (one per stripe), where its exemplar goes, and its family's
/// refusal count.
#[derive(Debug, Clone, Copy)]
struct Series<'a> {
    cells: &'a [AtomicU64],
    stride: usize,
    touched: &'a AtomicBool,
    exemplars: &'a Exemplars,
    refused: &'a AtomicU64,
    index: usize,
}

impl<'a> Series<'a> {
    /// This thread's cell of the series.
    #[inline(always)]
    fn mine(self) -> &'a AtomicU64 {
        &self.cells[stripe::current() * self.stride]
    }

    #[inline(always)]
    fn add(self, n: u64) {
        self.mine().fetch_add(n, Ordering::Relaxed);
        touch(self.touched);
        self.exemplars.record(self.index, n as f64);
    }
}

/// A gauge series.
#[derive(Debug, Clone, Copy)]
struct Slot<'a> {
    cell: &'a AtomicU64,
    touched: &'a AtomicBool,
}

impl Slot<'_> {
    #[inline(always)]
    fn add_bits(self, n: u64) {
        self.cell.fetch_add(n, Ordering::Relaxed);
        touch(self.touched);
    }

    #[inline(always)]
    fn set_bits(self, bits: u64) {
        self.cell.store(bits, Ordering::Relaxed);
        touch(self.touched);
    }

    #[inline]
    fn update_f64(self, f: impl Fn(f64) -> f64) {
        update_f64(self.cell, f);
        touch(self.touched);
    }

    fn get(self) -> u64 {
        self.cell.load(Ordering::Relaxed)
    }
}

macro_rules! counter_handle {
    ($(#[$doc:meta])* $name:ident, $kind:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a>(Series<'a>);

        impl<L: LabelSet> Family<$kind, L> {
            /// The series for `labels`, to record into (and keep, to skip the label lookup).
            #[inline(always)]
            pub fn with(&self, labels: L::Values<'_>) -> $name<'_> {
                $name(self.series_at(self.core.index(labels)))
            }
        }

        impl Family<$kind, NoLabels> {
            /// The one series of a family without labels.
            #[inline(always)]
            pub fn series(&self) -> $name<'_> {
                $name(self.series_at(0))
            }
        }
    };
}

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $kind:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a>(Slot<'a>);

        impl<L: LabelSet> Family<$kind, L> {
            /// The series for `labels`, to record into (and keep, to skip the label lookup).
            #[inline(always)]
            pub fn with(&self, labels: L::Values<'_>) -> $name<'_> {
                self.slot(self.core.index(labels))
            }
        }

        impl Family<$kind, NoLabels> {
            /// The one series of a family without labels.
            #[inline(always)]
            pub fn series(&self) -> $name<'_> {
                self.slot(0)
            }
        }

        impl<L: LabelSet> Family<$kind, L> {
            #[inline(always)]
            fn slot(&self, index: usize) -> $name<'_> {
                $name(Slot {
                    cell: &self.values[index],
                    touched: &self.touched[index],
                })
            }
        }
    };
}

counter_handle!(
    /// A series of a `u64` counter.
    Counter,
    kind::Counter
);
counter_handle!(
    /// A series of an `f64` counter.
    FloatCounter,
    kind::FloatCounter
);
handle!(
    /// A series of an `i64` gauge.
    Gauge,
    kind::Gauge
);
handle!(
    /// A series of an `f64` gauge.
    FloatGauge,
    kind::FloatGauge
);

impl Counter<'_> {
    /// Adds one.
    #[inline(always)]
    pub fn inc(self) {
        self.0.add(1);
    }
    /// Adds `n`.
    #[inline(always)]
    pub fn add(self, n: u64) {
        self.0.add(n);
    }
    /// The current value: its stripes added up.
    pub fn get(self) -> u64 {
        read::<kind::Counter>(self.0.cells, self.0.stride)
    }
}

impl FloatCounter<'_> {
    /// Adds `amount`. A counter never goes down: negative and NaN amounts are refused, reported
    /// as `false` and counted in `obs_recordings_refused_total`.
    #[inline]
    #[allow(clippy::should_implement_trait)] // recording, not arithmetic: `Add` would not fit
    pub fn add(self, amount: f64) -> bool {
        if amount.is_nan() || amount < 0.0 {
            self.0.refused.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        update_f64(self.0.mine(), |v| v + amount);
        touch(self.0.touched);
        self.0.exemplars.record(self.0.index, amount);
        true
    }
    /// The current value: its stripes added up.
    pub fn get(self) -> f64 {
        f64::from_bits(read::<kind::FloatCounter>(self.0.cells, self.0.stride))
    }
}

impl Gauge<'_> {
    /// Sets the value.
    #[inline(always)]
    pub fn set(self, value: i64) {
        self.0.set_bits(value as u64);
    }
    /// Adds one.
    #[inline(always)]
    pub fn inc(self) {
        self.0.add_bits(1);
    }
    /// Subtracts one.
    #[inline(always)]
    pub fn dec(self) {
        self.0.add_bits(u64::MAX);
    }
    /// Adds `delta` (which may be negative), wrapping like the underlying two's complement.
    #[inline(always)]
    pub fn add(self, delta: i64) {
        self.0.add_bits(delta as u64);
    }
    /// Subtracts `delta`.
    #[inline(always)]
    pub fn sub(self, delta: i64) {
        self.0.add_bits((delta as u64).wrapping_neg());
    }
    /// The current value.
    pub fn get(self) -> i64 {
        self.0.get() as i64
    }
}

impl FloatGauge<'_> {
    /// Sets the value.
    #[inline(always)]
    pub fn set(self, value: f64) {
        self.0.set_bits(value.to_bits());
    }
    /// Adds `delta` (which may be negative).
    #[inline]
    pub fn add(self, delta: f64) {
        self.0.update_f64(|v| v + delta);
    }
    /// Subtracts `delta`.
    #[inline]
    pub fn sub(self, delta: f64) {
        self.0.update_f64(|v| v - delta);
    }
    /// The current value.
    pub fn get(self) -> f64 {
        f64::from_bits(self.0.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address<T>(x: &T) -> usize {
        std::ptr::from_ref(x) as usize
    }

    #[test]
    fn threads_on_one_series_add_into_cells_on_lines_of_their_own() {
        const PER_THREAD: u64 = 10_000;
        let family = CounterFamily::<NoLabels>::new("t_total", "T.");
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| (0..PER_THREAD).for_each(|_| family.series().inc()));
            }
        });
        assert_eq!(family.series().get(), 2 * PER_THREAD, "exact");
        let cells: Vec<&AtomicU64> = family.cells(0).iter().step_by(family.stride).collect();
        assert_eq!(cells.len(), stripe::count());
        // Each thread added into one cell of its own stripe.
        for cell in &cells {
            assert_eq!(cell.load(Ordering::Relaxed) % PER_THREAD, 0);
        }
        // No two stripes, and no stripe and the touched flag, within 128 bytes of each other.
        let touched = address(&family.touched[0]);
        for (i, a) in cells.iter().map(|c| address(*c)).enumerate() {
            assert!(
                a.abs_diff(touched) >= 128,
                "stripe {i} is next to the touched flag"
            );
            for b in cells[i + 1..].iter().map(|c| address(*c)) {
                assert!(a.abs_diff(b) >= 128, "stripes {a:#x} and {b:#x}");
            }
        }
    }

    #[test]
    fn gauges_keep_one_cell_per_series() {
        let family = GaugeFamily::<NoLabels>::new("g", "G.");
        assert_eq!(family.values.len(), 1);
        family.series().add(5);
        family.series().dec();
        assert_eq!(family.series().get(), 4);
    }

    #[test]
    fn float_counter_refusals_are_counted() {
        let family = FloatCounterFamily::<NoLabels>::new("f_total", "F.");
        assert!(family.series().add(1.5));
        assert!(!family.series().add(-1.0));
        assert!(!family.series().add(f64::NAN));
        assert_eq!(family.series().get(), 1.5);
        assert_eq!(family.refused(), Some(2));
    }
}
