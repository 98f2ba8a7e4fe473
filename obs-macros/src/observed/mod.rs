//! `#[observed]`: parse, validate, expand, over the shared function wrapper.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

use crate::wrap::Function;

/// Runs the three stages. When the function itself does not parse, it is emitted unchanged
/// next to the error, so the user sees the real problem in their code.
pub fn observed(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func: Function = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            let error = e.to_compile_error();
            return quote::quote!(#item #error);
        }
    };
    let args = match syn::parse2::<parse::Args>(attr) {
        Ok(args) => args,
        Err(e) => return with_error(&func, e),
    };
    if let Err(e) = validate::validate(&args, &func) {
        return with_error(&func, e);
    }
    expand::expand(&args, &func)
}

/// The function as written, plus the error: one diagnostic, no cascade of follow-on errors.
fn with_error(func: &Function, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    let unchanged = func.with_body(func.body.stream());
    quote::quote!(#unchanged #error)
}
