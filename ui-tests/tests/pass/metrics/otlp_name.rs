//! `#[otlp(name = "...", unit = "...")]` gives a family the name and unit a semantic convention
//! defines, for the OTLP push; its Prometheus name stays the one declared.

use obs_runtime::metrics::{FamilyView, OtlpName};
use obs_runtime::{Format, Registry, metrics};

metrics! {
    /// GenAI client metrics.
    pub GEN_AI in "gen_ai_client" {
        /// Duration of GenAI operations.
        #[otlp(name = "gen_ai.client.operation.duration", unit = "s")]
        #[buckets(0.01, 0.1, 1, 10, 100)]
        operation_duration_seconds: Histogram,
        /// Tokens, counted.
        #[otlp(name = "gen_ai.client.token.count", unit = "{token}")]
        tokens_total: Counter,
        /// No convention: derived names.
        plain_total: Counter,
    }
}

fn main() {
    GEN_AI.operation_duration_seconds.series().observe(0.5);
    GEN_AI.tokens_total.series().add(7);
    assert_eq!(
        GEN_AI.operation_duration_seconds.desc().otlp,
        Some(OtlpName { name: "gen_ai.client.operation.duration", unit: "s" })
    );
    assert_eq!(
        GEN_AI.tokens_total.desc().otlp,
        Some(OtlpName { name: "gen_ai.client.token.count", unit: "{token}" })
    );
    assert_eq!(GEN_AI.plain_total.desc().otlp, None);
    let text = Registry::global().encode(Format::Text);
    assert!(text.contains("gen_ai_client_tokens_total 7"), "{text}");
}
