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
//!     server_address = expr, server_port = expr,
//!     temperature = expr, top_p = expr, max_tokens = expr, seed = expr, stop_sequences = expr,
//!     <the arguments of #[observed]>,
//! )]
//! ```

use darling::FromMeta;
use proc_macro2::TokenStream;

use crate::attr::Keyed;
use crate::errors::Errors;
use crate::observed::parse::{Args as Observed, parse_as};

/// `#[llm_call(...)]`.
#[derive(FromMeta)]
pub struct Args {
    #[darling(flatten)]
    pub observed: Observed,
    pub provider: Option<Keyed<syn::Expr>>,
    pub operation: Option<Keyed<syn::Expr>>,
    pub model: Option<Keyed<syn::Expr>>,
    pub usage: Option<Keyed<syn::Expr>>,
    pub server_address: Option<Keyed<syn::Expr>>,
    pub server_port: Option<Keyed<syn::Expr>>,
    pub temperature: Option<Keyed<syn::Expr>>,
    pub top_p: Option<Keyed<syn::Expr>>,
    pub max_tokens: Option<Keyed<syn::Expr>>,
    pub seed: Option<Keyed<syn::Expr>>,
    pub stop_sequences: Option<Keyed<syn::Expr>>,
}

impl Args {
    /// The request parameters given, with the span attribute each is recorded as (a constant of
    /// `semconv::attr`).
    pub fn request_params(&self) -> impl Iterator<Item = (&'static str, &Keyed<syn::Expr>)> {
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
