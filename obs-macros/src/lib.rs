//! Procedural macros of `obs`: `metrics!` schemas, the `#[observed]`, `#[llm_call]` and
//! `#[audited]` attributes and the `LabelValue` / `ErrorKind` derives. Use them through
//! `obs_runtime`, which re-exports them.
//!
//! Each macro keeps three stages apart: **parse** the input into a small AST, **validate** it
//! (every rule that rejects input, each with a span-accurate error naming the fix), **expand** it.
//! Every error goes to one accumulator (`errors.rs`), so one build reports all of them. The
//! attribute macros share their arguments (`attr.rs`, parsed on darling) and one function
//! wrapper (`wrap.rs`): an attribute describes what it adds as a `Layer`, and `wrap` emits the
//! body for the function's shape (sync, `async fn`, returns a future, boxed future, stream).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod attr;
mod audited;
mod buckets;
mod derive;
mod errors;
mod llm_call;
mod metrics;
mod naming;
mod observed;
mod wrap;

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
    use derive::label_value::{EnumOptions, SPEC, VariantOptions, check, expand};
    derive::run::<EnumOptions, VariantOptions>(input.into(), &SPEC, check, expand).into()
}

/// Derives `ErrorKind` for an error enum: one kind per variant, in snake_case unless renamed with
/// `#[error_kind(rename = "...")]`; the bounded `kind` label of `#[observed(error_kind)]`.
#[proc_macro_derive(ErrorKind, attributes(error_kind))]
pub fn derive_error_kind(input: TokenStream) -> TokenStream {
    use derive::error_kind::{EnumOptions, SPEC, VariantOptions, check, expand};
    derive::run::<EnumOptions, VariantOptions>(input.into(), &SPEC, check, expand).into()
}

/// Observes a function: a `tracing` span per call and per-function call, latency, error and
/// in-flight metrics, each call counted once by outcome (`ok`, `error`, `panic`, `cancelled`).
/// See `obs_runtime::observed` for the arguments.
#[proc_macro_attribute]
pub fn observed(attr: TokenStream, item: TokenStream) -> TokenStream {
    observed::observed(attr.into(), item.into()).into()
}

/// Records a call to an LLM: `#[observed]` plus a span following the OpenTelemetry GenAI
/// conventions, and the GenAI families (duration, tokens, time to first chunk and per chunk,
/// cost). See `obs_runtime::llm` for the arguments.
#[proc_macro_attribute]
pub fn llm_call(attr: TokenStream, item: TokenStream) -> TokenStream {
    llm_call::llm_call(attr.into(), item.into()).into()
}

/// Audits a function: `#[observed]` plus one tamper-evident audit event per call, on every exit
/// path (success, failure, panic, cancellation), with the actor, resource and chosen fields
/// (redacted or hashed where asked), written durably before the call returns unless
/// `mode = "buffered"`. See `obs_runtime::audited` for the arguments.
#[proc_macro_attribute]
pub fn audited(attr: TokenStream, item: TokenStream) -> TokenStream {
    audited::audited(attr.into(), item.into()).into()
}

/// The path generated code uses for the runtime crate: `::obs_runtime`, or the `crate = "..."`
/// a user gave for a renamed dependency.
fn runtime_path(krate: Option<&syn::Path>) -> proc_macro2::TokenStream {
    match krate {
        Some(path) => quote::quote!(#path),
        None => quote::quote!(::obs_runtime),
    }
}
