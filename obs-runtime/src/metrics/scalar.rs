//! Counters and gauges: families of one-value series.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::exemplar::Exemplars;
use super::family::{Core, ExemplarVisitor, FamilyDesc, FamilyView, MetricType, Sample};
use super::label::{LabelSet, NoLabels};

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
    /// Interprets the stored bits.
    fn sample(bits: u64) -> Sample<'static>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::kind::Counter {}
    impl Sealed for super::kind::FloatCounter {}
    impl Sealed for super::kind::Gauge {}
    impl Sealed for super::kind::FloatGauge {}
}

impl ScalarKind for kind::Counter {
    const TYPE: MetricType = MetricType::Counter;
    fn sample(bits: u64) -> Sample<'static> {
        Sample::Unsigned(bits)
    }
}
impl ScalarKind for kind::FloatCounter {
    const TYPE: MetricType = MetricType::Counter;
    fn sample(bits: u64) -> Sample<'static> {
        Sample::Float(f64::from_bits(bits))
    }
}
impl ScalarKind for kind::Gauge {
    const TYPE: MetricType = MetricType::Gauge;
    fn sample(bits: u64) -> Sample<'static> {
        Sample::Signed(bits as i64)
    }
}
impl ScalarKind for kind::FloatGauge {
    const TYPE: MetricType = MetricType::Gauge;
    fn sample(bits: u64) -> Sample<'static> {
        Sample::Float(f64::from_bits(bits))
    }
}

/// One series of a counter or gauge.
#[derive(Debug, Default)]
pub struct Cell {
    bits: AtomicU64,
    touched: AtomicBool,
}

impl Cell {
    #[inline(always)]
    fn touch(&self) {
        if !self.touched.load(Ordering::Relaxed) {
            self.touched.store(true, Ordering::Relaxed);
        }
    }

    #[inline(always)]
    fn add_bits(&self, n: u64) {
        self.bits.fetch_add(n, Ordering::Relaxed);
        self.touch();
    }

    #[inline(always)]
    fn set_bits(&self, bits: u64) {
        self.bits.store(bits, Ordering::Relaxed);
        self.touch();
    }

    #[inline]
    fn update_f64(&self, f: impl Fn(f64) -> f64) {
        let _ = self
            .bits
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(f(f64::from_bits(b)).to_bits())
            });
        self.touch();
    }

    fn get(&self) -> u64 {
        self.bits.load(Ordering::Relaxed)
    }
}

/// A family of counters or gauges, statically typed by its label set `L`.
///
/// Declared through `metrics!`; recording takes exactly the declared labels, in declaration
/// order: `()` for none, the value itself for one, a tuple for several.
pub struct Family<K, L = NoLabels> {
    core: Core<L>,
    cells: Box<[Cell]>,
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
    /// A family named `name` (namespace included) with HELP text `help`.
    pub fn new(name: &'static str, help: &'static str) -> Self {
        let core = Core::new(name, help, K::TYPE);
        let cells = (0..core.series()).map(|_| Cell::default()).collect();
        Self {
            exemplars: Exemplars::new(core.series()),
            core,
            cells,
            _kind: PhantomData,
        }
    }

    #[inline(always)]
    fn cell(&self, labels: L::Values<'_>) -> &Cell {
        &self.cells[self.core.index(labels)]
    }

    #[inline(always)]
    fn series_at(&self, index: usize) -> Series<'_> {
        Series {
            cell: &self.cells[index],
            exemplars: &self.exemplars,
            index,
        }
    }
}

impl<K, L> fmt::Debug for Family<K, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.core.desc.name)
            .field("series", &self.cells.len())
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
            |i| always || self.cells[i].touched.load(Ordering::Relaxed),
            |i, labels| f(labels, K::sample(self.cells[i].get())),
        );
    }

    fn overflows(&self) -> Option<u64> {
        self.core.overflows()
    }

    fn visit_with_exemplars(&self, f: &mut ExemplarVisitor<'_>) {
        let always = L::LABELS.is_empty();
        let counter = K::TYPE == MetricType::Counter;
        self.core.for_each_touched(
            |i| always || self.cells[i].touched.load(Ordering::Relaxed),
            |i, labels| {
                let exemplar = if counter { self.exemplars.get(i) } else { None };
                f(labels, K::sample(self.cells[i].get()), exemplar)
            },
        );
    }
}

/// A counter series with where its exemplar goes.
#[derive(Debug, Clone, Copy)]
struct Series<'a> {
    cell: &'a Cell,
    exemplars: &'a Exemplars,
    index: usize,
}

impl Series<'_> {
    #[inline(always)]
    fn add(self, n: u64) {
        self.cell.add_bits(n);
        self.exemplars.record(self.index, n as f64);
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
        pub struct $name<'a>(&'a Cell);

        impl<L: LabelSet> Family<$kind, L> {
            /// The series for `labels`, to record into (and keep, to skip the label lookup).
            #[inline(always)]
            pub fn with(&self, labels: L::Values<'_>) -> $name<'_> {
                $name(self.cell(labels))
            }
        }

        impl Family<$kind, NoLabels> {
            /// The one series of a family without labels.
            #[inline(always)]
            pub fn series(&self) -> $name<'_> {
                $name(&self.cells[0])
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
    /// The current value.
    pub fn get(self) -> u64 {
        self.0.cell.get()
    }
}

impl FloatCounter<'_> {
    /// Adds `amount`. A counter never goes down: negative and NaN amounts are ignored and
    /// reported as `false`.
    #[inline]
    #[allow(clippy::should_implement_trait)] // recording, not arithmetic: `Add` would not fit
    pub fn add(self, amount: f64) -> bool {
        if amount.is_nan() || amount < 0.0 {
            return false;
        }
        self.0.cell.update_f64(|v| v + amount);
        self.0.exemplars.record(self.0.index, amount);
        true
    }
    /// The current value.
    pub fn get(self) -> f64 {
        f64::from_bits(self.0.cell.get())
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
