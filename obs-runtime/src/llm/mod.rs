//! The runtime foundation of `#[llm_call]`: the OpenTelemetry GenAI semantic-convention names
//! ([`semconv`]), token usage read from provider responses and streams ([`usage`]), and the cost
//! of a call from a pricing table the user loads ([`pricing`]).
//!
//! No price table ships with the crate: prices change, and a default table belongs in a dated data
//! file, not in code.

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
