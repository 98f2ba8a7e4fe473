//! `#[llm_call]` and its runtime: `#[observed]` plus what a call to a model should record,
//! following the OpenTelemetry GenAI semantic conventions.
//!
//! ```
//! use obs_runtime::llm::OpenAiJson;
//! use obs_runtime::llm_call;
//!
//! #[llm_call(provider = "openai", model = model, usage = OpenAiJson, temperature = 0.2)]
//! async fn complete(model: &str, prompt: &str) -> std::io::Result<serde_json::Value> {
//!     // ... send the request; the response's usage is read through `OpenAiJson`.
//!     Ok(serde_json::json!({"model": model, "usage": {"prompt_tokens": 12, "completion_tokens": 3}}))
//! }
//! ```
//!
//! Each call gets:
//!
//! - a span (kind `client`) named `{operation} {model}` (its `otel.name`), with
//!   `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`, `server.*` and the
//!   request parameters given; when it ends, `gen_ai.response.model` / `id` / `finish_reasons`,
//!   `gen_ai.usage.*` (a count the provider did not send stays absent, never 0),
//!   `gen_ai.response.time_to_first_chunk` for streams, `obs.llm.cost_usd`, and on failure
//!   `error.type` (the error's [`ErrorKind`](crate::ErrorKind) with `error_kind`, else `_OTHER`;
//!   `panic`; `cancelled` for a dropped future or stream, whose span status stays unset);
//! - the GenAI families ([`llm_families`]): `gen_ai.client.operation.duration`,
//!   `gen_ai.client.token.usage`, and for streams `...time_to_first_chunk` and
//!   `...time_per_output_chunk`, under their Prometheus names and pushed over OTLP under their
//!   semantic names, units and attribute keys; our own cost, tokens per second, calls without
//!   usage and unpriced calls. The model is a bounded label ([`MODELS_PER_SITE`] per function,
//!   then an overflow series);
//! - the `obs_function_*` families, as `#[observed]` records them (`metrics = false` turns those
//!   off, not the GenAI families).
//!
//! A stream (`stream`, on a function returning `impl Stream`) is timed chunk by chunk on a
//! monotonic clock; its usage is read from every chunk (counts so far, merged: OpenAI's final
//! `include_usage` chunk, Anthropic's `message_start` and `message_delta` events), and its call
//! ends exactly once: when the stream ends (`ok`), yields an `Err` (`error`), or is dropped first
//! (`cancelled`, with the usage and cost of what was received).
//!
//! | argument | effect |
//! |---|---|
//! | `provider = "openai"` | `gen_ai.provider.name`, a string literal (required) |
//! | `model = expr` | `gen_ai.request.model`, any `AsRef<str>` (required); an id-like expression is rejected |
//! | `operation = "chat"` | `gen_ai.operation.name`, a string literal (default `chat`) |
//! | `usage = View` | read usage from `View(&value)` ([`OpenAiJson`], [`AnthropicJson`], or your own [`HasUsage`] type); default: the value itself implements [`HasUsage`]. The `Ok` value of a `Result`, or each stream item's |
//! | `server_address`, `server_port`, `temperature`, `top_p`, `max_tokens`, `seed`, `stop_sequences` | request attributes on the span ([`RequestValue`]: numbers, strings, `Option`s, lists) |
//! | `input = view`, `output = View`, `capture = "span_only"` | content capture ([`content`]): a [`HasMessages`] view of the request (evaluated when the call starts) and of the response (for a stream, a [`HasDeltas`] view of each chunk, joined per choice); the mode for this function (default: `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, off) |
//! | `stream`, `error_kind`, `buckets(...)`, `name`, `level`, `target`, `kind`, `record(...)`, `fields(...)`, `ret`, `err`, `span`, `metrics`, `crate` | as in [`#[observed]`](mod@crate::observed) (`kind` defaults to `client`) |
//!
//! Prices come from the table given to [`set_pricing`], or else the dated default table shipped
//! as a data file ([`Pricing::bundled`]); a call whose model has no price records no cost, and is
//! counted in `obs_llm_unpriced_calls_total`; a call of a priced model that used a kind of token
//! the model's entry has no price for (cache writes, say) records the cost of the other kinds,
//! and is counted in `obs_llm_partially_priced_calls_total` by that kind. With the `async-openai` feature, the
//! `async_openai` module reads usage from that crate's response and stream chunk types.

#[cfg(feature = "async-openai")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-openai")))]
pub mod async_openai;
mod call;
pub mod content;
mod families;
pub mod pricing;
mod rows;
pub mod semconv;
mod shard;
mod site;
pub mod usage;

pub use call::{
    COST_ATTRIBUTE, ERROR_TYPE_CANCELLED, ERROR_TYPE_PANIC, ItemErrorKind, LIST_ATTRIBUTES,
    LlmCall, LlmItems, NoErrorKind, OkOfOther, OkOfResult, OkProbe, Recording, RequestValue,
    record_request,
};
pub use content::{
    CaptureMode, Captured, ContentCapture, ContentError, Delta, HasDeltas, HasMessages, Redactor,
    RuleRedactor,
};
pub use families::llm_families;
pub use pricing::{
    Cost, ModelPrice, PriceDate, Prices, Pricing, PricingError, Problem, Tier, TokenKind,
    TokenKinds,
};
pub use rows::{TOKENS_PER_SECOND_BUCKETS, pricing, set_pricing};
pub use site::{LlmSite, MODELS_PER_SITE};
pub use usage::{
    AnthropicJson, HasUsage, JsonShape, OpenAiJson, ResponseDetails, ResponseSummary, Usage,
};
