//! obs families plugged into an existing `prometheus::Registry` as a
//! `prometheus::core::Collector`, rendered with `prometheus::TextEncoder` and checked by promtool.

use obs_runtime::interop::PrometheusCollector;
use obs_runtime::{Bounded, LabelValue, Registry, metrics};
use obs_tests::{family, promtool_check, text_parse};
use prometheus::{Encoder, IntCounter, TextEncoder};

/// Cache outcomes.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Cache {
    /// Served from cache.
    Hit,
    /// Went to the provider.
    Miss,
}

metrics! {
    /// Metrics that join a prometheus registry.
    pub INTEROP in "interop" {
        /// Lookups by cache outcome.
        lookups_total: Counter { cache: Cache },
        /// Spend.
        spend_dollars_total: FloatCounter,
        /// Queue depth, by model.
        queue_depth: Gauge { model: Bounded<4> },
        /// Latency.
        #[buckets(0.1, 1)]
        latency_seconds: Histogram { cache: Cache },
        /// Not recorded: has no series, which the prometheus encoder must not see.
        idle_total: Counter { cache: Cache },
        /// Not recorded and without labels: its one series reads 0.
        unlabeled_total: Counter,
    }
}

fn gather_text(registry: &prometheus::Registry) -> String {
    let mut buf = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut buf)
        .expect("encodes");
    String::from_utf8(buf).expect("utf-8")
}

fn record() {
    INTEROP.lookups_total.with(Cache::Hit).add(5);
    INTEROP.lookups_total.with(Cache::Miss).inc();
    INTEROP.spend_dollars_total.series().add(1.5);
    INTEROP.queue_depth.with("quote\"d\nmodel").set(7);
    INTEROP.latency_seconds.with(Cache::Miss).observe(0.5);
    INTEROP.latency_seconds.with(Cache::Miss).observe(2.0);
}

#[test]
fn a_group_joins_a_prometheus_registry() {
    static RECORD: std::sync::Once = std::sync::Once::new();
    RECORD.call_once(record);
    let registry = prometheus::Registry::new();
    // Something the application already had.
    let legacy = IntCounter::new("legacy_jobs_total", "Jobs from before obs.").unwrap();
    legacy.inc_by(2);
    registry.register(Box::new(legacy)).unwrap();
    registry
        .register(Box::new(
            PrometheusCollector::from_collector(INTEROP.get()).unwrap(),
        ))
        .unwrap();

    let text = gather_text(&registry);
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let families = text_parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        family(&families, "legacy_jobs").value("legacy_jobs_total", &[]),
        Some(2.0)
    );
    let lookups = family(&families, "interop_lookups");
    assert_eq!(lookups.kind, "counter");
    assert_eq!(
        lookups.value("interop_lookups_total", &[("cache", "hit")]),
        Some(5.0)
    );
    assert_eq!(
        family(&families, "interop_spend_dollars").value("interop_spend_dollars_total", &[]),
        Some(1.5)
    );
    assert_eq!(
        family(&families, "interop_queue_depth")
            .value("interop_queue_depth", &[("model", "quote\"d\nmodel")]),
        Some(7.0)
    );
    let latency = family(&families, "interop_latency_seconds");
    assert_eq!(latency.kind, "histogram");
    let miss = |le: &str| {
        latency.value(
            "interop_latency_seconds_bucket",
            &[("cache", "miss"), ("le", le)],
        )
    };
    assert_eq!(miss("0.1"), Some(0.0));
    assert_eq!(miss("1"), Some(1.0));
    assert_eq!(miss("+Inf"), Some(2.0));
    assert_eq!(
        latency.value("interop_latency_seconds_sum", &[("cache", "miss")]),
        Some(2.5)
    );
    assert!(!text.contains("interop_idle_total"));
    assert_eq!(
        family(&families, "interop_unlabeled").value("interop_unlabeled_total", &[]),
        Some(0.0)
    );
}

#[test]
fn a_whole_registry_joins_with_its_self_metrics() {
    metrics! {
        /// Metrics of a registry of their own.
        pub OWN in "own" {
            /// Routes.
            routes_total: Counter { route: Bounded<1> },
        }
    }
    static OWN_REGISTRY: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(Registry::new);
    OWN.register_into(&OWN_REGISTRY).unwrap();
    OWN.routes_total.with("/a").inc();
    OWN.routes_total.with("/b").inc();

    let registry = prometheus::Registry::new();
    registry
        .register(Box::new(
            PrometheusCollector::from_registry(&OWN_REGISTRY).unwrap(),
        ))
        .unwrap();
    let text = gather_text(&registry);
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let families = text_parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let routes = family(&families, "own_routes");
    assert_eq!(
        routes.value("own_routes_total", &[("route", "/a")]),
        Some(1.0)
    );
    assert_eq!(
        routes.value("own_routes_total", &[("route", "__overflow__")]),
        Some(1.0)
    );
    assert_eq!(
        family(&families, "obs_label_overflow").value(
            "obs_label_overflow_total",
            &[("family", "own_routes_total")]
        ),
        Some(1.0)
    );
}
