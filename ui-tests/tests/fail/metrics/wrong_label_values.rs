// The type system carries the schema: recording with the wrong labels does not compile.
use obs_runtime::{Bounded, LabelValue, metrics};

/// Which backend served a request.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Provider {
    /// OpenAI.
    OpenAi,
}

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By provider and model.
        requests_total: Counter { provider: Provider, model: Bounded<8> },
        /// Without labels.
        in_flight: Gauge,
    }
}

fn main() {
    // Too few labels.
    SERVICE.requests_total.with(Provider::OpenAi).inc();
    // Wrong order.
    SERVICE
        .requests_total
        .with(("gpt-4o", Provider::OpenAi))
        .inc();
    // `.series()` is only for families without labels.
    SERVICE.requests_total.series().inc();
    // A family without labels takes none.
    SERVICE.in_flight.with(true).inc();
}
