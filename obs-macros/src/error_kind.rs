//! `#[derive(ErrorKind)]` for error enums: one kind per variant (fields allowed), named in
//! snake_case unless renamed with `#[error_kind(rename = "...")]`. Parse, validate, expand.

use darling::{FromAttributes, FromDeriveInput};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput};

use crate::naming::{find_duplicate, snake_case};

/// `#[error_kind(...)]` on the enum.
#[derive(FromDeriveInput)]
#[darling(attributes(error_kind), forward_attrs())]
struct EnumOptions {
    /// Path of the runtime crate, for renamed dependencies.
    #[darling(rename = "crate")]
    krate: Option<syn::Path>,
}

/// `#[error_kind(...)]` on a variant.
#[derive(Default, FromAttributes)]
#[darling(attributes(error_kind))]
struct VariantOptions {
    /// The kind's name, instead of the variant name in snake_case.
    rename: Option<syn::LitStr>,
}

/// Expands the derive, or returns the errors.
pub fn derive(input: DeriveInput) -> TokenStream {
    match parse(&input).and_then(|(options, kinds)| {
        validate(&input, &kinds)?;
        Ok(expand(&input, options, &kinds))
    }) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

/// A variant and its kind name (with the tokens to point errors at).
type Kind = (syn::Ident, String, TokenStream);

fn parse(input: &DeriveInput) -> syn::Result<(EnumOptions, Vec<Kind>)> {
    let options = EnumOptions::from_derive_input(input)?;
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "`ErrorKind` can only be derived for enums (one kind per variant); for another error \
             type, implement `obs_runtime::observed::ErrorKind` by hand",
        ));
    };
    data.variants
        .iter()
        .map(|v| {
            let opts = VariantOptions::from_attributes(&v.attrs)?;
            Ok(match opts.rename {
                Some(lit) => (v.ident.clone(), lit.value(), quote!(#lit)),
                None => {
                    let ident = &v.ident;
                    (
                        v.ident.clone(),
                        snake_case(&ident.to_string()),
                        quote!(#ident),
                    )
                }
            })
        })
        .collect::<syn::Result<_>>()
        .map(|kinds| (options, kinds))
}

fn validate(input: &DeriveInput, kinds: &[Kind]) -> syn::Result<()> {
    if kinds.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "`ErrorKind` needs at least one variant",
        ));
    }
    let names: Vec<&str> = kinds.iter().map(|(_, name, _)| name.as_str()).collect();
    if let Some((i, j)) = find_duplicate(&names) {
        return Err(syn::Error::new_spanned(
            &kinds[j].2,
            format!(
                "variants `{}` and `{}` both have the kind \"{}\"; give one a distinct `#[error_kind(rename = \"...\")]`",
                kinds[i].0, kinds[j].0, kinds[j].1
            ),
        ));
    }
    Ok(())
}

fn expand(input: &DeriveInput, options: EnumOptions, kinds: &[Kind]) -> TokenStream {
    let krate = crate::runtime_path(options.krate.as_ref());
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let names = kinds.iter().map(|(_, name, _)| name);
    let arms = kinds
        .iter()
        .enumerate()
        .map(|(i, (variant, _, _))| quote!(Self::#variant { .. } => #i));
    quote! {
        impl #impl_generics #krate::__private::ErrorKind for #ident #ty_generics #where_clause {
            const KINDS: &'static [&'static str] = &[#(#names),*];
            fn kind_index(&self) -> usize {
                match self { #(#arms,)* }
            }
        }
    }
}
