//! Quick look at the exposition.
use obs_runtime::{Bounded, Format, LabelValue, Registry, metrics};

#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Provider {
    OpenAi,
    Anthropic,
    #[label(rename = "we\"ird\\\nname")]
    Weird,
}

metrics! {
    /// Smoke metrics.
    pub SMOKE in "smoke" {
        /// Requests.
        requests_total: Counter { provider: Provider, ok: bool },
        /// Cost in dollars.
        cost_dollars_total: FloatCounter { provider: Provider },
        /// In flight.
        in_flight: Gauge,
        /// Temperature.
        temperature_celsius: FloatGauge,
        /// Latency.
        #[buckets(0.1, 1, 10)]
        latency_seconds: Histogram { model: Bounded<2> },
    }
}

#[test]
fn prints() {
    SMOKE.requests_total.with((Provider::OpenAi, true)).inc();
    SMOKE.requests_total.with((Provider::Weird, false)).add(3);
    SMOKE.cost_dollars_total.with(Provider::Anthropic).add(0.25);
    SMOKE.in_flight.series().dec();
    SMOKE.latency_seconds.with("gpt-4o").observe(0.5);
    SMOKE
        .latency_seconds
        .with("claude-ü")
        .observe_duration(std::time::Duration::from_millis(1500));
    SMOKE.latency_seconds.with("x").observe(0.01);
    SMOKE.latency_seconds.with("y").observe(100.0);
    println!("{}", Registry::global().encode(Format::Text));
    println!("{}", Registry::global().encode(Format::OpenMetrics));
}
