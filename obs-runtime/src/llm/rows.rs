//! Where `#[llm_call]` records: one row per operation, provider and model, created on the first
//! call that names them and kept for the life of the process.
//!
//! A row holds every series of its label set in plain metric storage (histograms and float
//! counters without labels), so a call records with relaxed atomics once its row is known; rows
//! are shared by every annotated function with the same operation, provider and model, so the
//! families read them without merging. The number of rows is bounded: each call site interns at
//! most [`MODELS_PER_SITE`](super::site::MODELS_PER_SITE) models, past which calls go to one
//! overflow row per site whose model is [`OVERFLOW_VALUE`](crate::metrics::OVERFLOW_VALUE).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

#[cfg(test)]
use super::pricing::TokenKind;
use super::pricing::{Cost, ModelPrice, Pricing};
use super::semconv;
use crate::metrics::{FloatCounterFamily, HistogramFamily};

/// Bucket bounds of `obs_llm_output_tokens_per_second`.
pub const TOKENS_PER_SECOND_BUCKETS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0,
];

/// The series of one operation, provider and model.
pub(crate) struct Row {
    pub(crate) operation: &'static str,
    pub(crate) provider: &'static str,
    pub(crate) model: Box<str>,
    /// Duration of calls that succeeded (no `error.type`).
    pub(crate) duration: HistogramFamily,
    /// Duration of calls that failed, by `error.type`; touched only when a call fails.
    pub(crate) failed: Mutex<Vec<(&'static str, Arc<HistogramFamily>)>>,
    pub(crate) input_tokens: HistogramFamily,
    pub(crate) output_tokens: HistogramFamily,
    pub(crate) time_to_first_chunk: HistogramFamily,
    pub(crate) time_per_chunk: HistogramFamily,
    pub(crate) tokens_per_second: HistogramFamily,
    /// US dollars by [`TokenKind`], in [`TokenKind::ALL`] order.
    pub(crate) cost: [FloatCounterFamily; 5],
    pub(crate) usage_missing: AtomicU64,
    pub(crate) unpriced: AtomicU64,
    price: RwLock<CachedPrice>,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("operation", &self.operation)
            .field("provider", &self.provider)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// A row's price, as of a generation of the pricing table.
struct CachedPrice {
    generation: u64,
    price: Option<ModelPrice>,
}

fn histogram(bounds: &[f64]) -> HistogramFamily {
    // The bounds are this crate's constants, checked by `rows_take_the_conventions_buckets`.
    HistogramFamily::new("", "", bounds).unwrap_or_else(|e| unreachable!("{e}"))
}

impl Row {
    fn new(operation: &'static str, provider: &'static str, model: &str) -> Self {
        Self {
            operation,
            provider,
            model: model.into(),
            duration: histogram(semconv::OPERATION_DURATION_BUCKETS),
            failed: Mutex::new(Vec::new()),
            input_tokens: histogram(semconv::TOKEN_USAGE_BUCKETS),
            output_tokens: histogram(semconv::TOKEN_USAGE_BUCKETS),
            time_to_first_chunk: histogram(semconv::TIME_TO_FIRST_CHUNK_BUCKETS),
            time_per_chunk: histogram(semconv::TIME_PER_OUTPUT_CHUNK_BUCKETS),
            tokens_per_second: histogram(TOKENS_PER_SECOND_BUCKETS),
            cost: std::array::from_fn(|_| FloatCounterFamily::new("", "")),
            usage_missing: AtomicU64::new(0),
            unpriced: AtomicU64::new(0),
            price: RwLock::new(CachedPrice {
                generation: u64::MAX,
                price: None,
            }),
        }
    }

    /// Records a call's duration, under its `error.type` when it failed.
    pub(crate) fn record_duration(&self, seconds: f64, error_type: Option<&'static str>) {
        match error_type {
            None => {
                self.duration.series().observe(seconds);
            }
            Some(error_type) => {
                let histogram = {
                    let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
                    match failed.iter().find(|(t, _)| *t == error_type) {
                        Some((_, h)) => Arc::clone(h),
                        None => {
                            let h = Arc::new(histogram(semconv::OPERATION_DURATION_BUCKETS));
                            failed.push((error_type, Arc::clone(&h)));
                            h
                        }
                    }
                };
                histogram.series().observe(seconds);
            }
        }
    }

    /// Adds a call's cost, kind by kind.
    pub(crate) fn record_cost(&self, cost: &Cost) {
        for (family, (_, dollars)) in self.cost.iter().zip(cost.by_kind()) {
            if dollars > 0.0 {
                family.series().add(dollars);
            }
        }
    }

    /// The cost of `usage` at this row's price, or `None` when the pricing table has none.
    pub(crate) fn cost(&self, usage: &super::Usage) -> Option<Cost> {
        let generation = PRICING_GENERATION.load(Ordering::Acquire);
        {
            let cached = self.price.read().unwrap_or_else(|p| p.into_inner());
            if cached.generation == generation {
                return cached.price.as_ref().map(|p| p.cost(usage));
            }
        }
        let price = with_pricing(|table| table.get(self.provider, &self.model).cloned());
        let cost = price.as_ref().map(|p| p.cost(usage));
        let mut cached = self.price.write().unwrap_or_else(|p| p.into_inner());
        *cached = CachedPrice { generation, price };
        cost
    }
}

/// Every row, in creation order.
static ROWS: Mutex<Vec<&'static Row>> = Mutex::new(Vec::new());

/// The row of `operation`, `provider` and `model`, created (and leaked: rows live as long as the
/// process, and their number is bounded) on first use.
pub(crate) fn row(operation: &'static str, provider: &'static str, model: &str) -> &'static Row {
    let mut rows = ROWS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(row) = rows
        .iter()
        .find(|r| r.operation == operation && r.provider == provider && &*r.model == model)
    {
        return row;
    }
    let row: &'static Row = Box::leak(Box::new(Row::new(operation, provider, model)));
    rows.push(row);
    drop(rows);
    super::families::ensure_registered();
    row
}

/// Every row so far.
pub(crate) fn all() -> Vec<&'static Row> {
    ROWS.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

static PRICING: RwLock<Option<Arc<Pricing>>> = RwLock::new(None);
static PRICING_GENERATION: AtomicU64 = AtomicU64::new(0);

/// Sets the pricing table `#[llm_call]` prices calls with, replacing the one in use (at first,
/// [`Pricing::bundled`]); calls made from now on use it. To change a few prices, `merge` your
/// entries into [`pricing()`]'s table and set the result.
pub fn set_pricing(pricing: Pricing) {
    let mut table = PRICING.write().unwrap_or_else(|p| p.into_inner());
    *table = Some(Arc::new(pricing));
    PRICING_GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// The pricing table in use: the one last given to [`set_pricing`], else [`Pricing::bundled`].
pub fn pricing() -> Arc<Pricing> {
    let table = PRICING.read().unwrap_or_else(|p| p.into_inner());
    table.clone().unwrap_or_else(|| Arc::clone(&BUNDLED))
}

static BUNDLED: std::sync::LazyLock<Arc<Pricing>> =
    std::sync::LazyLock::new(|| Arc::new(Pricing::bundled()));

fn with_pricing<T>(f: impl FnOnce(&Pricing) -> Option<T>) -> Option<T> {
    f(&pricing())
}

/// [`TokenKind::ALL`]'s label values, for the cost family.
#[cfg(test)]
pub(crate) fn token_kind_values() -> [&'static str; 5] {
    TokenKind::ALL.map(TokenKind::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_take_the_conventions_buckets() {
        let row = Row::new("chat", "openai", "m");
        assert_eq!(row.duration.bounds(), semconv::OPERATION_DURATION_BUCKETS);
        assert_eq!(row.input_tokens.bounds(), semconv::TOKEN_USAGE_BUCKETS);
        assert_eq!(row.tokens_per_second.bounds(), TOKENS_PER_SECOND_BUCKETS);
    }

    #[test]
    fn one_row_per_operation_provider_and_model() {
        let a = row("chat", "rows_test", "m1");
        let b = row("chat", "rows_test", "m1");
        let c = row("chat", "rows_test", "m2");
        let d = row("embeddings", "rows_test", "m1");
        assert!(std::ptr::eq(a, b));
        assert!(!std::ptr::eq(a, c));
        assert!(!std::ptr::eq(a, d));
    }
}
