//! `#[derive(LabelValue)]` for fieldless enums: one label value per variant.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Fields;

use super::{Derived, Spec};
use crate::errors::Errors;

/// The shared rules' wording for this derive.
pub const SPEC: Spec = Spec {
    attr: "label",
    verb: "expose the label value",
    not_an_enum: "`LabelValue` can only be derived for fieldless enums: a struct's values are not \
                  a fixed set; use an enum with one variant per value, or `Bounded<N>` for \
                  run-time strings",
    no_variants: "`LabelValue` needs at least one variant: an enum without variants has no label \
                  values",
};

options!(label);

/// The rules of this derive beyond the shared ones.
pub fn check(derived: &Derived, errors: &mut Errors) {
    for v in &derived.variants {
        if !matches!(v.fields, Fields::Unit) {
            errors.push_spanned(
                v.fields,
                format!(
                    "`LabelValue` needs a fieldless enum, but variant `{}` has fields: a label \
                     value must come from a fixed set; remove the fields, or record the data as a \
                     span attribute",
                    v.ident
                ),
            );
        } else if v.name.is_empty() {
            errors.push(
                v.span,
                "a label value cannot be empty: Prometheus treats an empty value as an absent label",
            );
        }
    }
    let generics = &derived.input.generics;
    if !generics.params.is_empty() {
        errors.push_spanned(
            generics,
            "`LabelValue` cannot be derived for a generic enum: its values must be one fixed set; \
             remove the generic parameters",
        );
    }
}

/// `impl LabelValue`.
pub fn expand(derived: &Derived) -> TokenStream {
    let Derived {
        input,
        krate,
        variants,
    } = derived;
    let ident = &input.ident;
    let count = variants.len();
    let values = variants.iter().map(|v| &v.name);
    let arms = variants.iter().enumerate().map(|(i, v)| {
        let variant = v.ident;
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
