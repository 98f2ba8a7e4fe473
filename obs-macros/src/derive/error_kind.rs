//! `#[derive(ErrorKind)]` for error enums: one kind per variant (fields allowed), the bounded
//! `kind` label of `#[observed(error_kind)]`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Derived, Spec};
use crate::errors::Errors;

/// The shared rules' wording for this derive.
pub const SPEC: Spec = Spec {
    attr: "error_kind",
    verb: "have the kind",
    not_an_enum: "`ErrorKind` can only be derived for enums (one kind per variant); for another \
                  error type, implement `obs_runtime::observed::ErrorKind` by hand",
    no_variants: "`ErrorKind` needs at least one variant",
};

options!(error_kind);

/// No rules beyond the shared ones: variants may have fields, the enum may be generic.
pub fn check(_: &Derived, _: &mut Errors) {}

/// `impl ErrorKind`.
pub fn expand(derived: &Derived) -> TokenStream {
    let Derived {
        input,
        krate,
        variants,
    } = derived;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let names = variants.iter().map(|v| &v.name);
    let arms = variants.iter().enumerate().map(|(i, v)| {
        let variant = v.ident;
        quote!(Self::#variant { .. } => #i)
    });
    quote! {
        impl #impl_generics #krate::__private::ErrorKind for #ident #ty_generics #where_clause {
            const KINDS: &'static [&'static str] = &[#(#names),*];
            fn kind_index(&self) -> usize {
                match self { #(#arms,)* }
            }
        }
    }
}
