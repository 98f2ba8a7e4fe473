//! Every metric kind, with and without labels, records and is exposed.

use obs_runtime::{Format, LabelValue, Registry, metrics};

/// Which backend served a request.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Provider {
    /// OpenAI.
    OpenAi,
    /// Anthropic.
    Anthropic,
}

metrics! {
    /// One family of every kind.
    pub KINDS in "kinds" {
        /// Requests handled, by provider.
        requests_total: Counter { provider: Provider },
        /// Requests handled.
        all_requests_total: Counter,
        /// Dollars spent, by provider.
        cost_dollars_total: FloatCounter { provider: Provider },
        /// Requests being handled.
        in_flight: Gauge,
        /// Open connections, by provider.
        connections: Gauge { provider: Provider },
        /// Sampling temperature in use.
        temperature: FloatGauge,
        /// Request latency, with explicit buckets.
        #[buckets(0.1, 0.5, 1, 2.5, 10)]
        latency_seconds: Histogram { provider: Provider },
        /// Queue wait, with the default buckets.
        queue_wait_seconds: Histogram,
    }
}

fn main() {
    KINDS.requests_total.with(Provider::OpenAi).inc();
    KINDS.requests_total.with(Provider::OpenAi).add(2);
    KINDS.all_requests_total.series().inc();
    assert!(KINDS.cost_dollars_total.with(Provider::Anthropic).add(0.25));
    KINDS.in_flight.series().inc();
    KINDS.in_flight.series().dec();
    KINDS.in_flight.series().set(3);
    KINDS.connections.with(Provider::Anthropic).add(-2);
    KINDS.temperature.series().set(0.7);
    KINDS.latency_seconds.with(Provider::OpenAi).observe(0.3);
    KINDS.queue_wait_seconds.series().observe(0.001);

    assert_eq!(KINDS.requests_total.with(Provider::OpenAi).get(), 3);
    assert_eq!(KINDS.all_requests_total.series().get(), 1);
    assert_eq!(KINDS.in_flight.series().get(), 3);
    assert_eq!(KINDS.connections.with(Provider::Anthropic).get(), -2);
    assert_eq!(KINDS.latency_seconds.with(Provider::OpenAi).count(), 1);

    let text = Registry::global().encode(Format::Text);
    assert!(
        text.contains("kinds_requests_total{provider=\"open_ai\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE kinds_cost_dollars_total counter"),
        "{text}"
    );
    assert!(text.contains("# TYPE kinds_temperature gauge"), "{text}");
    assert!(
        text.contains("kinds_latency_seconds_bucket{provider=\"open_ai\",le=\"0.5\"} 1"),
        "{text}"
    );
    assert!(text.contains("kinds_queue_wait_seconds_count 1"), "{text}");
}
