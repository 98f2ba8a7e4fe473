//! The runtime foundation of `#[llm_call]`: the OpenTelemetry GenAI semantic-convention names
//! ([`semconv`]), token usage read from provider responses and streams ([`usage`]), the cost
//! of a call from a pricing table the user loads ([`pricing`]), and message content captured
//! redacted and truncated, off by default ([`content`]).
//!
//! No price table ships with the crate: prices change, and a default table belongs in a dated data
//! file, not in code.

pub mod content;
pub mod pricing;
pub mod semconv;
pub mod usage;

pub use content::{
    CaptureMode, Captured, ContentCapture, ContentError, HasMessages, Redactor, RuleRedactor,
};
pub use pricing::{
    Cost, ModelPrice, PriceDate, Prices, Pricing, PricingError, Problem, Tier, TokenKind,
    TokenKinds,
};
pub use usage::{AnthropicJson, HasUsage, JsonShape, OpenAiJson, ResponseSummary, Usage};
