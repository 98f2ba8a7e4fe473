//! Observations outside a histogram's domain: every exposition stays valid for the real parsers
//! (promtool and the strict Python OpenMetrics parser), and what was refused is counted.

use obs_runtime::metrics::FamilyView;
use obs_runtime::{Format, Registry, metrics};
use obs_tests::{family, openmetrics_parse, promtool_check};

metrics! {
    /// Histograms fed values they cannot hold.
    pub DOMAIN in "domain" {
        /// Latencies: non-negative buckets.
        #[buckets(0.1, 1, 10)]
        latency_seconds: Histogram,
        /// Sizes: non-negative buckets.
        #[buckets(1, 10)]
        size_bytes: Histogram,
        /// Temperature deltas: negative buckets, so negative values belong here.
        #[buckets(-10, 0, 10)]
        delta_celsius: Histogram,
    }
}

fn expositions() -> (String, String) {
    let registry = Registry::new();
    DOMAIN.register_into(&registry).unwrap();
    (
        registry.encode(Format::Text),
        registry.encode(Format::OpenMetrics),
    )
}

#[test]
fn out_of_domain_observations_leave_every_exposition_valid_and_are_counted() {
    let latency = DOMAIN.latency_seconds.series();
    assert!(latency.observe(0.5));
    assert!(
        !latency.observe(-1.0),
        "negative, with non-negative buckets"
    );
    let size = DOMAIN.size_bytes.series();
    assert!(size.observe(3.0));
    assert!(!size.observe(f64::INFINITY));
    assert!(!size.observe(f64::NEG_INFINITY));
    assert!(!size.observe(f64::NAN));
    let delta = DOMAIN.delta_celsius.series();
    assert!(delta.observe(-4.0), "negative buckets take negative values");
    assert!(!delta.observe(f64::INFINITY));
    assert!(!delta.observe(f64::NEG_INFINITY));

    let (text, om) = expositions();
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let families = openmetrics_parse(&om).unwrap_or_else(|e| panic!("{e}\n{om}"));

    let latency = family(&families, "domain_latency_seconds");
    assert_eq!(
        latency.value("domain_latency_seconds_count", &[]),
        Some(1.0)
    );
    assert_eq!(latency.value("domain_latency_seconds_sum", &[]), Some(0.5));
    let size = family(&families, "domain_size_bytes");
    assert_eq!(size.value("domain_size_bytes_count", &[]), Some(1.0));
    assert_eq!(size.value("domain_size_bytes_sum", &[]), Some(3.0));
    // OpenMetrics: no sum where values can be negative, and no count without a sum.
    let delta = family(&families, "domain_delta_celsius");
    let inf = [("le", "+Inf")];
    assert_eq!(delta.value("domain_delta_celsius_bucket", &inf), Some(1.0));
    assert_eq!(delta.value("domain_delta_celsius_sum", &[]), None);
    assert_eq!(delta.value("domain_delta_celsius_count", &[]), None);

    let refused = family(&families, "obs_recordings_refused");
    let of = |name| refused.value("obs_recordings_refused_total", &[("family", name)]);
    assert_eq!(of("domain_latency_seconds"), Some(1.0));
    assert_eq!(of("domain_size_bytes"), Some(3.0));
    assert_eq!(of("domain_delta_celsius"), Some(2.0));
    assert_eq!(DOMAIN.size_bytes.refused(), Some(3));
}
