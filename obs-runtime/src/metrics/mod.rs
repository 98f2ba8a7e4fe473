//! Metric storage: label types, families of every kind, groups and registries.

mod computed;
mod exemplar;
mod family;
mod group;
mod histogram;
mod intern;
mod label;
mod per_family;
pub(crate) mod per_thread;
mod registry;
mod scalar;
mod stripe;
mod units;

pub(crate) use computed::SelfFamilies;
pub use computed::{ComputedFamily, SampleFn};
pub use exemplar::{Exemplar, Exemplars, current as current_trace_context};
#[cfg(feature = "otlp")]
pub(crate) use exemplar::{enable as enable_exemplars, enter_span, exit_span};
pub use family::{ExemplarVisitor, FamilyDesc, FamilyView, MetricType, OtlpName, Sample};
pub use group::Group;
pub(crate) use histogram::le_labels;
pub use histogram::{
    BucketError, DEFAULT_BUCKETS, Histogram, HistogramFamily, Timer, histogram_or_default,
    validate_buckets,
};
pub use intern::{Interner, MAX_VALUE_LEN, OVERFLOW_VALUE};
pub use label::{
    Bounded, LabelDesc, LabelSet, LabelType, LabelValue, LabelValues, MAX_LABELS, NoLabels,
    series_product,
};
pub use per_family::{
    LABEL_OVERFLOW_METRIC, OverflowFamily, PerFamily, REFUSED_METRIC, RefusedFamily, Tally,
};
pub use registry::{Collector, Registry, RegistryError};
pub use scalar::{
    Counter, CounterFamily, Family, FloatCounter, FloatCounterFamily, FloatGauge, FloatGaugeFamily,
    Gauge, GaugeFamily, ScalarKind, kind,
};
#[cfg_attr(not(any(feature = "llm", feature = "serve")), allow(unused_imports))]
pub(crate) use units::{bucket as unit_bucket, unit_bounds};
