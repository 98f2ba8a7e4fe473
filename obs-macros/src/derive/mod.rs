//! The two derives over enums, `LabelValue` and `ErrorKind`, on one scaffold: both read a
//! `crate = "..."` option on the enum and a `rename = "..."` per variant, name each variant in
//! snake_case otherwise, refuse an enum without variants and two variants with one name, and
//! implement one runtime trait. Each derive adds only its own rules and its expansion.

use darling::{FromAttributes, FromDeriveInput};
use proc_macro2::{Span, TokenStream};
use syn::{Data, DeriveInput, Fields, Ident};

use crate::errors::Errors;
use crate::naming::{find_duplicate, snake_case};

/// What distinguishes one derive from the other in the shared rules.
pub struct Spec {
    /// The helper attribute, `label`.
    pub attr: &'static str,
    /// How errors name a variant's string: "expose the label value", "have the kind".
    pub verb: &'static str,
    /// The error for a struct or union.
    pub not_an_enum: &'static str,
    /// The error for an enum without variants.
    pub no_variants: &'static str,
}

/// The enum-level options (`#[label(crate = "...")]`).
pub trait EnumOptions: FromDeriveInput {
    /// The path of the runtime crate, for a renamed dependency.
    fn krate(&self) -> Option<&syn::Path>;
}

/// The variant-level options (`#[label(rename = "...")]`).
pub trait VariantOptions: FromAttributes {
    /// The name to use instead of the variant's in snake_case.
    fn rename(self) -> Option<syn::LitStr>;
}

/// Declares a derive's darling option structs, `EnumOptions` (`#[attr(crate = "...")]` on the
/// enum) and `VariantOptions` (`#[attr(rename = "...")]` on a variant), for its helper attribute.
macro_rules! options {
    ($attr:ident) => {
        #[doc = concat!("`#[", stringify!($attr), "(crate = \"...\")]` on the enum.")]
        #[derive(darling::FromDeriveInput)]
        #[darling(attributes($attr), forward_attrs())]
        pub struct EnumOptions {
            /// Path of the runtime crate, for renamed dependencies.
            #[darling(rename = "crate")]
            krate: Option<syn::Path>,
        }

        #[doc = concat!("`#[", stringify!($attr), "(rename = \"...\")]` on a variant.")]
        #[derive(Default, darling::FromAttributes)]
        #[darling(attributes($attr))]
        pub struct VariantOptions {
            /// The name to use instead of the variant's in snake_case.
            rename: Option<syn::LitStr>,
        }

        impl super::EnumOptions for EnumOptions {
            fn krate(&self) -> Option<&syn::Path> {
                self.krate.as_ref()
            }
        }

        impl super::VariantOptions for VariantOptions {
            fn rename(self) -> Option<syn::LitStr> {
                self.rename
            }
        }
    };
}

pub mod error_kind;
pub mod label_value;

/// A variant and the string it stands for.
pub struct Variant<'a> {
    pub ident: &'a Ident,
    pub fields: &'a Fields,
    pub name: String,
    /// Where the name was written: the `rename` literal, or the variant.
    pub span: Span,
}

/// The enum, parsed and checked against the shared rules.
pub struct Derived<'a> {
    pub input: &'a DeriveInput,
    /// The runtime crate's path.
    pub krate: TokenStream,
    pub variants: Vec<Variant<'a>>,
}

/// Parses `input` for the derive `spec`, collecting every error of the shared rules.
pub fn parse<'a, O: EnumOptions, V: VariantOptions>(
    input: &'a DeriveInput,
    spec: &Spec,
    errors: &mut Errors,
) -> Option<Derived<'a>> {
    let options = errors.handle(O::from_derive_input(input));
    let data = match &input.data {
        Data::Enum(data) => data,
        Data::Struct(s) => {
            errors.push(s.struct_token.span, spec.not_an_enum);
            return None;
        }
        Data::Union(u) => {
            errors.push(u.union_token.span, spec.not_an_enum);
            return None;
        }
    };
    if data.variants.is_empty() {
        errors.push(input.ident.span(), spec.no_variants);
    }
    let variants: Vec<Variant> = data
        .variants
        .iter()
        .filter_map(|v| {
            let rename = errors.handle(V::from_attributes(&v.attrs))?.rename();
            let (name, span) = match rename {
                Some(lit) => (lit.value(), lit.span()),
                None => (snake_case(&v.ident.to_string()), v.ident.span()),
            };
            Some(Variant {
                ident: &v.ident,
                fields: &v.fields,
                name,
                span,
            })
        })
        .collect();
    let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    if let Some((i, j)) = find_duplicate(&names) {
        let (first, second) = (&variants[i], &variants[j]);
        errors.push(
            second.span,
            format!(
                "variants `{}` and `{}` both {} \"{}\"; give one a distinct `#[{}(rename = \"...\")]`",
                first.ident, second.ident, spec.verb, second.name, spec.attr
            ),
        );
    }
    Some(Derived {
        input,
        krate: crate::runtime_path(options.as_ref().and_then(EnumOptions::krate)),
        variants,
    })
}

/// Runs a derive: parse with the shared rules, the derive's own `check`, then `expand`; on any
/// error, every error and nothing else.
pub fn run<O: EnumOptions, V: VariantOptions>(
    input: TokenStream,
    spec: &Spec,
    check: fn(&Derived, &mut Errors),
    expand: fn(&Derived) -> TokenStream,
) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::new();
    let derived = parse::<O, V>(&input, spec, &mut errors);
    if let Some(derived) = &derived {
        check(derived, &mut errors);
    }
    match (errors.finish(), derived) {
        (Ok(()), Some(derived)) => expand(&derived),
        (Err(e), _) => e.to_compile_error(),
        (Ok(()), None) => unreachable!("parse returns nothing only with an error"),
    }
}
