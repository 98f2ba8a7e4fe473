//! The runtime foundation of `#[llm_call]`: the OpenTelemetry GenAI semantic-convention names
//! ([`semconv`]), token usage read from provider responses and streams ([`usage`]), and the cost
//! of a call from a pricing table the user loads ([`pricing`]).
//!
//! A dated default price table ships as a data file ([`Pricing::bundled`]); users override its
//! entries or replace it. With the `async-openai` feature, the `async_openai` module reads usage from that
//! crate's response and stream chunk types.

#[cfg(feature = "async-openai")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-openai")))]
pub mod async_openai;
pub mod pricing;
pub mod semconv;
pub mod usage;

pub use pricing::{
    Cost, ModelPrice, PriceDate, Prices, Pricing, PricingError, Problem, Tier, TokenKind,
    TokenKinds,
};
pub use usage::{AnthropicJson, HasUsage, JsonShape, OpenAiJson, ResponseSummary, Usage};
