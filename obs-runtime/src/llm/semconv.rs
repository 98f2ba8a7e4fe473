//! The OpenTelemetry GenAI semantic-convention names: span attributes, well-known values, and the
//! client metrics with their units, bucket boundaries and Prometheus names. Current names only
//! (`gen_ai.provider.name`, not the deprecated `gen_ai.system`); the conventions are still at
//! "Development" stability, so these may change.
//!
//! # Source
//!
//! Read from `open-telemetry/semantic-conventions` at commit
//! `953276ff4d0404cdddb515e7418e6a2cf43c2b0b` (2026-05-05), the last commit holding the GenAI
//! conventions before they moved to `open-telemetry/semantic-conventions-genai` (commit
//! `c9e48b1d`, "Move GenAI semantic conventions to its own dedicated repository"):
//! `model/gen-ai/registry.yaml` (attributes and values), `model/gen-ai/metrics.yaml` (metric
//! names, instruments, units), `docs/gen-ai/gen-ai-metrics.md` (the explicit bucket boundaries,
//! which live only in the docs), `model/error/registry.yaml` (`_OTHER`). They were
//! cross-checked against the stored `model/gen-ai/registry.yaml` (version `002c8a6e`),
//! `model/gen-ai/metrics.yaml` and `docs/gen-ai/gen-ai-metrics.md` (version `004902b8`) of
//! `semantic-conventions-genai`: the names, units and bucket boundaries used here are unchanged.
//! That repository's newer versions add operation names (`plan`, the `*_memory` operations) and
//! proposed per-kind token counters (`gen_ai.client.inference.usage.*`, in `token-metrics.yaml`)
//! that are not taken here.
//!
//! Every metric the issue names exists in the conventions. The Prometheus names follow the
//! OpenTelemetry-to-Prometheus mapping: dots become `_`, the unit `s` appends `_seconds`, and an
//! annotation unit in braces (`{token}`) appends nothing.

/// Span and metric attribute keys.
pub mod attr {
    /// The operation: one of [`operation`](super::operation)'s values.
    pub const OPERATION_NAME: &str = "gen_ai.operation.name";
    /// The provider as the client identifies it: one of [`provider`](super::provider)'s values.
    pub const PROVIDER_NAME: &str = "gen_ai.provider.name";
    /// The model the request names.
    pub const REQUEST_MODEL: &str = "gen_ai.request.model";
    /// Host name (or address) of the GenAI server.
    pub const SERVER_ADDRESS: &str = "server.address";
    /// Port of the GenAI server.
    pub const SERVER_PORT: &str = "server.port";
    /// Sampling temperature of the request (double).
    pub const REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
    /// `top_p` sampling of the request (double).
    pub const REQUEST_TOP_P: &str = "gen_ai.request.top_p";
    /// Maximum number of tokens the model may generate (int).
    pub const REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
    /// Seed of the request (int).
    pub const REQUEST_SEED: &str = "gen_ai.request.seed";
    /// Stop sequences of the request (string array).
    pub const REQUEST_STOP_SEQUENCES: &str = "gen_ai.request.stop_sequences";
    /// Whether the request was made in streaming mode (boolean).
    pub const REQUEST_STREAM: &str = "gen_ai.request.stream";
    /// The model that generated the response.
    pub const RESPONSE_MODEL: &str = "gen_ai.response.model";
    /// Identifier of the completion.
    pub const RESPONSE_ID: &str = "gen_ai.response.id";
    /// Why the model stopped, one per generation (string array).
    pub const RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
    /// Seconds from issuing the request to the first chunk of a streamed response (double).
    pub const RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
    /// Input tokens, including cached ones (cache reads and cache writes).
    pub const USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
    /// Output tokens, including reasoning ones.
    pub const USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
    /// Input tokens served from a provider-managed cache (part of the input tokens).
    pub const USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
    /// Input tokens written to a provider-managed cache (part of the input tokens).
    pub const USAGE_CACHE_CREATION_INPUT_TOKENS: &str = "gen_ai.usage.cache_creation.input_tokens";
    /// Output tokens used for reasoning (part of the output tokens).
    pub const USAGE_REASONING_OUTPUT_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";
    /// The bounded class of error that ended the operation; [`ERROR_TYPE_OTHER`](super::ERROR_TYPE_OTHER) as fallback.
    pub const ERROR_TYPE: &str = "error.type";
    /// Whether a [`TOKEN_USAGE`](super::TOKEN_USAGE) point counts input or output tokens: one of
    /// [`token_type`](super::token_type)'s values.
    pub const TOKEN_TYPE: &str = "gen_ai.token.type";
}

/// Well-known values of `gen_ai.operation.name`.
pub mod operation {
    /// Chat completion (OpenAI Chat API, Anthropic Messages).
    pub const CHAT: &str = "chat";
    /// Multimodal content generation (Gemini Generate Content).
    pub const GENERATE_CONTENT: &str = "generate_content";
    /// Text completion (OpenAI legacy Completions API).
    pub const TEXT_COMPLETION: &str = "text_completion";
    /// Embeddings.
    pub const EMBEDDINGS: &str = "embeddings";
    /// Retrieval (for example a vector-store search).
    pub const RETRIEVAL: &str = "retrieval";
    /// Creating an agent.
    pub const CREATE_AGENT: &str = "create_agent";
    /// Invoking an agent.
    pub const INVOKE_AGENT: &str = "invoke_agent";
    /// Executing a tool.
    pub const EXECUTE_TOOL: &str = "execute_tool";
    /// Invoking a workflow.
    pub const INVOKE_WORKFLOW: &str = "invoke_workflow";
}

/// Well-known values of `gen_ai.provider.name`.
pub mod provider {
    /// OpenAI.
    pub const OPENAI: &str = "openai";
    /// Anthropic.
    pub const ANTHROPIC: &str = "anthropic";
    /// Any Google generative AI endpoint, when the backend is unknown.
    pub const GCP_GEN_AI: &str = "gcp.gen_ai";
    /// Vertex AI (`aiplatform.googleapis.com`).
    pub const GCP_VERTEX_AI: &str = "gcp.vertex_ai";
    /// Gemini (`generativelanguage.googleapis.com`).
    pub const GCP_GEMINI: &str = "gcp.gemini";
    /// Cohere.
    pub const COHERE: &str = "cohere";
    /// Azure AI Inference.
    pub const AZURE_AI_INFERENCE: &str = "azure.ai.inference";
    /// Azure OpenAI.
    pub const AZURE_AI_OPENAI: &str = "azure.ai.openai";
    /// IBM watsonx.ai.
    pub const IBM_WATSONX_AI: &str = "ibm.watsonx.ai";
    /// AWS Bedrock.
    pub const AWS_BEDROCK: &str = "aws.bedrock";
    /// Perplexity.
    pub const PERPLEXITY: &str = "perplexity";
    /// xAI.
    pub const X_AI: &str = "x_ai";
    /// DeepSeek.
    pub const DEEPSEEK: &str = "deepseek";
    /// Groq.
    pub const GROQ: &str = "groq";
    /// Mistral AI.
    pub const MISTRAL_AI: &str = "mistral_ai";
}

/// Values of `gen_ai.token.type` (the deprecated `completion` is left out).
pub mod token_type {
    /// Input (prompt) tokens.
    pub const INPUT: &str = "input";
    /// Output (completion) tokens.
    pub const OUTPUT: &str = "output";
}

/// The `error.type` fallback when no more specific class applies.
pub const ERROR_TYPE_OTHER: &str = "_OTHER";

/// Buckets of [`OPERATION_DURATION`], in seconds.
pub const OPERATION_DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/// Buckets of [`TOKEN_USAGE`], in tokens.
pub const TOKEN_USAGE_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];
/// Buckets of [`TIME_TO_FIRST_CHUNK`], in seconds.
pub const TIME_TO_FIRST_CHUNK_BUCKETS: &[f64] = OPERATION_DURATION_BUCKETS;
/// Buckets of [`TIME_PER_OUTPUT_CHUNK`], in seconds.
pub const TIME_PER_OUTPUT_CHUNK_BUCKETS: &[f64] = OPERATION_DURATION_BUCKETS;

/// A client metric of the conventions: every one is a histogram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metric {
    /// The dotted name, as pushed over OTLP.
    pub name: &'static str,
    /// The UCUM unit, as pushed over OTLP.
    pub unit: &'static str,
    /// The name under the OpenTelemetry-to-Prometheus mapping (without `_bucket`/`_sum`/`_count`).
    pub prometheus_name: &'static str,
    /// The explicit bucket boundaries the conventions advise.
    pub buckets: &'static [f64],
    /// The conventions' one-line description.
    pub description: &'static str,
}

/// `gen_ai.client.operation.duration`: duration of the GenAI operation.
pub const OPERATION_DURATION: Metric = Metric {
    name: "gen_ai.client.operation.duration",
    unit: "s",
    prometheus_name: "gen_ai_client_operation_duration_seconds",
    buckets: OPERATION_DURATION_BUCKETS,
    description: "GenAI operation duration.",
};

/// `gen_ai.client.token.usage`: input and output tokens used, by [`attr::TOKEN_TYPE`].
pub const TOKEN_USAGE: Metric = Metric {
    name: "gen_ai.client.token.usage",
    unit: "{token}",
    prometheus_name: "gen_ai_client_token_usage",
    buckets: TOKEN_USAGE_BUCKETS,
    description: "Number of input and output tokens used.",
};

/// `gen_ai.client.operation.time_to_first_chunk`: streaming calls only.
pub const TIME_TO_FIRST_CHUNK: Metric = Metric {
    name: "gen_ai.client.operation.time_to_first_chunk",
    unit: "s",
    prometheus_name: "gen_ai_client_operation_time_to_first_chunk_seconds",
    buckets: TIME_TO_FIRST_CHUNK_BUCKETS,
    description: "Time to receive the first chunk, measured from when the client issues the \
                  generation request to when the first chunk is received in the response stream.",
};

/// `gen_ai.client.operation.time_per_output_chunk`: streaming calls only, one point per chunk
/// after the first.
pub const TIME_PER_OUTPUT_CHUNK: Metric = Metric {
    name: "gen_ai.client.operation.time_per_output_chunk",
    unit: "s",
    prometheus_name: "gen_ai_client_operation_time_per_output_chunk_seconds",
    buckets: TIME_PER_OUTPUT_CHUNK_BUCKETS,
    description: "Time per output chunk, recorded for each chunk received after the first one, \
                  measured as the time elapsed from the end of the previous chunk to the end of \
                  the current chunk.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_metrics_carry_the_conventions_names_units_and_buckets() {
        assert_eq!(OPERATION_DURATION.name, "gen_ai.client.operation.duration");
        assert_eq!(OPERATION_DURATION.unit, "s");
        assert_eq!(TOKEN_USAGE.name, "gen_ai.client.token.usage");
        assert_eq!(TOKEN_USAGE.unit, "{token}");
        assert_eq!(
            TIME_TO_FIRST_CHUNK.name,
            "gen_ai.client.operation.time_to_first_chunk"
        );
        assert_eq!(TIME_TO_FIRST_CHUNK.unit, "s");
        assert_eq!(
            TIME_PER_OUTPUT_CHUNK.name,
            "gen_ai.client.operation.time_per_output_chunk"
        );
        assert_eq!(TIME_PER_OUTPUT_CHUNK.unit, "s");

        let seconds = [
            0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
        ];
        assert_eq!(OPERATION_DURATION.buckets, seconds);
        assert_eq!(TIME_TO_FIRST_CHUNK.buckets, seconds);
        assert_eq!(TIME_PER_OUTPUT_CHUNK.buckets, seconds);
        // Powers of 4 from 4^0 to 4^13.
        let tokens: Vec<f64> = (0..14).map(|i| 4f64.powi(i)).collect();
        assert_eq!(TOKEN_USAGE.buckets, tokens.as_slice());
    }

    #[test]
    fn the_prometheus_names_follow_the_otlp_mapping() {
        // Dots to underscores; `s` appends `_seconds`; a unit in braces appends nothing.
        fn mapped(metric: &Metric) -> String {
            let base = metric.name.replace('.', "_");
            match metric.unit {
                "s" => format!("{base}_seconds"),
                unit if unit.starts_with('{') => base,
                unit => panic!("unit {unit} has no mapping here"),
            }
        }
        for metric in [
            OPERATION_DURATION,
            TOKEN_USAGE,
            TIME_TO_FIRST_CHUNK,
            TIME_PER_OUTPUT_CHUNK,
        ] {
            assert_eq!(metric.prometheus_name, mapped(&metric));
        }
        assert_eq!(
            OPERATION_DURATION.prometheus_name,
            "gen_ai_client_operation_duration_seconds"
        );
        assert_eq!(TOKEN_USAGE.prometheus_name, "gen_ai_client_token_usage");
    }

    #[test]
    fn attribute_names_are_the_current_ones() {
        assert_eq!(attr::PROVIDER_NAME, "gen_ai.provider.name");
        assert_eq!(
            attr::USAGE_CACHE_READ_INPUT_TOKENS,
            "gen_ai.usage.cache_read.input_tokens"
        );
        assert_eq!(
            attr::USAGE_CACHE_CREATION_INPUT_TOKENS,
            "gen_ai.usage.cache_creation.input_tokens"
        );
        assert_eq!(
            attr::USAGE_REASONING_OUTPUT_TOKENS,
            "gen_ai.usage.reasoning.output_tokens"
        );
        assert_eq!(
            attr::RESPONSE_TIME_TO_FIRST_CHUNK,
            "gen_ai.response.time_to_first_chunk"
        );
        assert_eq!(attr::ERROR_TYPE, "error.type");
        assert_eq!(ERROR_TYPE_OTHER, "_OTHER");
        assert_eq!([token_type::INPUT, token_type::OUTPUT], ["input", "output"]);
        assert_eq!(
            [
                operation::CHAT,
                operation::TEXT_COMPLETION,
                operation::EMBEDDINGS
            ],
            ["chat", "text_completion", "embeddings"]
        );
        assert_eq!(
            [operation::EXECUTE_TOOL, operation::INVOKE_AGENT],
            ["execute_tool", "invoke_agent"]
        );
    }
}
