//! `#[otlp(key = "...")]` on a label gives the attribute key a semantic convention defines, for
//! the OTLP push; the exposition keeps the label's own name.

use obs_runtime::metrics::FamilyView;
use obs_runtime::{Bounded, Format, Registry, metrics};

metrics! {
    /// GenAI client metrics.
    pub GEN_AI in "gen_ai_client_keys" {
        /// Tokens used.
        #[otlp(name = "gen_ai.client.token.usage", unit = "{token}")]
        #[buckets(1, 16, 256)]
        token_usage: Histogram {
            #[otlp(key = "gen_ai.operation.name")]
            gen_ai_operation_name: Bounded<4>,
            #[otlp(key = "gen_ai.token.type")]
            gen_ai_token_type: Bounded<4>,
            streamed: bool,
        },
    }
}

fn main() {
    GEN_AI.token_usage.with(("chat", "input", false)).observe(10.0);
    let keys: Vec<_> = GEN_AI.token_usage.desc().labels.iter().map(|l| l.otlp_key).collect();
    assert_eq!(keys, [Some("gen_ai.operation.name"), Some("gen_ai.token.type"), None]);
    let attribute_keys: Vec<_> =
        GEN_AI.token_usage.desc().labels.iter().map(|l| l.attribute_key()).collect();
    assert_eq!(attribute_keys, ["gen_ai.operation.name", "gen_ai.token.type", "streamed"]);
    let text = Registry::global().encode(Format::Text);
    assert!(
        text.contains(
            "gen_ai_client_keys_token_usage_count{gen_ai_operation_name=\"chat\",gen_ai_token_type=\"input\",streamed=\"false\"} 1"
        ),
        "{text}"
    );
}
