//! `metrics! { ... }`: parse, validate, expand.

mod expand;
mod parse;
mod validate;

pub(crate) use validate::is_entity_name;

use proc_macro2::TokenStream;

/// Runs the three stages over the macro input.
pub fn metrics(input: TokenStream) -> TokenStream {
    let schema: parse::Schema = match syn::parse2(input) {
        Ok(schema) => schema,
        Err(e) => return e.to_compile_error(),
    };
    if let Err(e) = validate::validate(&schema) {
        return e.to_compile_error();
    }
    expand::expand(&schema)
}
