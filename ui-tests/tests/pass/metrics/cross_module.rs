//! A group declared in one module, with a struct name of its own, used from another module and
//! through its struct type.

mod telemetry {
    use obs_runtime::{Bounded, LabelValue, metrics};

    /// Which backend served a request.
    #[derive(Clone, Copy, Debug, LabelValue)]
    pub enum Provider {
        /// OpenAI.
        OpenAi,
        /// Anthropic.
        Anthropic,
    }

    metrics! {
        /// Gateway metrics.
        pub GATEWAY: GatewayMetrics in "cross_gateway" {
            /// Requests handled, by provider and outcome.
            requests_total: Counter { provider: Provider, ok: bool },
            /// Request latency, by provider and model.
            #[buckets(0.1, 1, 10)]
            latency_seconds: Histogram { provider: Provider, model: Bounded<64> },
        }
    }
}

mod handlers {
    use crate::telemetry::{GATEWAY, GatewayMetrics, Provider};

    /// Records one request into the group it is given.
    pub fn record(metrics: &GatewayMetrics, provider: Provider, ok: bool, seconds: f64) {
        metrics.requests_total.with((provider, ok)).inc();
        metrics
            .latency_seconds
            .with((provider, "gpt-4o"))
            .observe(seconds);
    }

    /// Handles a request, recording into the global group.
    pub fn handle(provider: Provider) {
        record(&GATEWAY, provider, true, 0.2);
    }
}

fn main() {
    handlers::handle(telemetry::Provider::OpenAi);
    handlers::handle(telemetry::Provider::Anthropic);
    let group: &telemetry::GatewayMetrics = &telemetry::GATEWAY;
    handlers::record(group, telemetry::Provider::OpenAi, false, 3.0);

    let requests = &telemetry::GATEWAY.requests_total;
    assert_eq!(requests.with((telemetry::Provider::OpenAi, true)).get(), 1);
    assert_eq!(requests.with((telemetry::Provider::OpenAi, false)).get(), 1);
    let latency = &telemetry::GATEWAY.latency_seconds;
    assert_eq!(
        latency
            .with((telemetry::Provider::OpenAi, "gpt-4o"))
            .count(),
        2
    );
}
