//! Label value types and the label sets that `metrics!` generates from them.
//!
//! A label's type fixes its cardinality: a `#[derive(LabelValue)]` enum (or `bool`) has one series
//! per variant, known at compile time; [`Bounded<N>`] takes run-time strings, interned and capped
//! at `N` distinct values with one extra overflow series.

use super::intern::Interner;
#[cfg(doc)]
use super::intern::{MAX_VALUE_LEN, OVERFLOW_VALUE};

/// A label value drawn from a fixed, compile-time set: a fieldless enum with
/// `#[derive(LabelValue)]`, or `bool`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a metric label: its cardinality is not known at compile time",
    label = "not a bounded label type",
    note = "use a fieldless enum with `#[derive(LabelValue)]`, `bool`, or `Bounded<N>` for run-time strings"
)]
pub trait LabelValue: Copy + 'static {
    /// Number of distinct values.
    const CARDINALITY: usize;
    /// The exposed value of each index, in index order.
    const VALUES: &'static [&'static str];
    /// Dense index of this value, in `0..CARDINALITY`.
    fn index(self) -> usize;
    /// The exposed value.
    fn as_str(self) -> &'static str {
        Self::VALUES[self.index()]
    }
}

impl LabelValue for bool {
    const CARDINALITY: usize = 2;
    const VALUES: &'static [&'static str] = &["false", "true"];
    #[inline]
    fn index(self) -> usize {
        self as usize
    }
}

/// A run-time string label capped at `N` distinct values per family.
///
/// Values are interned on first use (the only time recording allocates); past `N` distinct values
/// every new value is recorded into one overflow series whose label value is [`OVERFLOW_VALUE`],
/// and counted in `obs_label_overflow_total{family}`. Values longer than [`MAX_VALUE_LEN`] bytes are
/// truncated at a character boundary.
#[derive(Debug, Clone, Copy)]
pub struct Bounded<const N: usize>;

/// How a label's values are known, for exposition.
#[derive(Debug, Clone, Copy)]
pub enum LabelValues {
    /// A fixed set, in index order.
    Fixed(&'static [&'static str]),
    /// Run-time strings capped at this many, plus the overflow series.
    Bounded(usize),
}

/// A type usable as a label in a `metrics!` family.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a metric label: its cardinality is not known at compile time",
    label = "not a bounded label type",
    note = "use a fieldless enum with `#[derive(LabelValue)]`, `bool`, or `Bounded<N>` for run-time strings"
)]
pub trait LabelType: 'static {
    /// What recording takes for this label.
    type Arg<'a>: Copy;
    /// Series this label can contribute (a `Bounded<N>` counts `N + 1`).
    const CARDINALITY: usize;
    /// How the values are known.
    const VALUES: LabelValues;
    /// Dense index of `arg`; a dynamic label interns it in `interners[position]`.
    fn resolve(arg: Self::Arg<'_>, interners: &[Interner], position: usize) -> usize;
}

impl<T: LabelValue> LabelType for T {
    type Arg<'a> = T;
    const CARDINALITY: usize = T::CARDINALITY;
    const VALUES: LabelValues = LabelValues::Fixed(T::VALUES);
    #[inline(always)]
    fn resolve(arg: T, _: &[Interner], _: usize) -> usize {
        arg.index()
    }
}

impl<const N: usize> LabelType for Bounded<N> {
    type Arg<'a> = &'a str;
    const CARDINALITY: usize = N.saturating_add(1);
    const VALUES: LabelValues = LabelValues::Bounded(N);
    #[inline(always)]
    fn resolve(arg: &str, interners: &[Interner], position: usize) -> usize {
        interners[position].intern(arg)
    }
}

/// One label of a family: its name, how its values are known, and its OTLP attribute key.
#[derive(Debug, Clone, Copy)]
pub struct LabelDesc {
    /// The label name.
    pub name: &'static str,
    /// Its values.
    pub values: LabelValues,
    /// The attribute key the OTLP push gives this label where a semantic convention defines one
    /// (`gen_ai.operation.name`); `None`: the label name.
    pub otlp_key: Option<&'static str>,
}

impl LabelDesc {
    /// A label named `name` whose values are `values`, in index order.
    pub const fn fixed(name: &'static str, values: &'static [&'static str]) -> Self {
        Self {
            name,
            values: LabelValues::Fixed(values),
            otlp_key: None,
        }
    }

    /// A label named `name` with run-time values, at most `cap` of them (`usize::MAX` for the
    /// labels of computed families, whose values are bounded by what they read).
    pub const fn bounded(name: &'static str, cap: usize) -> Self {
        Self {
            name,
            values: LabelValues::Bounded(cap),
            otlp_key: None,
        }
    }

    /// This label, pushed over OTLP under the attribute `key`.
    pub const fn otlp(mut self, key: &'static str) -> Self {
        self.otlp_key = Some(key);
        self
    }

    /// The key of this label's attribute over OTLP: [`LabelDesc::otlp_key`], else the name.
    pub const fn attribute_key(&self) -> &'static str {
        match self.otlp_key {
            Some(key) => key,
            None => self.name,
        }
    }
}

/// A family's label schema, implemented by a marker type that `metrics!` generates per family.
pub trait LabelSet: 'static {
    /// What recording takes: `()`, one label's argument, or a tuple in declaration order.
    type Values<'a>: Copy;
    /// The labels, in declaration order.
    const LABELS: &'static [LabelDesc];
    /// Worst-case series count: the product of the labels' cardinalities (saturating).
    const SERIES: usize;
    /// Mixed-radix series index of `values`; `interners` has one entry per label.
    fn index(values: Self::Values<'_>, interners: &[Interner]) -> usize;
}

/// The label set of a family without labels.
#[derive(Debug, Clone, Copy)]
pub struct NoLabels;

impl LabelSet for NoLabels {
    type Values<'a> = ();
    const LABELS: &'static [LabelDesc] = &[];
    const SERIES: usize = 1;
    #[inline(always)]
    fn index(_: (), _: &[Interner]) -> usize {
        0
    }
}

/// Most labels a family may have (the macro rejects more).
pub const MAX_LABELS: usize = 16;

/// `a * b`, saturating: the const arithmetic behind [`LabelSet::SERIES`].
#[doc(hidden)]
pub const fn series_product(cardinalities: &[usize]) -> usize {
    let mut product = 1usize;
    let mut i = 0;
    while i < cardinalities.len() {
        product = product.saturating_mul(cardinalities[i]);
        i += 1;
    }
    product
}
