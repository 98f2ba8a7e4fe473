//! The framework's own families over every `#[observed]` call site, derived at scrape time:
//! `obs_function_calls_total{function, module, outcome}`,
//! `obs_function_duration_seconds{function, module}`, `obs_function_in_flight{function, module}`
//! and, for functions whose errors have kinds, `obs_function_errors_total{function, module, kind}`.
//!
//! Series are identified by `function` and `module` only, so two annotated functions can have
//! equal labels (methods of the same name on two types in one module). No exposition carries two
//! samples with the same name and labels: such call sites are merged when read, their counts,
//! latencies and in-flight calls summed into one series (errors by kind name). When their
//! latency layouts differ, the merged histogram keeps the bounds they share (`+Inf` always), where
//! the sum of their counts is exact.

use std::borrow::Cow;

use super::callsite::{CallSite, CallSiteSnapshot};
use super::outcome::Outcome;
use crate::LabelValue;
use crate::metrics::{
    Collector, ComputedFamily, FamilyDesc, LabelDesc, MetricType, Sample, SelfFamilies,
};

const fn dynamic(name: &'static str) -> LabelDesc {
    LabelDesc::bounded(name, usize::MAX)
}

const SITE_LABELS: &[LabelDesc] = &[dynamic("function"), dynamic("module")];
const CALL_LABELS: &[LabelDesc] = &[
    dynamic("function"),
    dynamic("module"),
    LabelDesc::fixed("outcome", <Outcome as LabelValue>::VALUES),
];
const ERROR_LABELS: &[LabelDesc] = &[dynamic("function"), dynamic("module"), dynamic("kind")];

/// Calls `f` with each group of call sites that share their labels, in label order.
fn for_each_series(mut f: impl FnMut(&str, &str, &[&'static CallSite])) {
    let mut sites = CallSite::all();
    sites.sort_by_key(|s| (s.module, s.function));
    for group in sites.chunk_by(|a, b| a.module == b.module && a.function == b.function) {
        f(group[0].function, group[0].module, group);
    }
}

fn snapshots<'a>(group: &'a [&'static CallSite]) -> impl Iterator<Item = CallSiteSnapshot> + 'a {
    group.iter().map(|s| s.snapshot())
}

fn calls(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for_each_series(|function, module, group| {
        let mut outcomes = [0u64; 4];
        for snap in snapshots(group) {
            for (total, n) in outcomes.iter_mut().zip(snap.outcomes) {
                *total += n;
            }
        }
        for (outcome, n) in Outcome::VALUES.iter().zip(outcomes) {
            f(&[function, module, outcome], Sample::Unsigned(n));
        }
    });
}

fn in_flight(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for_each_series(|function, module, group| {
        let n = snapshots(group).map(|s| s.in_flight).sum();
        f(&[function, module], Sample::Unsigned(n));
    });
}

fn duration(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for_each_series(|function, module, group| {
        let merged = Merged::of(group);
        f(
            &[function, module],
            Sample::Histogram {
                bounds: &merged.bounds,
                le: &merged.le,
                cumulative: &merged.cumulative,
                sum: merged.sum,
                exemplars: &[],
            },
        );
    });
}

fn errors(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
    for_each_series(|function, module, group| {
        let mut by_kind: Vec<(&str, u64)> = Vec::new();
        for (names, counts) in group.iter().filter_map(|s| s.error_kinds()) {
            for (&kind, n) in names.iter().zip(counts) {
                match by_kind.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, total)) => *total += n,
                    None => by_kind.push((kind, n)),
                }
            }
        }
        for (kind, n) in by_kind {
            f(&[function, module, kind], Sample::Unsigned(n));
        }
    });
}

/// The latency histogram of a group of call sites with equal labels.
struct Merged {
    bounds: Cow<'static, [f64]>,
    le: Cow<'static, [Box<str>]>,
    cumulative: Vec<u64>,
    sum: f64,
}

impl Merged {
    fn of(group: &[&'static CallSite]) -> Self {
        let layout = group[0].layout();
        let same = group.iter().all(|s| s.layout().seconds == layout.seconds);
        let (bounds, le): (Cow<'static, [f64]>, Cow<'static, [Box<str>]>) = if same {
            (layout.seconds.into(), layout.le().into())
        } else {
            let shared: Vec<f64> = layout
                .seconds
                .iter()
                .copied()
                .filter(|b| group.iter().all(|s| s.layout().seconds.contains(b)))
                .collect();
            let le = super::buckets::le_labels(&shared).into_vec();
            (shared.into(), le.into())
        };
        let mut cumulative = vec![0u64; bounds.len() + 1];
        let mut sum = 0.0;
        for snap in snapshots(group) {
            sum += snap.sum_seconds;
            // Each kept bound's cumulative count, then `+Inf`.
            let mut at = snap
                .bounds
                .iter()
                .zip(&snap.cumulative)
                .filter(|(b, _)| bounds.contains(b))
                .map(|(_, &c)| c)
                .chain(snap.cumulative.last().copied());
            for total in cumulative.iter_mut() {
                *total += at.next().unwrap_or(0);
            }
        }
        Self {
            bounds,
            le,
            cumulative,
            sum,
        }
    }
}

static FRAMEWORK: SelfFamilies<4> = SelfFamilies::new([
    ComputedFamily::new(
        FamilyDesc {
            name: "obs_function_calls_total",
            help: "Calls of #[observed] functions, by outcome: ok, error (returned Err), panic, or cancelled (future dropped before completion).",
            metric_type: MetricType::Counter,
            labels: CALL_LABELS,
            otlp: None,
        },
        (),
        calls,
    ),
    ComputedFamily::new(
        FamilyDesc {
            name: "obs_function_duration_seconds",
            help: "Latency of #[observed] functions, every outcome included.",
            metric_type: MetricType::Histogram,
            labels: SITE_LABELS,
            otlp: None,
        },
        (),
        duration,
    ),
    ComputedFamily::new(
        FamilyDesc {
            name: "obs_function_in_flight",
            help: "Calls of #[observed] functions started and not yet finished.",
            metric_type: MetricType::Gauge,
            labels: SITE_LABELS,
            otlp: None,
        },
        (),
        in_flight,
    ),
    ComputedFamily::new(
        FamilyDesc {
            name: "obs_function_errors_total",
            help: "Errors returned by #[observed(error_kind)] functions, by the error's kind.",
            metric_type: MetricType::Counter,
            labels: ERROR_LABELS,
            otlp: None,
        },
        (),
        errors,
    ),
]);

/// Joins the framework families to the global registry, once (a refusal is reported through
/// `tracing`).
pub(crate) fn ensure_registered() {
    FRAMEWORK.ensure_registered();
}

/// The framework families, to add to a registry other than the global one.
pub fn framework_families() -> &'static dyn Collector {
    &FRAMEWORK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::LatencyBuckets;

    /// The samples `f` gives for `function`.
    fn samples_of(function: &str, f: crate::metrics::SampleFn<()>) -> Vec<(Vec<String>, String)> {
        let mut out = Vec::new();
        f(&(), &mut |labels, sample| {
            if labels[0] == function {
                let sample = match sample {
                    Sample::Histogram {
                        le,
                        cumulative,
                        sum,
                        ..
                    } => format!("{le:?} {cumulative:?} {sum}"),
                    other => format!("{other:?}"),
                };
                out.push((labels.iter().map(|l| l.to_string()).collect(), sample));
            }
        });
        out
    }

    #[test]
    fn sites_with_equal_labels_and_different_layouts_keep_their_shared_bounds() {
        static A: LatencyBuckets<3> = LatencyBuckets::new([0.1, 1.0, 10.0]);
        static B: LatencyBuckets<2> = LatencyBuckets::new([1.0, 5.0]);
        static SITE_A: CallSite = CallSite::with_buckets("twice", "families_test", &A);
        static SITE_B: CallSite = CallSite::with_buckets("twice", "families_test", &B);
        static SITE_C: CallSite = CallSite::new("twice", "families_test");
        SITE_A.record(50_000_000, Outcome::Ok); // 0.05 s
        SITE_A.record(2_000_000_000, Outcome::Error); // 2 s
        SITE_B.record(500_000_000, Outcome::Ok); // 0.5 s
        SITE_B.record(7_000_000_000, Outcome::Ok); // 7 s
        SITE_C.record(1_000_000_000, Outcome::Cancelled); // 1 s
        let duration = samples_of("twice", duration);
        assert_eq!(duration.len(), 1, "{duration:?}");
        // Only 1 s is a bound of all three: 0.05, 0.5 and 1 s are under it, 2 and 7 s are not.
        assert_eq!(duration[0].1, r#"["1.0", "+Inf"] [3, 5] 10.55"#);
        let calls = samples_of("twice", calls);
        let counts: Vec<&str> = calls.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            counts,
            ["Unsigned(3)", "Unsigned(1)", "Unsigned(0)", "Unsigned(1)"]
        );
    }
}
