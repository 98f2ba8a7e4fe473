//! Families whose samples are computed when they are read, and the collector that joins a fixed
//! set of them to the global registry once: what the framework's own families are made of
//! (`obs_function_*`, `obs_export_*`, and the per-family `obs_label_overflow_total` and
//! `obs_recordings_refused_total`).
//!
//! A family is a [`FamilyDesc`] and a plain function that reads some state (atomics in a
//! `static`, or a context the family carries) and calls the visitor once per series.

use std::sync::Once;

use super::family::{FamilyDesc, FamilyView, Sample};
use super::registry::{Collector, Registry};

/// What a [`ComputedFamily`] calls to produce its samples: the family's context, and the
/// visitor to call with each series' label values and sample.
pub type SampleFn<C> = fn(&C, &mut dyn FnMut(&[&str], Sample<'_>));

/// A family whose samples are computed when it is read, by a function over a context `C` (`()`
/// for families that read `static`s).
pub struct ComputedFamily<C = ()> {
    desc: FamilyDesc,
    context: C,
    samples: SampleFn<C>,
    overflows: Option<fn(&C) -> u64>,
}

impl<C> ComputedFamily<C> {
    /// The family described by `desc`, whose samples `samples` computes from `context`.
    pub const fn new(desc: FamilyDesc, context: C, samples: SampleFn<C>) -> Self {
        Self {
            desc,
            context,
            samples,
            overflows: None,
        }
    }

    /// The family, with recordings that went to an overflow series (a bounded label at its cap)
    /// counted by `overflows`, for `obs_label_overflow_total`.
    pub const fn with_overflows(mut self, overflows: fn(&C) -> u64) -> Self {
        self.overflows = Some(overflows);
        self
    }
}

impl<C> std::fmt::Debug for ComputedFamily<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComputedFamily")
            .field("name", &self.desc.name)
            .finish_non_exhaustive()
    }
}

impl<C: Send + Sync> FamilyView for ComputedFamily<C> {
    fn desc(&self) -> &FamilyDesc {
        &self.desc
    }

    fn visit(&self, f: &mut dyn FnMut(&[&str], Sample<'_>)) {
        (self.samples)(&self.context, f);
    }

    fn overflows(&self) -> Option<u64> {
        self.overflows.map(|count| count(&self.context))
    }
}

/// A fixed set of the framework's own families, joined to the global registry on first use.
pub(crate) struct SelfFamilies<const N: usize> {
    families: [ComputedFamily; N],
    registered: Once,
}

impl<const N: usize> SelfFamilies<N> {
    /// The collector of `families`, for a `static`.
    pub(crate) const fn new(families: [ComputedFamily; N]) -> Self {
        Self {
            families,
            registered: Once::new(),
        }
    }

    /// Joins these families to the global registry, once. Nobody is there to receive a refusal
    /// (it happens inside a recording, when a user's family already took one of these names), so
    /// it is reported as a `tracing` error event with target `obs` and the families stay out of
    /// the global registry; they can still be added to another registry.
    pub(crate) fn ensure_registered(&'static self) {
        self.registered.call_once(|| {
            if let Err(error) = Registry::global().register(self) {
                let families: Vec<&str> = self.families.iter().map(|f| f.desc.name).collect();
                tracing::error!(
                    target: "obs",
                    error = &error as &dyn std::error::Error,
                    ?families,
                    "obs: framework families not registered in the global registry"
                );
            }
        });
    }
}

impl<const N: usize> Collector for SelfFamilies<N> {
    fn visit_families<'a>(&'a self, f: &mut dyn FnMut(&'a dyn FamilyView)) {
        for family in &self.families {
            f(family);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{LabelDesc, LabelValues, MetricType};

    const LABELS: &[LabelDesc] = &[LabelDesc {
        name: "kind",
        values: LabelValues::Fixed(&["a", "b"]),
        otlp_key: None,
    }];

    fn two_series(_: &(), f: &mut dyn FnMut(&[&str], Sample<'_>)) {
        f(&["a"], Sample::Unsigned(1));
        f(&["b"], Sample::Unsigned(2));
    }

    static FAMILIES: SelfFamilies<1> = SelfFamilies::new([ComputedFamily::new(
        FamilyDesc {
            name: "obs_test_computed_total",
            help: "A computed test family.",
            metric_type: MetricType::Counter,
            labels: LABELS,
            otlp: None,
        },
        (),
        two_series,
    )]);

    #[test]
    fn computed_families_render_and_register_once() {
        FAMILIES.ensure_registered();
        FAMILIES.ensure_registered();
        let text = Registry::global().encode(crate::Format::Text);
        assert_eq!(text.matches("# TYPE obs_test_computed_total").count(), 1);
        assert!(
            text.contains("obs_test_computed_total{kind=\"b\"} 2\n"),
            "{text}"
        );
    }

    #[test]
    fn a_name_taken_by_another_family_is_refused() {
        static CLASH: SelfFamilies<1> = SelfFamilies::new([ComputedFamily::new(
            FamilyDesc {
                name: "obs_test_computed_total",
                help: "Same name.",
                metric_type: MetricType::Counter,
                labels: LABELS,
                otlp: None,
            },
            (),
            two_series,
        )]);
        FAMILIES.ensure_registered();
        assert_eq!(
            Registry::global().register(&CLASH),
            Err(crate::metrics::RegistryError::DuplicateFamily(
                "obs_test_computed_total"
            ))
        );
        // Reported through tracing, never a panic.
        CLASH.ensure_registered();
    }
}
