//! The runtime of `#[llm_call]`: the OpenTelemetry GenAI semantic-convention names
//! ([`semconv`]), token usage read from provider responses and streams ([`usage`]), the cost of
//! a call from a pricing table ([`pricing`]), message content captured redacted and truncated,
//! off by default ([`content`]), and what each call records ([`LlmSite`], the GenAI families in
//! [`llm_families`]).
//!
//! Prices come from the table given to [`set_pricing`], or else the dated default table shipped
//! as a data file ([`Pricing::bundled`]); a call whose model has no price records no cost, and is
//! counted in `obs_llm_unpriced_calls_total`. With the `async-openai` feature, the
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
mod site;
pub mod usage;

pub use call::{
    COST_ATTRIBUTE, ERROR_TYPE_CANCELLED, ERROR_TYPE_PANIC, LIST_ATTRIBUTES, LlmCall, LlmItems,
    OkOfOther, OkOfResult, OkProbe, Recording, RequestValue, record_request,
};
pub use content::{
    CaptureMode, Captured, ContentCapture, ContentError, HasMessages, Redactor, RuleRedactor,
};
pub use families::llm_families;
pub use pricing::{
    Cost, ModelPrice, PriceDate, Prices, Pricing, PricingError, Problem, Tier, TokenKind,
    TokenKinds,
};
pub use rows::{TOKENS_PER_SECOND_BUCKETS, pricing, set_pricing};
pub use site::{LlmSite, MODELS_PER_SITE};
pub use usage::{AnthropicJson, HasUsage, JsonShape, OpenAiJson, ResponseSummary, Usage};
