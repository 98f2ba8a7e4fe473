//! Where `#[llm_call]` records: one row per operation, provider and model, created on the first
//! call that names them and kept for the life of the process.
//!
//! A row's series live in per-thread shards (`shard.rs`): a call records with plain stores into
//! its thread's shard, priced from the thread's copy of the row's price, and the families sum the
//! shards when read. Rows are shared by every annotated function with the same operation,
//! provider and model, so the families read them without merging. The number of rows is bounded:
//! each call site interns at most [`MODELS_PER_SITE`](super::site::MODELS_PER_SITE) models, past
//! which calls go to one overflow row per site whose model is
//! [`OVERFLOW_VALUE`](crate::metrics::OVERFLOW_VALUE).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, RwLock};

use super::pricing::{ModelPrice, Pricing};
use super::semconv;
use super::shard::{self, LocalHistogram, Shards};
use super::usage::Usage;
use crate::metrics::HistogramFamily;

/// Bucket bounds of `obs_llm_output_tokens_per_second`.
pub const TOKENS_PER_SECOND_BUCKETS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0,
];

/// [`TOKENS_PER_SECOND_BUCKETS`] as whole tokens per second.
const TOKENS_PER_SECOND_BOUNDS: [u64; TOKENS_PER_SECOND_BUCKETS.len()] =
    shard::unit_bounds(TOKENS_PER_SECOND_BUCKETS, 1.0);
// The rate buckets are found by integer comparison, so their bounds must be whole numbers.
const _: () = {
    let mut i = 0;
    while i < TOKENS_PER_SECOND_BOUNDS.len() {
        assert!(TOKENS_PER_SECOND_BOUNDS[i] as f64 == TOKENS_PER_SECOND_BUCKETS[i]);
        i += 1;
    }
};
/// [`semconv::OPERATION_DURATION_BUCKETS`] in nanoseconds.
const DURATION_NANOS: [u64; semconv::OPERATION_DURATION_BUCKETS.len()] =
    shard::unit_bounds(semconv::OPERATION_DURATION_BUCKETS, 1e9);
/// [`semconv::TIME_TO_FIRST_CHUNK_BUCKETS`] in nanoseconds.
const FIRST_CHUNK_NANOS: [u64; semconv::TIME_TO_FIRST_CHUNK_BUCKETS.len()] =
    shard::unit_bounds(semconv::TIME_TO_FIRST_CHUNK_BUCKETS, 1e9);
/// [`semconv::TIME_PER_OUTPUT_CHUNK_BUCKETS`] in nanoseconds.
const PER_CHUNK_NANOS: [u64; semconv::TIME_PER_OUTPUT_CHUNK_BUCKETS.len()] =
    shard::unit_bounds(semconv::TIME_PER_OUTPUT_CHUNK_BUCKETS, 1e9);
/// [`PER_CHUNK_NANOS`] in the call clock's raw units, which stream chunks are counted in.
pub(crate) static PER_CHUNK_RAW: LazyLock<[u64; PER_CHUNK_NANOS.len()]> =
    LazyLock::new(|| crate::observed::call::raw_bounds(&PER_CHUNK_NANOS));
/// [`semconv::TOKEN_USAGE_BUCKETS`] as whole tokens.
const TOKEN_BOUNDS: [u64; semconv::TOKEN_USAGE_BUCKETS.len()] =
    shard::unit_bounds(semconv::TOKEN_USAGE_BUCKETS, 1.0);

/// The series of one operation, provider and model.
pub(crate) struct Row {
    /// Position in [`ROWS`], which indexes each thread's shards.
    id: usize,
    pub(crate) operation: &'static str,
    pub(crate) provider: &'static str,
    pub(crate) model: Box<str>,
    pub(crate) shards: Shards,
    /// Duration of calls that failed, by `error.type`; touched only when a call fails.
    pub(crate) failed: Mutex<Vec<(&'static str, Arc<HistogramFamily>)>>,
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

/// How a call ended, for its row.
#[derive(Debug)]
pub(crate) struct Ended<'a> {
    pub(crate) nanos: u64,
    /// `None` when it succeeded.
    pub(crate) error_type: Option<&'static str>,
    pub(crate) ok: bool,
    pub(crate) usage: Option<Usage>,
    /// A stream's time to first chunk.
    pub(crate) first_chunk_nanos: Option<u64>,
    /// A stream's times between chunks.
    pub(crate) per_chunk: Option<&'a LocalHistogram>,
}

impl Row {
    /// Records a call that ended; returns its cost in US dollars, if it was priced.
    pub(crate) fn record_call(&'static self, ended: &Ended<'_>) -> Option<f64> {
        let generation = PRICING_GENERATION.load(Ordering::Acquire);
        let lookup = || with_pricing(|table| table.get(self.provider, &self.model).cloned());
        shard::with_mine(self.id, &self.shards, generation, lookup, |shard, price| {
            if let Some(nanos) = ended.first_chunk_nanos {
                shard
                    .time_to_first_chunk
                    .observe_units(&FIRST_CHUNK_NANOS, nanos);
            }
            if let Some(per_chunk) = ended.per_chunk {
                per_chunk.add_to(&shard.time_per_chunk);
            }
            match ended.error_type {
                None => shard.duration.observe_units(&DURATION_NANOS, ended.nanos),
                Some(error_type) => self.record_failed(ended.nanos as f64 / 1e9, error_type),
            }
            let Some(usage) = ended.usage else {
                if ended.ok {
                    shard::bump(&shard.usage_missing, 1);
                }
                return None;
            };
            if let Some(input) = usage.input {
                shard.input_tokens.observe_units(&TOKEN_BOUNDS, input);
            }
            if let Some(output) = usage.output {
                shard.output_tokens.observe_units(&TOKEN_BOUNDS, output);
                // A stream's generation time starts at its first chunk.
                let generating = ended
                    .nanos
                    .saturating_sub(ended.first_chunk_nanos.unwrap_or(0));
                if output > 0 && generating > 0 {
                    shard.tokens_per_second.observe_rate(
                        &TOKENS_PER_SECOND_BOUNDS,
                        output,
                        generating,
                    );
                }
            }
            let Some(price) = price else {
                shard::bump(&shard.unpriced, 1);
                return None;
            };
            let cost = price.cost(&usage);
            for (cell, (_, dollars)) in shard.cost.iter().zip(cost.by_kind()) {
                if dollars > 0.0 {
                    shard::add_f64(cell, dollars);
                }
            }
            for kind in cost.no_price.iter() {
                shard::bump(&shard.partially_priced[kind.index()], 1);
            }
            Some(cost.total())
        })
    }

    #[cold]
    fn record_failed(&self, seconds: f64, error_type: &'static str) {
        let histogram = {
            let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
            match failed.iter().find(|(t, _)| *t == error_type) {
                Some((_, h)) => Arc::clone(h),
                None => {
                    // The bounds are this crate's constants, checked by a test.
                    let h = HistogramFamily::new("", "", semconv::OPERATION_DURATION_BUCKETS)
                        .unwrap_or_else(|e| unreachable!("{e}"));
                    let h = Arc::new(h);
                    failed.push((error_type, Arc::clone(&h)));
                    h
                }
            }
        };
        histogram.series().observe(seconds);
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
    let row: &'static Row = Box::leak(Box::new(Row {
        id: rows.len(),
        operation,
        provider,
        model: model.into(),
        shards: Shards::default(),
        failed: Mutex::new(Vec::new()),
    }));
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

fn with_pricing(f: impl FnOnce(&Pricing) -> Option<ModelPrice>) -> Option<ModelPrice> {
    f(&pricing())
}

/// [`TokenKind::ALL`](super::TokenKind::ALL)'s label values, for the cost family.
#[cfg(test)]
pub(crate) fn token_kind_values() -> [&'static str; 5] {
    super::TokenKind::ALL.map(super::TokenKind::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buckets_fit_a_shard() {
        for bounds in [
            semconv::OPERATION_DURATION_BUCKETS,
            semconv::TOKEN_USAGE_BUCKETS,
            semconv::TIME_TO_FIRST_CHUNK_BUCKETS,
            semconv::TIME_PER_OUTPUT_CHUNK_BUCKETS,
            TOKENS_PER_SECOND_BUCKETS,
        ] {
            assert!(bounds.len() <= shard::MAX_BOUNDS);
            crate::metrics::validate_buckets(bounds).unwrap();
        }
        // Whole-unit bounds are the same bounds.
        assert_eq!(DURATION_NANOS[0], 10_000_000);
        assert_eq!(DURATION_NANOS[13], 81_920_000_000);
        assert_eq!(TOKEN_BOUNDS[13], 67_108_864);
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
