//! Parsing `#[observed(...)]` arguments: the shared ones (`crate::attr::Common`) and those of
//! `#[observed]` alone. Shape errors (a value of the wrong kind, an unknown or repeated argument)
//! are reported here; every rule about which arguments may be combined lives in `validate`.
//!
//! ```text
//! #[observed(
//!     <the shared arguments, see crate::attr>,
//!     stream, error_kind,
//!     buckets(0.1, 1, 10, 60, 300),            // the latency histogram's bounds, in seconds
//!     duration = GROUP.histogram_family,       // also record into the user's own families,
//!     calls = GROUP.counter_family,            // whose last label is `Outcome`,
//!     labels(expr, expr),                      // with these label values (evaluated at the call)
//! )]
//! ```

use darling::FromMeta;
use proc_macro2::TokenStream;

use crate::attr::{self, Common, Keyed};
use crate::buckets::Buckets;
use crate::errors::Errors;

/// `#[observed(...)]`.
#[derive(FromMeta)]
pub struct Args {
    #[darling(flatten)]
    pub common: Common,
    pub stream: Option<Keyed<()>>,
    pub error_kind: Option<Keyed<()>>,
    /// `buckets(...)`, parsed by hand: its bounds may be negated literals.
    #[darling(skip)]
    pub buckets: Option<Keyed<Buckets>>,
    pub duration: Option<Keyed<syn::Expr>>,
    pub calls: Option<Keyed<syn::Expr>>,
    /// `labels(expr, ...)`, parsed by hand: its values are expressions.
    #[darling(skip)]
    pub labels: Option<Keyed<Vec<syn::Expr>>>,
}

/// Parses the arguments, collecting every error.
pub fn parse(attr: TokenStream, errors: &mut Errors) -> Option<Args> {
    parse_as::<Args>(attr, errors, |args| args)
}

/// Parses the arguments of an attribute built on `#[observed]`, whose own arguments `T` flatten
/// in [`Args`] (reached through `observed`), collecting every error.
pub fn parse_as<T: FromMeta>(
    attr: TokenStream,
    errors: &mut Errors,
    observed: impl Fn(&mut T) -> &mut Args,
) -> Option<T> {
    parse_with(attr, errors, observed, &[]).map(|(parsed, _)| parsed)
}

/// [`parse_as`], for an attribute that gives the arguments `own` (written `key(...)`) a meaning
/// of its own: they are returned as written, for it to parse.
pub fn parse_with<T: FromMeta>(
    attr: TokenStream,
    errors: &mut Errors,
    observed: impl Fn(&mut T) -> &mut Args,
    own: &[&str],
) -> Option<(T, Vec<attr::HandParsed>)> {
    let by_hand: Vec<&str> = own
        .iter()
        .chain(&["fields", "labels", "buckets"])
        .copied()
        .collect();
    let (mut parsed, taken) = attr::parse::<T>(attr, &by_hand, errors)?;
    let args = observed(&mut parsed);
    let mut theirs = Vec::new();
    for hand in taken {
        if own.iter().any(|name| hand.key == name) {
            theirs.push(hand);
            continue;
        }
        let (key, tokens) = (hand.key, hand.tokens);
        if key == "fields" {
            args.common.fields = Some(Keyed { key, value: tokens });
            continue;
        }
        let Some(exprs) = errors.handle(attr::exprs(tokens)) else {
            continue;
        };
        if key == "labels" {
            args.labels = Some(Keyed { key, value: exprs });
        } else if let Some(bounds) = errors.handle(crate::buckets::values(&exprs)) {
            // Errors about the whole list point at its key.
            let attr = quote::ToTokens::to_token_stream(&key);
            args.buckets = Some(Keyed {
                key,
                value: Buckets { attr, bounds },
            });
        }
    }
    Some((parsed, theirs))
}
