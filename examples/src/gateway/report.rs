//! The report printed at the end of a `--requests` run, read back from the process's own metrics
//! registry (what `/metrics` serves): requests by outcome, provider calls by outcome, tokens by
//! type, cost, latency and time to first chunk estimated from histogram buckets.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use obs_runtime::Registry;
use obs_runtime::metrics::{FamilyView, Sample};
use serde::{Deserialize, Serialize};

use super::audit_log::AuditSummary;
use super::truth::{GroundTruth, TokenCounts};

/// Quantiles estimated from a histogram (as PromQL's `histogram_quantile` does: linear within
/// the bucket); `None` without observations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    /// The median.
    pub p50: Option<f64>,
    /// The 95th percentile.
    pub p95: Option<f64>,
}

/// Tokens as `gen_ai.client.token.usage` counts them (input and output only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenAiTokens {
    /// All input.
    pub input: u64,
    /// All output.
    pub output: u64,
}

/// What the metrics say; printed, or written with `--report-json FILE`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `llm_gateway_requests_total` by outcome.
    pub requests: BTreeMap<String, u64>,
    /// `llm_gateway_cache_lookups_total{result="hit"}`.
    pub cache_hits: u64,
    /// `#[llm_call]`'s calls (`gen_ai_client_operation_duration_seconds_count`) by outcome:
    /// `ok`, the `error_type` of a failure, `disconnected` for a cancelled stream.
    pub provider_calls: BTreeMap<String, u64>,
    /// `llm_gateway_tokens_total` by type.
    pub tokens: TokenCounts,
    /// The same by provider.
    pub tokens_by_provider: BTreeMap<String, TokenCounts>,
    /// `gen_ai_client_token_usage_sum` by `gen_ai_token_type`.
    pub genai_tokens: GenAiTokens,
    /// `obs_llm_cost_usd_total`, all series.
    pub cost_usd: f64,
    /// `http_server_request_duration_seconds{http_route="/v1/chat/completions"}`.
    pub latency_seconds: Quantiles,
    /// `gen_ai_client_operation_time_to_first_chunk_seconds`.
    pub time_to_first_chunk_seconds: Quantiles,
    /// `llm_gateway_retries_total`.
    pub retries: u64,
    /// `llm_gateway_rate_limit_refusals_total` by limit.
    pub rate_limit_refusals: BTreeMap<String, u64>,
    /// The audit log, checked by obs' verifier.
    pub audit: Option<AuditSummary>,
}

/// A family of the global registry.
fn family(name: &str) -> Option<&'static dyn FamilyView> {
    Registry::global()
        .families()
        .into_iter()
        .find(|f| f.desc().name == name)
}

/// Calls `f` with the value of `label` (empty when the family has no such label) and the
/// sample of every series of family `name` whose labels match `only`.
fn each(name: &str, label: &str, only: &[(&str, &str)], mut f: impl FnMut(&str, Sample<'_>)) {
    let Some(family) = family(name) else { return };
    let labels = family.desc().labels;
    let index = |l: &str| labels.iter().position(|d| d.name == l);
    let at = index(label);
    let only: Vec<(Option<usize>, &str)> = only.iter().map(|(l, v)| (index(l), *v)).collect();
    family.visit(&mut |values, sample| {
        let matches = only
            .iter()
            .all(|(i, v)| i.and_then(|i| values.get(i)).is_some_and(|x| x == v));
        if matches {
            f(
                at.and_then(|i| values.get(i)).copied().unwrap_or(""),
                sample,
            );
        }
    });
}

/// A counter's value, or a histogram's count, as a number.
fn count(sample: Sample<'_>) -> f64 {
    match sample {
        Sample::Unsigned(v) => v as f64,
        Sample::Signed(v) => v as f64,
        Sample::Float(v) => v,
        Sample::Histogram { cumulative, .. } => cumulative.last().copied().unwrap_or(0) as f64,
    }
}

/// Counter values (or histogram counts) of family `name` summed by `label`, zeros left out.
fn sum_by(name: &str, label: &str, only: &[(&str, &str)]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    each(name, label, only, |value, sample| {
        *out.entry(value.to_owned()).or_default() += count(sample) as u64;
    });
    out.retain(|_, v| *v > 0);
    out
}

/// Histogram sums of family `name` by `label`.
fn histogram_sums(name: &str, label: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    each(name, label, &[], |value, sample| {
        if let Sample::Histogram { sum, .. } = sample {
            *out.entry(value.to_owned()).or_default() += sum;
        }
    });
    out
}

/// The quantiles of every series of histogram `name` matching `only`, merged.
fn quantiles(name: &str, only: &[(&str, &str)]) -> Quantiles {
    let mut bounds: Vec<f64> = Vec::new();
    let mut merged: Vec<u64> = Vec::new();
    each(name, "", only, |_, sample| {
        if let Sample::Histogram {
            bounds: b,
            cumulative,
            ..
        } = sample
        {
            if merged.is_empty() {
                bounds = b.to_vec();
                merged = vec![0; cumulative.len()];
            }
            for (total, c) in merged.iter_mut().zip(cumulative) {
                *total += c;
            }
        }
    });
    Quantiles {
        p50: quantile(0.5, &bounds, &merged),
        p95: quantile(0.95, &bounds, &merged),
    }
}

/// The `q` quantile of cumulative bucket counts (the last is `+Inf`), linear within the bucket
/// it falls in; a quantile in the `+Inf` bucket is the highest finite bound.
pub(crate) fn quantile(q: f64, bounds: &[f64], cumulative: &[u64]) -> Option<f64> {
    let total = *cumulative.last()?;
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let bucket = cumulative.iter().position(|&c| c as f64 >= rank)?;
    let Some(&upper) = bounds.get(bucket) else {
        return bounds.last().copied();
    };
    let (lower, below) = match bucket {
        0 => (0.0, 0),
        b => (bounds[b - 1], cumulative[b - 1]),
    };
    let in_bucket = cumulative[bucket] - below;
    if in_bucket == 0 {
        return Some(upper);
    }
    Some(lower + (upper - lower) * (rank - below as f64) / in_bucket as f64)
}

impl Report {
    /// Reads the report from the global registry.
    pub fn read() -> Report {
        let mut tokens_by_provider: BTreeMap<String, TokenCounts> = BTreeMap::new();
        if let Some(family) = family("llm_gateway_tokens_total") {
            family.visit(&mut |values, sample| {
                let (Some(provider), Some(kind)) = (values.first(), values.get(1)) else {
                    return;
                };
                let counts = tokens_by_provider
                    .entry((*provider).to_owned())
                    .or_default();
                let n = count(sample) as u64;
                match *kind {
                    "input" => counts.input += n,
                    "cache_read" => counts.cache_read += n,
                    "output" => counts.output += n,
                    "reasoning" => counts.reasoning += n,
                    _ => {}
                }
            });
        }
        tokens_by_provider.retain(|_, t| *t != TokenCounts::default());
        let mut tokens = TokenCounts::default();
        for t in tokens_by_provider.values() {
            tokens.input += t.input;
            tokens.cache_read += t.cache_read;
            tokens.output += t.output;
            tokens.reasoning += t.reasoning;
        }
        let provider_calls = sum_by(
            "gen_ai_client_operation_duration_seconds",
            "error_type",
            &[],
        )
        .into_iter()
        .map(|(error_type, n)| {
            let outcome = match error_type.as_str() {
                "" => "ok".to_owned(),
                "cancelled" => "disconnected".to_owned(),
                _ => error_type,
            };
            (outcome, n)
        })
        .collect();
        let genai = histogram_sums("gen_ai_client_token_usage", "gen_ai_token_type");
        let mut cost_usd = 0.0;
        each("obs_llm_cost_usd_total", "", &[], |_, sample| {
            cost_usd += count(sample);
        });
        Report {
            requests: sum_by("llm_gateway_requests_total", "outcome", &[]),
            cache_hits: sum_by("llm_gateway_cache_lookups_total", "result", &[])
                .get("hit")
                .copied()
                .unwrap_or(0),
            provider_calls,
            tokens,
            tokens_by_provider,
            genai_tokens: GenAiTokens {
                input: genai.get("input").copied().unwrap_or(0.0) as u64,
                output: genai.get("output").copied().unwrap_or(0.0) as u64,
            },
            cost_usd,
            latency_seconds: quantiles(
                "http_server_request_duration_seconds",
                &[("http_route", "/v1/chat/completions")],
            ),
            time_to_first_chunk_seconds: quantiles(
                "gen_ai_client_operation_time_to_first_chunk_seconds",
                &[],
            ),
            retries: sum_by("llm_gateway_retries_total", "", &[]).values().sum(),
            rate_limit_refusals: sum_by("llm_gateway_rate_limit_refusals_total", "limit", &[]),
            audit: None,
        }
    }

    /// The report as text, with the ground truth beside each figure.
    pub fn render(&self, truth: &GroundTruth) -> String {
        let mut out = String::new();
        let total: u64 = self.requests.values().sum();
        let _ = writeln!(
            out,
            "requests: {total} (ground truth: {})",
            truth.requests.values().sum::<u64>()
        );
        for (outcome, n) in &self.requests {
            let seen = truth.requests.get(outcome).copied().unwrap_or(0);
            let _ = writeln!(out, "  {outcome:<22} {n:>6}   clients saw {seen}");
        }
        let _ = writeln!(
            out,
            "  of which from the cache {:>6}   clients saw {}",
            self.cache_hits, truth.cache_hits
        );
        let _ = writeln!(out, "provider calls (#[llm_call]):");
        for (outcome, n) in &self.provider_calls {
            let seen = truth.provider_calls.get(outcome).copied().unwrap_or(0);
            let _ = writeln!(out, "  {outcome:<22} {n:>6}   providers saw {seen}");
        }
        let (t, g) = (&self.tokens, &truth.tokens);
        let _ = writeln!(
            out,
            "tokens:   input {} (cache read {}), output {} (reasoning {})",
            t.input, t.cache_read, t.output, t.reasoning
        );
        let _ = writeln!(
            out,
            "  providers: input {} (cache read {}), output {} (reasoning {})",
            g.input, g.cache_read, g.output, g.reasoning
        );
        let _ = writeln!(
            out,
            "  gen_ai_client_token_usage: input {}, output {}",
            self.genai_tokens.input, self.genai_tokens.output
        );
        let _ = writeln!(
            out,
            "cost:     ${:.6} (providers' prices: ${:.6})",
            self.cost_usd, truth.cost_usd
        );
        let ms = |v: Option<f64>| v.map_or("-".to_owned(), |s| format!("{:.1} ms", s * 1e3));
        let _ = writeln!(
            out,
            "latency:  p50 {}, p95 {}",
            ms(self.latency_seconds.p50),
            ms(self.latency_seconds.p95)
        );
        let _ = writeln!(
            out,
            "time to first chunk: p50 {}, p95 {}",
            ms(self.time_to_first_chunk_seconds.p50),
            ms(self.time_to_first_chunk_seconds.p95)
        );
        let refusals: Vec<String> = self
            .rate_limit_refusals
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(
            out,
            "retries:  {}; rate-limit refusals: {}",
            self.retries,
            if refusals.is_empty() {
                "none".to_owned()
            } else {
                refusals.join(", ")
            }
        );
        if let Some(audit) = &self.audit {
            let verdict = match &audit.problem {
                None if audit.macs_checked => "verified, MACs included".to_owned(),
                None => "verified".to_owned(),
                Some(problem) => format!("NOT verified: {problem}"),
            };
            let _ = writeln!(
                out,
                "audit:    {} records in {}, {verdict} by obs' verifier",
                audit.records, audit.dir
            );
            let count = |action: &str| audit.events.get(action).copied().unwrap_or(0);
            let admin: u64 = truth.admin_changes.values().sum();
            let refused = truth.requests.get("rate_limited").copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "  routing.update {} (admin attempts {admin}), rate_limit.refuse {} \
                 (clients refused {refused}), provider.health_change {}",
                count("routing.update"),
                count("rate_limit.refuse"),
                count("provider.health_change"),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_within_the_bucket() {
        let bounds = [0.1, 0.2, 0.4];
        // 10 at or below 0.1, 10 more at or below 0.2, none more until +Inf holds 2.
        let cumulative = [10, 20, 20, 22];
        let close = |q: f64, want: f64| {
            let got = quantile(q, &bounds, &cumulative).unwrap();
            assert!((got - want).abs() < 1e-12, "q {q}: {got} != {want}");
        };
        close(0.25, 0.055);
        close(0.5, 0.11);
        close(0.75, 0.165);
        assert_eq!(quantile(0.99, &bounds, &cumulative), Some(0.4));
        assert_eq!(quantile(0.5, &bounds, &[0, 0, 0, 0]), None);
    }
}
