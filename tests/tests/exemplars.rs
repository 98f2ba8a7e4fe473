//! Exemplars: counter and histogram samples recorded inside a sampled span carry its trace and
//! span ids in OpenMetrics (the latest per series and per bucket), none outside a span or in the
//! text format; the Python OpenMetrics parser accepts them.

use std::collections::HashMap;

use obs_runtime::export::{OtlpConfig, Protocol, exemplar_layer, inject, traces_layer};
use obs_runtime::{Format, LabelValue, Registry, metrics, observed};
use obs_tests::{openmetrics_parse, promtool_check};
use tracing_subscriber::layer::SubscriberExt;

/// Routes.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Route {
    /// Traced.
    Chat,
    /// Recorded outside any span.
    Health,
}

metrics! {
    /// With exemplars.
    pub EX in "ex" {
        /// Requests.
        requests_total: Counter { route: Route },
        /// Latency.
        #[buckets(0.1, 1)]
        latency_seconds: Histogram { route: Route },
    }
}

/// Records inside its span; returns the span's `traceparent`.
#[observed]
fn traced(latency: f64) -> String {
    EX.requests_total.with(Route::Chat).inc();
    EX.latency_seconds.with(Route::Chat).observe(latency);
    let mut carrier = HashMap::new();
    inject(&tracing::Span::current(), &mut carrier);
    carrier.remove("traceparent").unwrap()
}

#[test]
fn samples_recorded_in_a_sampled_span_carry_its_ids() {
    let endpoint = format!("http://127.0.0.1:{}", obs_tests::free_port());
    let (layer, guard) = traces_layer(&OtlpConfig::new(
        "exemplars",
        endpoint,
        Protocol::HttpProtobuf,
    ))
    .unwrap();
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        .with(exemplar_layer());
    let (first, last) = tracing::subscriber::with_default(subscriber, || {
        let first = traced(0.5);
        let last = traced(0.7);
        EX.requests_total.with(Route::Health).inc();
        EX.latency_seconds.with(Route::Health).observe(0.05);
        (first, last)
    });
    drop(guard);

    let registry = Registry::new();
    EX.register_into(&registry).unwrap();
    let om = registry.encode(Format::OpenMetrics);
    openmetrics_parse(&om).unwrap_or_else(|e| panic!("{e}\n{om}"));
    let ids = |traceparent: &str| {
        let parts: Vec<&str> = traceparent.split('-').collect();
        (parts[1].to_owned(), parts[2].to_owned())
    };
    let (trace, span) = ids(&last);
    let exemplar = format!("# {{trace_id=\"{trace}\",span_id=\"{span}\"}}");
    let line = |prefix: &str| {
        om.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix} in\n{om}"))
            .to_owned()
    };
    // The latest call's ids, on the counter and on the bucket its observation fell in.
    assert!(
        line("ex_requests_total{route=\"chat\"}").contains(&format!("2 {exemplar} 1.0 ")),
        "{om}"
    );
    assert!(
        line("ex_latency_seconds_bucket{route=\"chat\",le=\"1.0\"}")
            .contains(&format!("{exemplar} 0.7 ")),
        "{om}"
    );
    // Both observations fell in `le="1.0"`; the other buckets have none.
    assert!(!line("ex_latency_seconds_bucket{route=\"chat\",le=\"0.1\"}").contains('#'));
    assert_ne!(ids(&first).0, trace, "two calls, two traces");
    // Outside a span: no exemplar.
    assert!(!line("ex_requests_total{route=\"health\"}").contains('#'));
    assert!(!line("ex_latency_seconds_bucket{route=\"health\",le=\"0.1\"}").contains('#'));

    // The text format has no exemplars, and stays valid.
    let text = registry.encode(Format::Text);
    assert!(
        !text.lines().any(|l| !l.starts_with('#') && l.contains('#')),
        "{text}"
    );
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
}
