//! `#[audited]`: `#[observed]` plus the audit layer (parse, validate, expand), over the shared
//! function wrapper.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

/// Runs the three stages (see `wrap::run_attribute`).
pub fn audited(attr: TokenStream, item: TokenStream) -> TokenStream {
    crate::wrap::run_attribute(attr, item, parse::parse, validate::validate, expand::expand)
}
