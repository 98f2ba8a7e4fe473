// `#[otlp(...)]` takes a dotted lowercase OpenTelemetry name and a unit without spaces, both.
use obs_runtime::metrics;

metrics! {
    /// GenAI client metrics.
    pub GEN_AI in "gen_ai_client" {
        /// Duration.
        #[otlp(name = "GenAI Client.Duration", unit = "per second")]
        operation_duration_seconds: Histogram,
    }
}

metrics! {
    /// More.
    pub MORE in "more" {
        /// Tokens.
        #[otlp(name = "gen_ai.client.token.usage")]
        tokens_total: Counter,
    }
}

fn main() {}
