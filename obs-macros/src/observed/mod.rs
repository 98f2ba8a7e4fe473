//! `#[observed]`: parse, validate, expand, over the shared function wrapper.

pub(crate) mod expand;
pub(crate) mod parse;
pub(crate) mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;
use crate::wrap::Function;

/// Runs the three stages. When the function itself does not parse, it is emitted unchanged
/// next to the error, so the user sees the real problem in their code; on any other error, the
/// function as written next to every error, so nothing cascades.
pub fn observed(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func: Function = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            let error = e.to_compile_error();
            return quote::quote!(#item #error);
        }
    };
    let mut errors = Errors::new();
    let args = parse::parse(attr, &mut errors);
    if let Some(args) = &args {
        validate::validate(args, &func, &mut errors);
    }
    match (errors.finish(), args) {
        (Ok(()), Some(args)) => expand::expand(&args, &func),
        (Err(e), _) => {
            let unchanged = func.unchanged();
            let error = e.to_compile_error();
            quote::quote!(#unchanged #error)
        }
        (Ok(()), None) => unreachable!("parse returns nothing only with an error"),
    }
}
