//! What the `compare` and `memory` benchmarks share: the label types, and the render set built
//! identically in obs and in each peer crate.
//!
//! The render set is 10,000 counter series (`render_c_total{a, b}`, 100 x 100 distinct run-time
//! strings) and 1,000 histogram series (`render_h_seconds{a}`, 11 buckets), each recorded into a
//! few times with the same values in every library.

// Each benchmark binary uses part of this module.
#![allow(dead_code)]

use std::fmt::Write as _;

use obs_runtime::{Bounded, LabelValue, metrics};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};

/// The 11 bucket bounds every histogram uses (Prometheus' defaults).
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// HTTP method label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, LabelValue, measured::FixedCardinalityLabel)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
}

/// Response class label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, LabelValue, measured::FixedCardinalityLabel)]
pub enum Status {
    /// 2xx
    Ok,
    /// 4xx
    ClientError,
    /// 5xx
    ServerError,
}

/// Region label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, LabelValue, measured::FixedCardinalityLabel)]
pub enum Region {
    /// Europe
    Eu,
    /// North America
    Us,
    /// Asia-Pacific
    Ap,
    /// South America
    Sa,
}

/// prometheus-client writes the same label text as obs (snake_case), not the variant name.
macro_rules! encode_like_obs {
    ($($ty:ty),*) => {$(
        impl EncodeLabelValue for $ty {
            fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
                encoder.write_str(LabelValue::as_str(*self))
            }
        }
    )*};
}
encode_like_obs!(Method, Status, Region);

// ---------------------------------------------------------------------------------------------
// The render set.

/// Distinct values of label `a` of the counter family.
pub const C_A: usize = 100;
/// Distinct values of label `b` of the counter family.
pub const C_B: usize = 100;
/// Distinct values of label `a` of the histogram family.
pub const H_A: usize = 1000;

/// Label values of the render set, as run-time strings.
pub struct RenderLabels {
    /// `a` values of the counter family.
    pub ca: Vec<String>,
    /// `b` values of the counter family.
    pub cb: Vec<String>,
    /// `a` values of the histogram family.
    pub ha: Vec<String>,
}

impl RenderLabels {
    /// The strings, made at run time.
    pub fn new() -> Self {
        Self {
            ca: (0..C_A).map(|i| format!("alpha-{i:03}")).collect(),
            cb: (0..C_B).map(|i| format!("beta-{i:03}")).collect(),
            ha: (0..H_A).map(|i| format!("route-{i:04}")).collect(),
        }
    }
}

/// How much counter series `(i, j)` is incremented by.
pub fn counter_amount(i: usize, j: usize) -> u64 {
    1 + ((i * C_B + j) % 5) as u64
}

/// The observations recorded into histogram series `k`.
pub fn observations(k: usize) -> [f64; 5] {
    let scale = 1.0 + (k % 7) as f64 / 10.0;
    [0.003, 0.04, 0.3, 2.0, 20.0].map(|v| v * scale)
}

metrics! {
    /// The render set, in obs.
    pub RENDER in "render" {
        /// Counter series of the render set.
        #[max_series(10_201)]
        c_total: Counter { a: Bounded<100>, b: Bounded<100> },
        /// Histogram series of the render set.
        #[buckets(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)]
        h_seconds: Histogram { a: Bounded<1000> },
    }
}

/// Records the render set into obs' `RENDER` group (creating it on first use).
pub fn obs_populate(labels: &RenderLabels) {
    for (i, a) in labels.ca.iter().enumerate() {
        for (j, b) in labels.cb.iter().enumerate() {
            RENDER.c_total.with((a, b)).add(counter_amount(i, j));
        }
    }
    for (k, a) in labels.ha.iter().enumerate() {
        let series = RENDER.h_seconds.with(a);
        for v in observations(k) {
            series.observe(v);
        }
    }
}

/// The render set in the `prometheus` crate.
pub struct PromRender {
    /// The registry the two vectors are registered in.
    pub registry: prometheus::Registry,
    /// `render_c_total`.
    pub c: prometheus::IntCounterVec,
    /// `render_h_seconds`.
    pub h: prometheus::HistogramVec,
}

/// Builds and records the render set in `prometheus`.
pub fn prom_populate(labels: &RenderLabels) -> PromRender {
    let registry = prometheus::Registry::new();
    let c = prometheus::IntCounterVec::new(
        prometheus::Opts::new("render_c_total", "Counter series of the render set."),
        &["a", "b"],
    )
    .expect("valid counter vec");
    let h = prometheus::HistogramVec::new(
        prometheus::HistogramOpts::new("render_h_seconds", "Histogram series of the render set.")
            .buckets(BUCKETS.to_vec()),
        &["a"],
    )
    .expect("valid histogram vec");
    registry.register(Box::new(c.clone())).expect("register");
    registry.register(Box::new(h.clone())).expect("register");
    for (i, a) in labels.ca.iter().enumerate() {
        for (j, b) in labels.cb.iter().enumerate() {
            c.with_label_values(&[a, b]).inc_by(counter_amount(i, j));
        }
    }
    for (k, a) in labels.ha.iter().enumerate() {
        let series = h.with_label_values(&[a]);
        for v in observations(k) {
            series.observe(v);
        }
    }
    PromRender { registry, c, h }
}

/// Labels of `render_c_total` in prometheus-client.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PcRenderC {
    /// Label `a`.
    pub a: String,
    /// Label `b`.
    pub b: String,
}

/// Labels of `render_h_seconds` in prometheus-client.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PcRenderH {
    /// Label `a`.
    pub a: String,
}

/// A prometheus-client histogram family with [`BUCKETS`].
pub type PcHistogramFamily<L> = prometheus_client::metrics::family::Family<
    L,
    prometheus_client::metrics::histogram::Histogram,
    fn() -> prometheus_client::metrics::histogram::Histogram,
>;

/// A prometheus-client histogram with [`BUCKETS`].
pub fn pc_histogram() -> prometheus_client::metrics::histogram::Histogram {
    prometheus_client::metrics::histogram::Histogram::new(BUCKETS)
}

/// Builds and records the render set in prometheus-client.
pub fn pc_populate(labels: &RenderLabels) -> prometheus_client::registry::Registry {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    let mut registry = prometheus_client::registry::Registry::default();
    let c = Family::<PcRenderC, Counter>::default();
    let h: PcHistogramFamily<PcRenderH> = Family::new_with_constructor(pc_histogram);
    // prometheus-client appends `_total` to counters itself.
    registry.register("render_c", "Counter series of the render set.", c.clone());
    registry.register(
        "render_h_seconds",
        "Histogram series of the render set.",
        h.clone(),
    );
    for (i, a) in labels.ca.iter().enumerate() {
        for (j, b) in labels.cb.iter().enumerate() {
            c.get_or_create(&PcRenderC {
                a: a.clone(),
                b: b.clone(),
            })
            .inc_by(counter_amount(i, j));
        }
    }
    for (k, a) in labels.ha.iter().enumerate() {
        let series = h.get_or_create_owned(&PcRenderH { a: a.clone() });
        for v in observations(k) {
            series.observe(v);
        }
    }
    registry
}

/// A `metrics-exporter-prometheus` recorder whose histograms have [`BUCKETS`].
pub fn metrics_recorder() -> metrics_exporter_prometheus::PrometheusRecorder {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .expect("non-empty buckets")
        .build_recorder()
}

/// Builds a recorder and records the render set into it through the `metrics` macros.
pub fn metrics_populate(labels: &RenderLabels) -> metrics_exporter_prometheus::PrometheusRecorder {
    let recorder = metrics_recorder();
    ::metrics::with_local_recorder(&recorder, || {
        ::metrics::describe_counter!("render_c_total", "Counter series of the render set.");
        ::metrics::describe_histogram!("render_h_seconds", "Histogram series of the render set.");
        for (i, a) in labels.ca.iter().enumerate() {
            for (j, b) in labels.cb.iter().enumerate() {
                ::metrics::counter!("render_c_total", "a" => a.clone(), "b" => b.clone())
                    .increment(counter_amount(i, j));
            }
        }
        for (k, a) in labels.ha.iter().enumerate() {
            let series = ::metrics::histogram!("render_h_seconds", "a" => a.clone());
            for v in observations(k) {
                series.record(v);
            }
        }
    });
    recorder
}

/// Labels of `render_c_total` in measured: both are fixed sets of strings known up front.
#[derive(Clone, Copy, measured::LabelGroup)]
#[label(set = MeasuredRenderCSet)]
pub struct MeasuredRenderC {
    /// Label `a`.
    #[label(fixed_with = indexmap::IndexSet<&'static str>)]
    pub a: &'static str,
    /// Label `b`.
    #[label(fixed_with = indexmap::IndexSet<&'static str>)]
    pub b: &'static str,
}

/// Labels of `render_h_seconds` in measured.
#[derive(Clone, Copy, measured::LabelGroup)]
#[label(set = MeasuredRenderHSet)]
pub struct MeasuredRenderH {
    /// Label `a`.
    #[label(fixed_with = indexmap::IndexSet<&'static str>)]
    pub a: &'static str,
}

/// The render set in measured.
#[derive(measured::MetricGroup)]
pub struct MeasuredRender {
    /// Counter series of the render set.
    pub render_c_total: measured::CounterVec<MeasuredRenderCSet>,
    /// Histogram series of the render set.
    pub render_h_seconds: measured::HistogramVec<MeasuredRenderHSet, 11>,
}

/// measured's label sets borrow `&'static str`: give it its own (leaked) copy of the strings,
/// so that its memory figure includes them as the other libraries' do.
fn leak_all(values: &[String]) -> Vec<&'static str> {
    values
        .iter()
        .map(|s| &*Box::leak(s.clone().into_boxed_str()))
        .collect()
}

/// Builds and records the render set in measured.
pub fn measured_populate(labels: &RenderLabels) -> MeasuredRender {
    use measured::metric::histogram::Thresholds;
    let ca = leak_all(&labels.ca);
    let cb = leak_all(&labels.cb);
    let ha = leak_all(&labels.ha);
    let m = MeasuredRender {
        render_c_total: measured::CounterVec::with_label_set(MeasuredRenderCSet::new(
            ca.iter().copied().collect(),
            cb.iter().copied().collect(),
        )),
        render_h_seconds: measured::HistogramVec::with_label_set_and_metadata(
            MeasuredRenderHSet::new(ha.iter().copied().collect()),
            Thresholds::with_buckets(BUCKETS),
        ),
    };
    for (i, &a) in ca.iter().enumerate() {
        for (j, &b) in cb.iter().enumerate() {
            m.render_c_total
                .inc_by(MeasuredRenderC { a, b }, counter_amount(i, j));
        }
    }
    for (k, &a) in ha.iter().enumerate() {
        for v in observations(k) {
            m.render_h_seconds.observe(MeasuredRenderH { a }, v);
        }
    }
    m
}
