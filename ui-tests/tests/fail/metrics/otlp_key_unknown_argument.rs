// A label's `#[otlp(...)]` takes `key` only.
use obs_runtime::metrics;

metrics! {
    /// GenAI client metrics.
    pub GEN_AI in "gen_ai_client" {
        /// Operations.
        operations_total: Counter {
            #[otlp(keys = "gen_ai.operation.name")]
            operation: bool,
        },
    }
}

fn main() {}
