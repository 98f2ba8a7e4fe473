//! The families `#[llm_call]` records, read from the rows at scrape time.
//!
//! The semantic conventions' client metrics, under the OpenTelemetry-to-Prometheus name mapping
//! and pushed over OTLP under their dotted names and units:
//!
//! - `gen_ai_client_operation_duration_seconds{gen_ai_operation_name, gen_ai_provider_name,
//!   gen_ai_request_model, error_type}` (`gen_ai.client.operation.duration`, `s`): every call;
//!   `error_type` is empty (absent) when the call succeeded;
//! - `gen_ai_client_token_usage{..., gen_ai_token_type}` (`gen_ai.client.token.usage`,
//!   `{token}`): input and output tokens of each call that reported them;
//! - `gen_ai_client_operation_time_to_first_chunk_seconds{...}` and
//!   `gen_ai_client_operation_time_per_output_chunk_seconds{...}`: streamed calls only, added
//!   when the stream's call ends (a stream counts its chunk times in its own state meanwhile, so
//!   a chunk costs no shared write).
//!
//! Our own, where the conventions define none:
//!
//! - `obs_llm_cost_usd_total{gen_ai_provider_name, gen_ai_request_model, token_type}`: US
//!   dollars by kind of token (`input` fresh, `cache_read`, `cache_creation`, `output`,
//!   `reasoning`), from the pricing table;
//! - `obs_llm_output_tokens_per_second{gen_ai_operation_name, gen_ai_provider_name,
//!   gen_ai_request_model}`: output tokens over the call's duration (for a stream, over the time
//!   after its first chunk);
//! - `obs_llm_usage_missing_total{...}`: calls that ended without any usage reported;
//! - `obs_llm_unpriced_calls_total{gen_ai_provider_name, gen_ai_request_model}`: calls with usage
//!   whose model the pricing table has no price for (they record no cost rather than a wrong one);
//! - `obs_llm_partially_priced_calls_total{gen_ai_provider_name, gen_ai_request_model,
//!   token_type}`: calls of a priced model that used tokens of a kind its entry has no price for
//!   (cache reads or writes, typically), by that kind; their cost records the kinds that are
//!   priced, so it is a lower bound. A family apart from the unpriced calls, because such a call
//!   does record a cost, and the kind says which price to add to the table. A usage that lacks a
//!   count (no output count, say) is not a gap in the table and is not counted here.

use std::sync::LazyLock;

use super::rows::{self, Row};
use super::semconv::{self, Metric, attr};
use super::shard::{Shard, ShardHistogram};
use crate::metrics::{
    Collector, ComputedFamily, FamilyDesc, FamilyView, LabelDesc, MetricType, Sample, SelfFamilies,
    le_labels as le,
};

/// A label with run-time values (as many as the rows), pushed over OTLP under the attribute `key`.
const fn dynamic(name: &'static str, key: &'static str) -> LabelDesc {
    LabelDesc::bounded(name, usize::MAX).otlp(key)
}

const OPERATION: LabelDesc = dynamic("gen_ai_operation_name", attr::OPERATION_NAME);
const PROVIDER: LabelDesc = dynamic("gen_ai_provider_name", attr::PROVIDER_NAME);
const MODEL: LabelDesc = dynamic("gen_ai_request_model", attr::REQUEST_MODEL);

const ROW_LABELS: &[LabelDesc] = &[OPERATION, PROVIDER, MODEL];
const DURATION_LABELS: &[LabelDesc] = &[
    OPERATION,
    PROVIDER,
    MODEL,
    dynamic("error_type", attr::ERROR_TYPE),
];
const TOKEN_LABELS: &[LabelDesc] = &[
    OPERATION,
    PROVIDER,
    MODEL,
    LabelDesc::fixed(
        "gen_ai_token_type",
        &[semconv::token_type::INPUT, semconv::token_type::OUTPUT],
    )
    .otlp(attr::TOKEN_TYPE),
];
const COST_KINDS: &[&str] = &[
    "input",
    "cache_read",
    "cache_creation",
    "output",
    "reasoning",
];
const COST_LABELS: &[LabelDesc] = &[
    PROVIDER,
    MODEL,
    LabelDesc::fixed("token_type", COST_KINDS).otlp("obs.llm.token_type"),
];
const MODEL_LABELS: &[LabelDesc] = &[PROVIDER, MODEL];

fn row_labels(row: &Row) -> [&str; 3] {
    [row.operation, row.provider, &row.model]
}

static DURATION_LE: LazyLock<Box<[Box<str>]>> =
    LazyLock::new(|| le(semconv::OPERATION_DURATION_BUCKETS));
static TOKENS_LE: LazyLock<Box<[Box<str>]>> = LazyLock::new(|| le(semconv::TOKEN_USAGE_BUCKETS));
static FIRST_CHUNK_LE: LazyLock<Box<[Box<str>]>> =
    LazyLock::new(|| le(semconv::TIME_TO_FIRST_CHUNK_BUCKETS));
static PER_CHUNK_LE: LazyLock<Box<[Box<str>]>> =
    LazyLock::new(|| le(semconv::TIME_PER_OUTPUT_CHUNK_BUCKETS));
static TOKENS_PER_SECOND_LE: LazyLock<Box<[Box<str>]>> =
    LazyLock::new(|| le(rows::TOKENS_PER_SECOND_BUCKETS));

/// Which histogram of a row: its bounds, their `le` values, the value of one whole unit it
/// counts (a nanosecond, a token), and where shards keep it.
type Which = (
    &'static [f64],
    &'static LazyLock<Box<[Box<str>]>>,
    f64,
    fn(&Shard) -> &ShardHistogram,
);

const NANOSECOND: f64 = 1e-9;
const TOKEN: f64 = 1.0;

const DURATION: Which = (
    semconv::OPERATION_DURATION_BUCKETS,
    &DURATION_LE,
    NANOSECOND,
    |s| &s.duration,
);
const INPUT_TOKENS: Which = (semconv::TOKEN_USAGE_BUCKETS, &TOKENS_LE, TOKEN, |s| {
    &s.input_tokens
});
const OUTPUT_TOKENS: Which = (semconv::TOKEN_USAGE_BUCKETS, &TOKENS_LE, TOKEN, |s| {
    &s.output_tokens
});
const FIRST_CHUNK: Which = (
    semconv::TIME_TO_FIRST_CHUNK_BUCKETS,
    &FIRST_CHUNK_LE,
    NANOSECOND,
    |s| &s.time_to_first_chunk,
);
const PER_CHUNK: Which = (
    semconv::TIME_PER_OUTPUT_CHUNK_BUCKETS,
    &PER_CHUNK_LE,
    NANOSECOND,
    |s| &s.time_per_chunk,
);
const TOKENS_PER_SECOND: Which = (
    rows::TOKENS_PER_SECOND_BUCKETS,
    &TOKENS_PER_SECOND_LE,
    TOKEN,
    |s| &s.tokens_per_second,
);

/// Calls `f` with the sample of one of `row`'s histograms, if anything was recorded.
fn histogram_sample(row: &Row, (bounds, le, unit, which): Which, f: &mut dyn FnMut(Sample<'_>)) {
    if let Some(summed) = row.shards.histogram(bounds, unit, which) {
        f(Sample::Histogram {
            bounds,
            le,
            cumulative: &summed.cumulative,
            sum: summed.sum,
            exemplars: &[],
        });
    }
}

fn duration(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for row in rows::all() {
        let [operation, provider, model] = row_labels(row);
        histogram_sample(row, DURATION, &mut |s| {
            f(&[operation, provider, model, ""], s)
        });
        let failed = row.failed.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for (error_type, histogram) in failed {
            if histogram.series().count() > 0 {
                histogram.visit(&mut |_, s| f(&[operation, provider, model, error_type], s));
            }
        }
    }
}

fn token_usage(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for row in rows::all() {
        let [operation, provider, model] = row_labels(row);
        for (token_type, which) in [
            (semconv::token_type::INPUT, INPUT_TOKENS),
            (semconv::token_type::OUTPUT, OUTPUT_TOKENS),
        ] {
            histogram_sample(row, which, &mut |s| {
                f(&[operation, provider, model, token_type], s)
            });
        }
    }
}

/// Visits one histogram of every row, labelled by the row.
fn per_row(which: Which, f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for row in rows::all() {
        let labels = row_labels(row);
        histogram_sample(row, which, &mut |s| f(&labels, s));
    }
}

fn time_to_first_chunk(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    per_row(FIRST_CHUNK, f)
}

fn time_per_chunk(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    per_row(PER_CHUNK, f)
}

fn tokens_per_second(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    per_row(TOKENS_PER_SECOND, f)
}

fn usage_missing(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for row in rows::all() {
        let n = row.shards.count(|s| &s.usage_missing);
        if n > 0 {
            f(&row_labels(row), Sample::Unsigned(n));
        }
    }
}

/// The rows grouped by provider and model (summed over operations), in first-seen order.
fn by_model() -> Vec<(&'static str, &'static str, Vec<&'static Row>)> {
    let mut groups: Vec<(&'static str, &'static str, Vec<&'static Row>)> = Vec::new();
    for row in rows::all() {
        match groups
            .iter_mut()
            .find(|(p, m, _)| *p == row.provider && *m == &*row.model)
        {
            Some((_, _, rows)) => rows.push(row),
            None => groups.push((row.provider, &row.model, vec![row])),
        }
    }
    groups
}

fn cost(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for (provider, model, rows) in by_model() {
        for (k, kind) in COST_KINDS.iter().enumerate() {
            let dollars: f64 = rows.iter().map(|r| r.shards.dollars(|s| &s.cost[k])).sum();
            if dollars > 0.0 {
                f(&[provider, model, kind], Sample::Float(dollars));
            }
        }
    }
}

fn partially_priced(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for (provider, model, rows) in by_model() {
        for (k, kind) in COST_KINDS.iter().enumerate() {
            let n: u64 = rows
                .iter()
                .map(|r| r.shards.count(|s| &s.partially_priced[k]))
                .sum();
            if n > 0 {
                f(&[provider, model, kind], Sample::Unsigned(n));
            }
        }
    }
}

fn unpriced(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for (provider, model, rows) in by_model() {
        let n: u64 = rows.iter().map(|r| r.shards.count(|s| &s.unpriced)).sum();
        if n > 0 {
            f(&[provider, model], Sample::Unsigned(n));
        }
    }
}

const fn convention(
    metric: Metric,
    labels: &'static [LabelDesc],
    samples: crate::metrics::SampleFn<()>,
) -> ComputedFamily {
    let desc = FamilyDesc::new(
        metric.prometheus_name,
        metric.description,
        MetricType::Histogram,
        labels,
    );
    ComputedFamily::new(desc.with_otlp(metric.name, metric.unit), (), samples)
}

const fn own(
    name: &'static str,
    help: &'static str,
    metric_type: MetricType,
    labels: &'static [LabelDesc],
    samples: crate::metrics::SampleFn<()>,
) -> ComputedFamily {
    ComputedFamily::new(
        FamilyDesc::new(name, help, metric_type, labels),
        (),
        samples,
    )
}

static FAMILIES: SelfFamilies<9> = SelfFamilies::new([
    convention(semconv::OPERATION_DURATION, DURATION_LABELS, duration),
    convention(semconv::TOKEN_USAGE, TOKEN_LABELS, token_usage),
    convention(
        semconv::TIME_TO_FIRST_CHUNK,
        ROW_LABELS,
        time_to_first_chunk,
    ),
    convention(semconv::TIME_PER_OUTPUT_CHUNK, ROW_LABELS, time_per_chunk),
    own(
        "obs_llm_cost_usd_total",
        "Cost of LLM calls in US dollars, by kind of token, from the pricing table.",
        MetricType::Counter,
        COST_LABELS,
        cost,
    ),
    own(
        "obs_llm_output_tokens_per_second",
        "Output tokens per second of LLM calls (for streams, over the time after the first chunk).",
        MetricType::Histogram,
        ROW_LABELS,
        tokens_per_second,
    ),
    own(
        "obs_llm_usage_missing_total",
        "LLM calls that ended without any token usage reported.",
        MetricType::Counter,
        ROW_LABELS,
        usage_missing,
    ),
    own(
        "obs_llm_unpriced_calls_total",
        "LLM calls with usage whose model has no price in the pricing table: no cost is recorded for them.",
        MetricType::Counter,
        MODEL_LABELS,
        unpriced,
    ),
    own(
        "obs_llm_partially_priced_calls_total",
        "LLM calls of a priced model that used tokens of a kind its pricing entry has no price for, by that kind: their cost leaves those tokens out.",
        MetricType::Counter,
        COST_LABELS,
        partially_priced,
    ),
]);

/// Joins the GenAI families to the global registry, once.
pub(crate) fn ensure_registered() {
    FAMILIES.ensure_registered();
}

/// The families `#[llm_call]` records, to add to a registry other than the global one.
pub fn llm_families() -> &'static dyn Collector {
    &FAMILIES
}

/// Names of the families, for tests.
#[cfg(test)]
pub(crate) fn names() -> Vec<&'static str> {
    let mut names = Vec::new();
    FAMILIES.visit_families(&mut |f| names.push(f.desc().name));
    names
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_conventions_families_have_their_prometheus_names() {
        let names = super::names();
        assert_eq!(
            names[..4],
            [
                "gen_ai_client_operation_duration_seconds",
                "gen_ai_client_token_usage",
                "gen_ai_client_operation_time_to_first_chunk_seconds",
                "gen_ai_client_operation_time_per_output_chunk_seconds",
            ]
        );
        assert_eq!(super::COST_KINDS, super::rows::token_kind_values());
    }
}
