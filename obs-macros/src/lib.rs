//! Procedural macros of `obs`. Use them through `obs_runtime`, which re-exports them.
//!
//! Each macro keeps three stages apart: **parse** the input into a small AST, **validate** it
//! (every rule that rejects input, each with a span-accurate error naming the fix), **expand** it.

#![deny(missing_docs)]

mod label_value;
mod metrics;
mod naming;

use proc_macro::TokenStream;

/// Declares groups of statically-typed metric families. See `obs_runtime` for the syntax.
#[proc_macro]
pub fn metrics(input: TokenStream) -> TokenStream {
    metrics::metrics(input.into()).into()
}

/// Derives `LabelValue` for a fieldless enum: one label value per variant, in snake_case unless
/// renamed with `#[label(rename = "...")]`.
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    match syn::parse(input) {
        Ok(input) => label_value::derive(input).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The path generated code uses for the runtime crate: `::obs_runtime`, or the `crate = "..."`
/// a user gave for a renamed dependency.
fn runtime_path(krate: Option<&syn::Path>) -> proc_macro2::TokenStream {
    match krate {
        Some(path) => quote::quote!(#path),
        None => quote::quote!(::obs_runtime),
    }
}
