//! `#[derive(LabelValue)]` for fieldless enums: parse, validate, expand.

use darling::{FromAttributes, FromDeriveInput};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident};

use crate::naming::{find_duplicate, snake_case};

/// `#[label(...)]` on the enum.
#[derive(FromDeriveInput)]
#[darling(attributes(label), forward_attrs())]
struct EnumOptions {
    /// Path of the runtime crate, for renamed dependencies.
    #[darling(rename = "crate")]
    krate: Option<syn::Path>,
}

/// `#[label(...)]` on a variant.
#[derive(Default, FromAttributes)]
#[darling(attributes(label))]
struct VariantOptions {
    /// The exposed value, instead of the variant name in snake_case.
    rename: Option<syn::LitStr>,
}

/// A parsed variant: its name and exposed value.
struct Variant {
    ident: Ident,
    value: String,
    span: Span,
}

/// Expands the derive, or returns the errors.
pub fn derive(input: DeriveInput) -> TokenStream {
    match parse(&input).and_then(|(options, variants)| {
        validate(&input, &variants)?;
        Ok(expand(&input, options, &variants))
    }) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn parse(input: &DeriveInput) -> syn::Result<(EnumOptions, Vec<Variant>)> {
    let options = EnumOptions::from_derive_input(input)?;
    let data = match &input.data {
        Data::Enum(data) => data,
        Data::Struct(s) => {
            return Err(syn::Error::new(
                s.struct_token.span,
                "`LabelValue` can only be derived for fieldless enums: a struct's values are not a fixed set; \
                 use an enum with one variant per value, or `Bounded<N>` for run-time strings",
            ));
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "`LabelValue` can only be derived for fieldless enums",
            ));
        }
    };
    let mut variants = Vec::new();
    let mut errors: Option<syn::Error> = None;
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            let e = syn::Error::new_spanned(
                &variant.fields,
                format!(
                    "`LabelValue` needs a fieldless enum, but variant `{}` has fields: a label value must come from a fixed set; \
                     remove the fields, or record the data as a span attribute",
                    variant.ident
                ),
            );
            match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            }
            continue;
        }
        let opts = VariantOptions::from_attributes(&variant.attrs)?;
        let (value, span) = match opts.rename {
            Some(lit) => (lit.value(), lit.span()),
            None => (snake_case(&variant.ident.to_string()), variant.ident.span()),
        };
        variants.push(Variant {
            ident: variant.ident.clone(),
            value,
            span,
        });
    }
    match errors {
        Some(e) => Err(e),
        None => Ok((options, variants)),
    }
}

fn validate(input: &DeriveInput, variants: &[Variant]) -> syn::Result<()> {
    if variants.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "`LabelValue` needs at least one variant: an enum without variants has no label values",
        ));
    }
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "`LabelValue` cannot be derived for a generic enum: its values must be one fixed set; remove the generic parameters",
        ));
    }
    if let Some(v) = variants.iter().find(|v| v.value.is_empty()) {
        return Err(syn::Error::new(
            v.span,
            "a label value cannot be empty: Prometheus treats an empty value as an absent label",
        ));
    }
    let values: Vec<&str> = variants.iter().map(|v| v.value.as_str()).collect();
    if let Some((i, j)) = find_duplicate(&values) {
        let (first, v) = (&variants[i].ident, &variants[j]);
        return Err(syn::Error::new(
            v.span,
            format!(
                "variants `{first}` and `{}` both expose the label value \"{}\"; give one a distinct `#[label(rename = \"...\")]`",
                v.ident, v.value
            ),
        ));
    }
    Ok(())
}

fn expand(input: &DeriveInput, options: EnumOptions, variants: &[Variant]) -> TokenStream {
    let krate = crate::runtime_path(options.krate.as_ref());
    let ident = &input.ident;
    let count = variants.len();
    let values = variants.iter().map(|v| &v.value);
    let arms = variants.iter().enumerate().map(|(i, v)| {
        let variant = &v.ident;
        quote!(Self::#variant => #i)
    });
    quote! {
        impl #krate::__private::LabelValue for #ident {
            const CARDINALITY: usize = #count;
            const VALUES: &'static [&'static str] = &[#(#values),*];
            #[inline(always)]
            fn index(self) -> usize {
                match self { #(#arms,)* }
            }
        }
    }
}
