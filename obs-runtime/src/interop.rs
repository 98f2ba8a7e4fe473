//! Interop with the `prometheus` crate (feature `prometheus`): obs families as a
//! `prometheus::core::Collector`, so an application that already has a `prometheus::Registry`
//! can expose them through it.
//!
//! Written against the accessors both of `prometheus`' data models share, so it builds with and
//! without that crate's `protobuf` feature.

use prometheus::core::{Collector as PromCollector, Desc};
use prometheus::proto;

use crate::metrics::{
    Collector, FamilyView, MetricType, OverflowFamily, RefusedFamily, Registry, Sample,
};

/// Families from obs, collected for a `prometheus::Registry`.
pub struct PrometheusCollector {
    source: Source,
    descs: Vec<Desc>,
}

enum Source {
    Registry(&'static Registry),
    Collector(&'static dyn Collector),
}

impl std::fmt::Debug for PrometheusCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusCollector")
            .field("families", &self.descs.len())
            .finish_non_exhaustive()
    }
}

impl PrometheusCollector {
    /// Everything in `registry` (also groups registered into it later), plus the framework's own
    /// metrics.
    pub fn from_registry(registry: &'static Registry) -> Result<Self, prometheus::Error> {
        let source = Source::Registry(registry);
        let descs = describe(&source.families())?;
        Ok(Self { source, descs })
    }

    /// The families of one group or other collector, such as a `metrics!` static
    /// (`PrometheusCollector::from_collector(GATEWAY.get())`).
    pub fn from_collector(collector: &'static dyn Collector) -> Result<Self, prometheus::Error> {
        let source = Source::Collector(collector);
        let descs = describe(&source.families())?;
        Ok(Self { source, descs })
    }
}

impl Source {
    fn families(&self) -> Vec<&'static dyn FamilyView> {
        match self {
            Source::Registry(r) => r.families(),
            Source::Collector(c) => {
                let mut out = Vec::new();
                c.visit_families(&mut |f| out.push(f));
                out
            }
        }
    }
}

fn describe(families: &[&'static dyn FamilyView]) -> Result<Vec<Desc>, prometheus::Error> {
    families
        .iter()
        .map(|f| {
            let d = f.desc();
            Desc::new(
                d.name.to_owned(),
                d.help.to_owned(),
                d.labels.iter().map(|l| l.name.to_owned()).collect(),
                Default::default(),
            )
        })
        .collect()
}

impl PromCollector for PrometheusCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<proto::MetricFamily> {
        let families = self.source.families();
        let mut out: Vec<proto::MetricFamily> =
            families.iter().filter_map(|f| convert(*f)).collect();
        if let Source::Registry(_) = self.source
            && let Some(overflow) = OverflowFamily::over(&families)
            && let Some(mf) = convert(&overflow)
        {
            out.push(mf);
        }
        if let Source::Registry(_) = self.source
            && let Some(refused) = RefusedFamily::over(&families)
            && let Some(mf) = convert(&refused)
        {
            out.push(mf);
        }
        out
    }
}

/// One family in `prometheus`' data model; `None` when it has no series (its text encoder
/// refuses empty families).
fn convert(family: &dyn FamilyView) -> Option<proto::MetricFamily> {
    let desc = family.desc();
    let mut metrics = Vec::new();
    family.visit(&mut |values, sample| {
        let labels = desc
            .labels
            .iter()
            .zip(values)
            .map(|(l, v)| {
                let mut pair = proto::LabelPair::default();
                pair.set_name(l.name.to_owned());
                pair.set_value((*v).to_owned());
                pair
            })
            .collect();
        let mut metric = proto::Metric::from_label(labels);
        let scalar = match sample {
            Sample::Unsigned(v) => Some(v as f64),
            Sample::Signed(v) => Some(v as f64),
            Sample::Float(v) => Some(v),
            Sample::Histogram {
                bounds,
                cumulative,
                sum,
                ..
            } => {
                let mut h = proto::Histogram::default();
                h.set_sample_count(cumulative.last().copied().unwrap_or(0));
                h.set_sample_sum(sum);
                h.set_bucket(
                    bounds
                        .iter()
                        .zip(cumulative)
                        .map(|(b, c)| {
                            let mut bucket = proto::Bucket::default();
                            bucket.set_upper_bound(*b);
                            bucket.set_cumulative_count(*c);
                            bucket
                        })
                        .collect(),
                );
                metric.set_histogram(h);
                None
            }
        };
        match (scalar, desc.metric_type) {
            (Some(v), MetricType::Counter) => {
                let mut c = proto::Counter::default();
                c.set_value(v);
                metric.set_counter(c);
            }
            (Some(v), _) => {
                let mut g = proto::Gauge::default();
                g.set_value(v);
                metric.set_gauge(g);
            }
            (None, _) => {}
        }
        metrics.push(metric);
    });
    if metrics.is_empty() {
        return None;
    }
    let mut mf = proto::MetricFamily::default();
    mf.set_name(desc.name.to_owned());
    mf.set_help(desc.help.to_owned());
    mf.set_field_type(match desc.metric_type {
        MetricType::Counter => proto::MetricType::COUNTER,
        MetricType::Gauge => proto::MetricType::GAUGE,
        MetricType::Histogram => proto::MetricType::HISTOGRAM,
    });
    mf.set_metric(metrics);
    Some(mf)
}
