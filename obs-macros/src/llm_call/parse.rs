//! Parsing `#[llm_call(...)]` arguments: every argument of `#[observed]` (flattened in), and the
//! GenAI ones. Which values must be literals is checked in `validate`, so the message can say why.
//!
//! ```text
//! #[llm_call(
//!     provider = "openai",                     // gen_ai.provider.name: a string literal (required)
//!     operation = "chat",                      // gen_ai.operation.name: a string literal (default "chat")
//!     model = req.model,                       // gen_ai.request.model: any `AsRef<str>` (required)
//!     usage = OpenAiJson,                      // a view of the response (or `Ok` value, or chunk)
//!                                              // implementing `HasUsage`; default: the value itself
//!     input = expr,                            // content: a `HasMessages` view of the request
//!     output = OpenAiJson,                     // content: a `HasMessages` view of the response
//!                                              // (a stream: a `HasDeltas` view of each chunk)
//!     capture = "span_only",                   // content mode of this function (else the env's)
//!     server_address = expr, server_port = expr,
//!     temperature = expr, top_p = expr, max_tokens = expr, seed = expr, stop_sequences = expr,
//!     <the arguments of #[observed]>,
//! )]
//! ```

use darling::FromMeta;
use proc_macro2::TokenStream;

use crate::attr::{Keyed, RawExpr};
use crate::errors::Errors;
use crate::observed::parse::{Args as Observed, parse_as};

/// `#[llm_call(...)]`.
#[derive(FromMeta)]
pub struct Args {
    #[darling(flatten)]
    pub observed: Observed,
    pub provider: Option<Keyed<RawExpr>>,
    pub operation: Option<Keyed<RawExpr>>,
    pub model: Option<Keyed<RawExpr>>,
    pub usage: Option<Keyed<RawExpr>>,
    pub capture: Option<Keyed<syn::LitStr>>,
    pub input: Option<Keyed<RawExpr>>,
    pub output: Option<Keyed<RawExpr>>,
    pub server_address: Option<Keyed<RawExpr>>,
    pub server_port: Option<Keyed<RawExpr>>,
    pub temperature: Option<Keyed<RawExpr>>,
    pub top_p: Option<Keyed<RawExpr>>,
    pub max_tokens: Option<Keyed<RawExpr>>,
    pub seed: Option<Keyed<RawExpr>>,
    pub stop_sequences: Option<Keyed<RawExpr>>,
}

impl Args {
    /// The request parameters given, with the span attribute each is recorded as (a constant of
    /// `semconv::attr`).
    pub fn request_params(&self) -> impl Iterator<Item = (&'static str, &Keyed<RawExpr>)> {
        [
            ("SERVER_ADDRESS", &self.server_address),
            ("SERVER_PORT", &self.server_port),
            ("REQUEST_TEMPERATURE", &self.temperature),
            ("REQUEST_TOP_P", &self.top_p),
            ("REQUEST_MAX_TOKENS", &self.max_tokens),
            ("REQUEST_SEED", &self.seed),
            ("REQUEST_STOP_SEQUENCES", &self.stop_sequences),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.as_ref()?)))
    }
}

/// Parses the arguments, collecting every error.
pub fn parse(attr: TokenStream, errors: &mut Errors) -> Option<Args> {
    parse_as::<Args>(attr, errors, |args| &mut args.observed)
}
