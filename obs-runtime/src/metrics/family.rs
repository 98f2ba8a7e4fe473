//! Metric families: the dense series storage behind every kind, and the read-side view the
//! encoders walk.
//!
//! A family's worst-case series count is bounded at compile time, so its storage is one dense
//! array allocated when the family is created; recording computes a mixed-radix index from the
//! typed label values and touches one cell, with no hashing, locking or allocation for
//! fixed-cardinality labels.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use super::exemplar::Exemplar;
use super::intern::{Interner, overflowed_on_this_thread};
use super::label::{LabelDesc, LabelSet, LabelValues, MAX_LABELS};

/// The exposition type of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// A monotonic counter.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted into buckets, with their sum.
    Histogram,
}

impl MetricType {
    /// The name used in `# TYPE` lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// What a family is: everything the exposition needs besides its samples.
#[derive(Debug, Clone)]
pub struct FamilyDesc {
    /// Full metric name, namespace included (for counters, ending in `_total`).
    pub name: &'static str,
    /// HELP text.
    pub help: &'static str,
    /// The exposition type.
    pub metric_type: MetricType,
    /// The labels, in declaration order.
    pub labels: &'static [LabelDesc],
    /// The name and unit the family is pushed under over OTLP, where a semantic convention
    /// defines them (`gen_ai.client.operation.duration` in `s`); `None`: derived from `name`.
    pub otlp: Option<OtlpName>,
}

impl FamilyDesc {
    /// A family named `name` (namespace included) of `metric_type`, with HELP text `help` and
    /// `labels`, pushed over OTLP under names derived from its own.
    pub const fn new(
        name: &'static str,
        help: &'static str,
        metric_type: MetricType,
        labels: &'static [LabelDesc],
    ) -> Self {
        Self {
            name,
            help,
            metric_type,
            labels,
            otlp: None,
        }
    }

    /// The family, pushed over OTLP as `name` in `unit` (a semantic convention's).
    pub const fn with_otlp(mut self, name: &'static str, unit: &'static str) -> Self {
        self.otlp = Some(OtlpName { name, unit });
        self
    }
}

/// A family's name and unit in OpenTelemetry terms, for the OTLP push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtlpName {
    /// The dotted metric name, `gen_ai.client.token.usage`.
    pub name: &'static str,
    /// The UCUM unit, `s`, `By` or `{token}`.
    pub unit: &'static str,
}

/// One sample of a series, as read for exposition.
#[derive(Debug, Clone, Copy)]
pub enum Sample<'a> {
    /// An integer counter or gauge value.
    Unsigned(u64),
    /// A signed integer gauge value.
    Signed(i64),
    /// A float counter or gauge value.
    Float(f64),
    /// A histogram's state.
    Histogram {
        /// Upper bounds, without `+Inf`.
        bounds: &'a [f64],
        /// Upper bounds formatted for the `le` label, `+Inf` last.
        le: &'a [Box<str>],
        /// Cumulative bucket counts, one per `le` entry; the last is the total count.
        cumulative: &'a [u64],
        /// Sum of all observations.
        sum: f64,
        /// The latest exemplar of each bucket, in `le` order (empty when not asked for).
        exemplars: &'a [Option<Exemplar>],
    },
}

/// What [`FamilyView::visit_with_exemplars`] calls for each series: its label values, its sample,
/// and a counter's latest exemplar.
pub type ExemplarVisitor<'v> = dyn FnMut(&[&str], Sample<'_>, Option<Exemplar>) + 'v;

/// The read side of a family, object-safe so registries can hold families of any type.
pub trait FamilyView: Send + Sync {
    /// The family's description.
    fn desc(&self) -> &FamilyDesc;
    /// Calls `f` with the label values and sample of every series that has been recorded into
    /// (every series, for a family without labels), in series-index order.
    fn visit(&self, f: &mut dyn FnMut(&[&str], Sample<'_>));
    /// Recordings that went to an overflow series (once per recording, however many of its
    /// labels overflowed), when the family has a bounded label.
    fn overflows(&self) -> Option<u64>;
    /// Recordings refused because their value was outside the family's domain, when the family
    /// can refuse any (histograms and float counters).
    fn refused(&self) -> Option<u64> {
        None
    }
    /// [`FamilyView::visit`], with each counter sample's latest exemplar, and histograms' in
    /// their sample.
    fn visit_with_exemplars(&self, f: &mut ExemplarVisitor<'_>) {
        self.visit(&mut |labels, sample| f(labels, sample, None));
    }
}

/// Label bookkeeping shared by every family kind: description, interners, series decoding.
#[derive(Debug)]
pub struct Core<L> {
    pub(crate) desc: FamilyDesc,
    pub(crate) interners: Box<[Interner]>,
    /// Recordings that went to an overflow series.
    overflows: AtomicU64,
    /// Recordings refused for a value outside the family's domain.
    pub(crate) refused: AtomicU64,
    _labels: PhantomData<fn() -> L>,
}

/// Whether any of `labels` is a [`Bounded`](super::Bounded) label.
const fn has_bounded(labels: &[LabelDesc]) -> bool {
    let mut i = 0;
    while i < labels.len() {
        if let LabelValues::Bounded(_) = labels[i].values {
            return true;
        }
        i += 1;
    }
    false
}

impl<L: LabelSet> Core<L> {
    /// Whether the family has a bounded label, so a recording can overflow.
    const BOUNDED: bool = has_bounded(L::LABELS);

    pub(crate) fn new(name: &'static str, help: &'static str, metric_type: MetricType) -> Self {
        debug_assert!(L::LABELS.len() <= MAX_LABELS);
        let interners = L::LABELS
            .iter()
            .map(|label| match label.values {
                LabelValues::Fixed(_) => Interner::unused(),
                LabelValues::Bounded(cap) => Interner::new(cap),
            })
            .collect();
        Self {
            desc: FamilyDesc {
                name,
                help,
                metric_type,
                labels: L::LABELS,
                otlp: None,
            },
            interners,
            overflows: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            _labels: PhantomData,
        }
    }

    /// Number of series slots (the worst-case series count).
    pub(crate) fn series(&self) -> usize {
        L::SERIES
    }

    /// The series index of `values`; a recording whose labels overflow counts once.
    #[inline(always)]
    pub(crate) fn index(&self, values: L::Values<'_>) -> usize {
        if !Self::BOUNDED {
            return L::index(values, &self.interners);
        }
        let before = overflowed_on_this_thread();
        let index = L::index(values, &self.interners);
        if overflowed_on_this_thread() != before {
            self.overflows.fetch_add(1, Ordering::Relaxed);
        }
        index
    }

    pub(crate) fn overflows(&self) -> Option<u64> {
        Self::BOUNDED.then(|| self.overflows.load(Ordering::Relaxed))
    }

    /// Calls `f(index, label values)` for every series index whose `touched(index)` is true,
    /// decoding label values with an odometer rather than a division per label.
    pub(crate) fn for_each_touched(
        &self,
        touched: impl Fn(usize) -> bool,
        mut f: impl FnMut(usize, &[&str]),
    ) {
        let labels = L::LABELS;
        let n = labels.len();
        let radix: [usize; MAX_LABELS] = std::array::from_fn(|k| {
            labels.get(k).map_or(1, |l| match l.values {
                LabelValues::Fixed(values) => values.len(),
                LabelValues::Bounded(cap) => cap + 1,
            })
        });
        let mut digits = [0usize; MAX_LABELS];
        let mut values: [&str; MAX_LABELS] = [""; MAX_LABELS];
        for (k, value) in values.iter_mut().enumerate().take(n) {
            *value = self.label_value(k, 0);
        }
        for index in 0..self.series() {
            if touched(index) {
                f(index, &values[..n]);
            }
            // Advance the odometer: the last label varies fastest.
            let mut k = n;
            while k > 0 {
                k -= 1;
                digits[k] += 1;
                if digits[k] < radix[k] {
                    values[k] = self.label_value(k, digits[k]);
                    break;
                }
                digits[k] = 0;
                values[k] = self.label_value(k, 0);
            }
        }
    }

    fn label_value(&self, label: usize, digit: usize) -> &str {
        match L::LABELS[label].values {
            LabelValues::Fixed(values) => values.get(digit).copied().unwrap_or(""),
            LabelValues::Bounded(_) => self.interners[label].value(digit),
        }
    }
}
