//! Histograms: per-family bucket boundaries, dense per-series bucket counters.
//!
//! Each series is a run of `bounds + 1` bucket counters (the last is `+Inf`) followed by two sum
//! words: an `f64` sum for [`Histogram::observe`] and an integer nanosecond sum for
//! [`Histogram::observe_duration`], so timing a call costs two `fetch_add`s and no
//! compare-and-swap loop. The count is derived from the buckets at read time, so `_count` always
//! equals the `+Inf` bucket. [`HistogramFamily`] says which observations are taken.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::exemplar::Exemplars;
use super::family::{Core, ExemplarVisitor, FamilyDesc, FamilyView, MetricType, Sample};
use super::label::{LabelSet, NoLabels};

/// Prometheus' default bucket boundaries, used when a family names none.
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Why bucket boundaries were refused.
#[derive(Debug, Clone, PartialEq)]
pub enum BucketError {
    /// No boundaries were given.
    Empty,
    /// A boundary is NaN or infinite (`+Inf` is implicit).
    NotFinite(f64),
    /// A boundary is not greater than the one before it.
    NotIncreasing {
        /// The earlier boundary.
        previous: f64,
        /// The offending boundary.
        next: f64,
    },
}

impl fmt::Display for BucketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("histogram buckets are empty"),
            Self::NotFinite(b) => write!(f, "histogram bucket boundary {b} is not finite"),
            Self::NotIncreasing { previous, next } => write!(
                f,
                "histogram bucket boundaries must strictly increase: {next} follows {previous}"
            ),
        }
    }
}

impl std::error::Error for BucketError {}

/// Checks that `bounds` are non-empty, finite and strictly increasing.
pub fn validate_buckets(bounds: &[f64]) -> Result<(), BucketError> {
    if bounds.is_empty() {
        return Err(BucketError::Empty);
    }
    if let Some(&b) = bounds.iter().find(|b| !b.is_finite()) {
        return Err(BucketError::NotFinite(b));
    }
    match bounds.windows(2).find(|w| w[0] >= w[1]) {
        Some(w) => Err(BucketError::NotIncreasing {
            previous: w[0],
            next: w[1],
        }),
        None => Ok(()),
    }
}

/// A histogram family, statically typed by its label set `L`.
///
/// # Which observations are taken
///
/// `_sum` is a counter to Prometheus: `rate(x_sum[5m])` reads any decrease as a counter reset, and
/// the OpenMetrics parser refuses a negative or NaN sum. So a histogram takes finite values within
/// its domain, set by its buckets:
///
/// - every bound `>= 0` (latencies, sizes: the usual case): values `>= 0`;
/// - a negative bound: any finite value; OpenMetrics then forbids `_sum`, so the OpenMetrics
///   exposition leaves it out, and `_count` with it, which it allows only beside a sum (the
///   `+Inf` bucket carries the count; the text format keeps both).
///
/// Anything else (a negative value with non-negative buckets, `±Inf`, NaN) is refused:
/// [`Histogram::observe`] returns `false` and the refusal is counted in
/// `obs_recordings_refused_total{family}`, so a clock going backwards shows up instead of
/// silently corrupting `_sum`.
pub struct HistogramFamily<L = NoLabels> {
    core: Core<L>,
    bounds: Box<[f64]>,
    le: Box<[Box<str>]>,
    stride: usize,
    cells: Box<[AtomicU64]>,
    /// One slot per bucket of each series.
    exemplars: Exemplars,
    /// The lowest value taken: 0, or the lowest finite `f64` when a bound is negative.
    floor: f64,
}

impl<L: LabelSet> HistogramFamily<L> {
    /// The family, pushed over OTLP as `name` in `unit` (a semantic convention's names, such as
    /// `gen_ai.client.operation.duration` in `s`) instead of names derived from its own.
    pub fn with_otlp(mut self, name: &'static str, unit: &'static str) -> Self {
        self.core.desc.otlp = Some(super::OtlpName { name, unit });
        self
    }

    /// A family named `name` (namespace included), with HELP text `help` and bucket upper bounds
    /// `bounds` (`+Inf` is implicit).
    pub fn new(
        name: &'static str,
        help: &'static str,
        bounds: &[f64],
    ) -> Result<Self, BucketError> {
        validate_buckets(bounds)?;
        let core = Core::new(name, help, MetricType::Histogram);
        let stride = bounds.len() + 3;
        let le = le_labels(bounds);
        let cells = (0..core.series() * stride)
            .map(|_| AtomicU64::new(0))
            .collect();
        let exemplars = Exemplars::new(core.series() * (bounds.len() + 1));
        let floor = if bounds[0] < 0.0 { f64::MIN } else { 0.0 };
        Ok(Self {
            floor,
            exemplars,
            core,
            bounds: bounds.into(),
            le,
            stride,
            cells,
        })
    }

    /// The bucket upper bounds, without `+Inf`.
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// The series for `labels`, to record into (and keep, to skip the label lookup).
    #[inline(always)]
    pub fn with(&self, labels: L::Values<'_>) -> Histogram<'_> {
        self.series_at(self.core.index(labels))
    }

    #[inline(always)]
    fn series_at(&self, index: usize) -> Histogram<'_> {
        let start = index * self.stride;
        Histogram {
            cells: &self.cells[start..start + self.stride],
            bounds: &self.bounds,
            exemplars: &self.exemplars,
            exemplar_base: index * (self.bounds.len() + 1),
            floor: self.floor,
            refused: &self.core.refused,
        }
    }
}

impl HistogramFamily<NoLabels> {
    /// The one series of a family without labels.
    #[inline(always)]
    pub fn series(&self) -> Histogram<'_> {
        self.series_at(0)
    }
}

impl<L> fmt::Debug for HistogramFamily<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistogramFamily")
            .field("name", &self.core.desc.name)
            .field("bounds", &self.bounds)
            .finish_non_exhaustive()
    }
}

impl<L: LabelSet> FamilyView for HistogramFamily<L> {
    fn desc(&self) -> &FamilyDesc {
        &self.core.desc
    }

    fn visit(&self, f: &mut dyn FnMut(&[&str], Sample<'_>)) {
        self.visit_series(false, &mut |labels, sample, _| f(labels, sample));
    }

    fn overflows(&self) -> Option<u64> {
        self.core.overflows()
    }

    fn refused(&self) -> Option<u64> {
        Some(self.core.refused.load(Ordering::Relaxed))
    }

    fn visit_with_exemplars(&self, f: &mut ExemplarVisitor<'_>) {
        self.visit_series(true, f);
    }
}

impl<L: LabelSet> HistogramFamily<L> {
    fn visit_series(&self, with_exemplars: bool, f: &mut ExemplarVisitor<'_>) {
        let always = L::LABELS.is_empty();
        let buckets = self.bounds.len() + 1;
        let mut cumulative = vec![0u64; buckets];
        let mut exemplars = vec![None; if with_exemplars { buckets } else { 0 }];
        let touched = |i: usize| {
            always
                || self.cells[i * self.stride..i * self.stride + buckets]
                    .iter()
                    .any(|c| c.load(Ordering::Relaxed) != 0)
        };
        self.core.for_each_touched(touched, |i, labels| {
            let series = self.series_at(i);
            let mut total = 0u64;
            for (out, cell) in cumulative.iter_mut().zip(&series.cells[..buckets]) {
                total += cell.load(Ordering::Relaxed);
                *out = total;
            }
            for (b, slot) in exemplars.iter_mut().enumerate() {
                *slot = self.exemplars.get(i * buckets + b);
            }
            f(
                labels,
                Sample::Histogram {
                    bounds: &self.bounds,
                    le: &self.le,
                    cumulative: &cumulative,
                    sum: series.sum(),
                    exemplars: &exemplars,
                },
                None,
            );
        });
    }
}

/// One series of a histogram.
#[derive(Debug, Clone, Copy)]
pub struct Histogram<'a> {
    cells: &'a [AtomicU64],
    bounds: &'a [f64],
    exemplars: &'a Exemplars,
    exemplar_base: usize,
    floor: f64,
    refused: &'a AtomicU64,
}

impl<'a> Histogram<'a> {
    /// Records `value` when it is finite and within the family's domain (`>= 0` unless a bucket
    /// bound is negative; see [`HistogramFamily`]). Anything else is refused, reported as
    /// `false` and counted in `obs_recordings_refused_total`.
    #[inline]
    pub fn observe(self, value: f64) -> bool {
        // Two comparisons, both false for NaN and the infinities (the floor is finite).
        if value >= self.floor && value < f64::INFINITY {
            self.record(value);
            true
        } else {
            self.refuse();
            false
        }
    }

    #[cold]
    #[inline(never)]
    fn refuse(self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    fn record(self, value: f64) {
        let bucket = bucket_of(self.bounds, value);
        self.cells[bucket].fetch_add(1, Ordering::Relaxed);
        self.exemplars.record(self.exemplar_base + bucket, value);
        let _ = self
            .sum_cell()
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + value).to_bits())
            });
    }

    /// Records a duration in seconds: integer arithmetic only, no compare-and-swap loop.
    #[inline]
    pub fn observe_duration(self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        let seconds = duration.as_secs_f64();
        let bucket = bucket_of(self.bounds, seconds);
        self.cells[bucket].fetch_add(1, Ordering::Relaxed);
        self.exemplars.record(self.exemplar_base + bucket, seconds);
        self.cells[self.cells.len() - 1].fetch_add(nanos, Ordering::Relaxed);
    }

    /// Starts a timer that records the elapsed time when dropped.
    pub fn start_timer(self) -> Timer<'a> {
        Timer {
            series: self,
            start: Instant::now(),
        }
    }

    /// Number of observations.
    pub fn count(self) -> u64 {
        self.cells[..=self.bounds.len()]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// Sum of observations.
    pub fn sum(self) -> f64 {
        let float = f64::from_bits(self.sum_cell().load(Ordering::Relaxed));
        let nanos = self.cells[self.cells.len() - 1].load(Ordering::Relaxed);
        float + nanos as f64 / 1e9
    }

    fn sum_cell(self) -> &'a AtomicU64 {
        &self.cells[self.cells.len() - 2]
    }
}

/// Upper bounds `bounds` as `le` label values, `+Inf` last.
pub(crate) fn le_labels(bounds: &[f64]) -> Box<[Box<str>]> {
    bounds
        .iter()
        .map(|&b| crate::expose::format_f64(b).into())
        .chain(std::iter::once("+Inf".into()))
        .collect()
}

/// The bucket of `value`: how many bounds are below it. A branch-free (vectorised) count beats a
/// binary search, whose branches mispredict on spread-out values.
#[inline(always)]
fn bucket_of(bounds: &[f64], value: f64) -> usize {
    bounds.iter().filter(|&&b| b < value).count()
}

/// Records the time from its creation to its drop into a histogram series.
#[derive(Debug)]
#[must_use = "a timer records when dropped; dropping it at once records nearly zero"]
pub struct Timer<'a> {
    series: Histogram<'a>,
    start: Instant,
}

impl Drop for Timer<'_> {
    fn drop(&mut self) {
        self.series.observe_duration(self.start.elapsed());
    }
}

/// A histogram family from bounds `metrics!` has already validated; falls back to the default
/// buckets should they ever be refused. For generated code (`__private::histogram`).
#[doc(hidden)]
pub fn histogram_or_default<L: LabelSet>(
    name: &'static str,
    help: &'static str,
    bounds: &[f64],
) -> HistogramFamily<L> {
    HistogramFamily::new(name, help, bounds).unwrap_or_else(|_| {
        HistogramFamily::new(name, help, DEFAULT_BUCKETS)
            .unwrap_or_else(|_| unreachable!("the default buckets are valid"))
    })
}
