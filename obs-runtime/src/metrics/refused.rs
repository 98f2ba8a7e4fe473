//! The `obs_recordings_refused_total{family}` self-metric: recordings refused because their value
//! was outside the family's domain (a histogram observation that is NaN, infinite or negative
//! with non-negative buckets; a float counter increment that is NaN or negative).

use super::family::{FamilyDesc, FamilyView, MetricType, Sample};
use super::label::{LabelDesc, LabelValues};

/// Name of the self-metric counting refused recordings.
pub const REFUSED_METRIC: &str = "obs_recordings_refused_total";

const LABELS: &[LabelDesc] = &[LabelDesc {
    name: "family",
    values: LabelValues::Bounded(usize::MAX),
}];

/// The `obs_recordings_refused_total{family}` self-metric, derived at encode time from the
/// families that can refuse a recording.
pub struct RefusedFamily<'a> {
    desc: FamilyDesc,
    families: &'a [&'static dyn FamilyView],
}

impl<'a> RefusedFamily<'a> {
    /// The self-metric over `families`, if any of them can refuse a recording.
    pub fn over(families: &'a [&'static dyn FamilyView]) -> Option<Self> {
        families.iter().any(|f| f.refused().is_some()).then_some(Self {
            desc: FamilyDesc {
                name: REFUSED_METRIC,
                help: "Recordings refused because the value was outside the family's domain (NaN, infinite, or negative where the family takes no negative values), by family.",
                metric_type: MetricType::Counter,
                labels: LABELS,
            },
            families,
        })
    }
}

impl FamilyView for RefusedFamily<'_> {
    fn desc(&self) -> &FamilyDesc {
        &self.desc
    }

    fn visit(&self, f: &mut dyn FnMut(&[&str], Sample<'_>)) {
        for family in self.families {
            if let Some(n) = family.refused() {
                f(&[family.desc().name], Sample::Unsigned(n));
            }
        }
    }

    fn overflows(&self) -> Option<u64> {
        None
    }
}
