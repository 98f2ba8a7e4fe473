// `#[otlp(key = "...")]` on a label takes an OpenTelemetry attribute key: lowercase letters,
// digits, `_` and `.`, starting with a letter, without an empty segment.
use obs_runtime::metrics;

metrics! {
    /// GenAI client metrics.
    pub GEN_AI in "gen_ai_client" {
        /// Operations.
        operations_total: Counter {
            #[otlp(key = "GenAI.Operation")]
            operation: bool,
            #[otlp(key = "gen_ai..provider")]
            provider: bool,
            #[otlp(key = "error.type.")]
            error_type: bool,
            #[otlp(key = "1st.model")]
            model: bool,
        },
    }
}

fn main() {}
