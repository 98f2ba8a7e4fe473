// Two labels of one family cannot be pushed under one OTLP attribute key; a label without
// `#[otlp(key)]` is pushed under its name.
use obs_runtime::metrics;

metrics! {
    /// GenAI client metrics.
    pub GEN_AI in "gen_ai_client" {
        /// Operations.
        operations_total: Counter {
            #[otlp(key = "gen_ai.operation.name")]
            operation: bool,
            #[otlp(key = "gen_ai.operation.name")]
            kind: bool,
            #[otlp(key = "streamed")]
            stream: bool,
            streamed: bool,
        },
    }
}

fn main() {}
