//! The framework's self-metrics with one series per family, derived at encode time from the
//! families themselves: `obs_label_overflow_total{family}` (recordings that went to a label's
//! overflow series) and `obs_recordings_refused_total{family}` (recordings whose value was
//! outside the family's domain). Both are [`ComputedFamily`]s over the same reader.

use super::computed::ComputedFamily;
use super::family::{FamilyDesc, FamilyView, MetricType, Sample};
use super::label::{LabelDesc, LabelValues};

/// Name of the self-metric counting recordings that went to an overflow series.
pub const LABEL_OVERFLOW_METRIC: &str = "obs_label_overflow_total";

/// Name of the self-metric counting refused recordings.
pub const REFUSED_METRIC: &str = "obs_recordings_refused_total";

const FAMILY_LABEL: &[LabelDesc] = &[LabelDesc {
    name: "family",
    values: LabelValues::Bounded(usize::MAX),
    otlp_key: None,
}];

/// What a per-family self-metric reads from each family (`None`: the family has no such count).
pub type Tally = fn(&dyn FamilyView) -> Option<u64>;

/// A self-metric with one series per family that has the count it reads.
pub type PerFamily<'a> = ComputedFamily<(&'a [&'static dyn FamilyView], Tally)>;

/// `obs_label_overflow_total{family}`.
#[derive(Debug)]
pub struct OverflowFamily;

impl OverflowFamily {
    /// The self-metric over `families`, if any of them has a bounded label.
    pub fn over<'a>(families: &'a [&'static dyn FamilyView]) -> Option<PerFamily<'a>> {
        per_family(
            LABEL_OVERFLOW_METRIC,
            "Recordings that went to a label's overflow series because the label reached its cap of distinct values, by family.",
            families,
            |f| f.overflows(),
        )
    }
}

/// `obs_recordings_refused_total{family}`.
#[derive(Debug)]
pub struct RefusedFamily;

impl RefusedFamily {
    /// The self-metric over `families`, if any of them can refuse a recording.
    pub fn over<'a>(families: &'a [&'static dyn FamilyView]) -> Option<PerFamily<'a>> {
        per_family(
            REFUSED_METRIC,
            "Recordings refused because the value was outside the family's domain (NaN, infinite, or negative where the family takes no negative values), by family.",
            families,
            |f| f.refused(),
        )
    }
}

fn per_family<'a>(
    name: &'static str,
    help: &'static str,
    families: &'a [&'static dyn FamilyView],
    tally: Tally,
) -> Option<PerFamily<'a>> {
    families.iter().any(|f| tally(*f).is_some()).then(|| {
        let desc = FamilyDesc {
            name,
            help,
            metric_type: MetricType::Counter,
            labels: FAMILY_LABEL,
            otlp: None,
        };
        ComputedFamily::new(desc, (families, tally), samples)
    })
}

fn samples(
    (families, tally): &(&[&'static dyn FamilyView], Tally),
    f: &mut dyn FnMut(&[&str], Sample<'_>),
) {
    for family in *families {
        if let Some(n) = tally(*family) {
            f(&[family.desc().name], Sample::Unsigned(n));
        }
    }
}
