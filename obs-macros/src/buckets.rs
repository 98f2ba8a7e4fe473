//! Histogram bucket bounds written in an attribute (`#[buckets(...)]` in `metrics!`,
//! `buckets(...)` in `#[observed]`): parsed and checked the same way everywhere.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, ExprLit, ExprUnary, Lit, UnOp};

use crate::errors::Errors;

/// Bucket bounds, with the tokens each came from (for errors spanning them).
pub struct Buckets {
    /// The whole attribute or argument, for an error about all of it.
    pub attr: TokenStream,
    pub bounds: Vec<(f64, TokenStream)>,
}

/// The values of number literals, optionally negated.
pub fn values<'a>(
    exprs: impl IntoIterator<Item = &'a Expr>,
) -> syn::Result<Vec<(f64, TokenStream)>> {
    exprs
        .into_iter()
        .map(|expr| Ok((value(expr)?, expr.to_token_stream())))
        .collect()
}

fn value(expr: &Expr) -> syn::Result<f64> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Float(f) => f.base10_parse(),
            Lit::Int(i) => i.base10_parse::<f64>(),
            _ => Err(syn::Error::new_spanned(
                lit,
                "a bucket boundary must be a number literal",
            )),
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => value(expr).map(|v| -v),
        other => Err(syn::Error::new_spanned(
            other,
            "a bucket boundary must be a number literal such as `0.25` or `10`",
        )),
    }
}

/// Non-empty, finite and strictly increasing; `what` names the attribute in messages.
pub fn check(buckets: &Buckets, what: &str, errors: &mut Errors) {
    if buckets.bounds.is_empty() {
        errors.push_spanned(
            &buckets.attr,
            format!(
                "{what} is empty; give at least one upper bound, or remove it for the default buckets"
            ),
        );
        return;
    }
    for (value, tokens) in &buckets.bounds {
        if !value.is_finite() {
            errors.push_spanned(
                tokens,
                "bucket boundaries must be finite; `+Inf` is always added as the last bucket",
            );
        }
    }
    for pair in buckets.bounds.windows(2) {
        let ((prev, _), (next, tokens)) = (&pair[0], &pair[1]);
        if prev.is_finite() && next.is_finite() && next <= prev {
            errors.push_spanned(
                tokens,
                format!("bucket boundaries must strictly increase: {next} follows {prev}"),
            );
        }
    }
}
