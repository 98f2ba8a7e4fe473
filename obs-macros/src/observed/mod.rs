//! `#[observed]`: parse, validate, expand, over the shared function wrapper.

pub(crate) mod expand;
pub(crate) mod parse;
pub(crate) mod validate;

use proc_macro2::TokenStream;

/// Runs the three stages (see `wrap::run_attribute`).
pub fn observed(attr: TokenStream, item: TokenStream) -> TokenStream {
    crate::wrap::run_attribute(attr, item, parse::parse, validate::validate, expand::expand)
}
