//! Code generation for a validated `metrics!` schema.
//!
//! Per group: a struct whose fields are the families, one label-set marker type per family (the
//! mixed-radix index is generated here so it const-folds), a `const` assertion of each family's
//! series limit, a `Collector` impl, and the `static`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt;

use super::parse::{Family, Group, Schema};
use crate::naming::pascal_case;

/// Default worst-case series limit of a family.
const DEFAULT_MAX_SERIES: usize = 10_000;

/// Expands every group.
pub fn expand(schema: &Schema) -> TokenStream {
    schema.groups.iter().map(expand_group).collect()
}

fn expand_group(group: &Group) -> TokenStream {
    let krate = crate::runtime_path(group.options.krate.as_ref());
    let private = quote!(#krate::__private);
    let vis = &group.vis;
    let static_ident = &group.ident;
    let stem = pascal_case(&static_ident.unraw().to_string());
    let struct_ident = group
        .struct_name
        .clone()
        .unwrap_or_else(|| format_ident!("{}Metrics", stem));
    let docs = &group.docs;
    let struct_doc = format!("The families of [`{static_ident}`].");

    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut visits = Vec::new();
    let mut items = Vec::new();
    for family in &group.families {
        let name = group.full_name(family);
        let help = family.help();
        let field = &family.name;
        let labels_ident =
            format_ident!("{}{}Labels", stem, pascal_case(&field.unraw().to_string()));
        let labels_ty = if family.labels.is_empty() {
            quote!(#krate::metrics::NoLabels)
        } else {
            items.push(label_set(&private, vis, family, &labels_ident, &name));
            quote!(#labels_ident)
        };
        let family_ty = family_type(&krate, family, &labels_ty);
        let field_doc = format!("`{name}`: {help}");
        fields.push(quote! {
            #[doc = #field_doc]
            pub #field: #family_ty
        });
        inits.push(family_init(
            &krate, &private, family, &labels_ty, &name, &help,
        ));
        visits.push(quote!(f(&self.#field);));
    }

    quote! {
        #(#docs)*
        #[doc = ""]
        #[doc = #struct_doc]
        #vis struct #struct_ident {
            #(#fields,)*
        }

        impl #struct_ident {
            fn __obs_new() -> Self {
                Self { #(#inits,)* }
            }
        }

        impl #private::Collector for #struct_ident {
            fn visit_families<'a>(&'a self, f: &mut dyn FnMut(&'a dyn #private::FamilyView)) {
                #(#visits)*
            }
        }

        impl ::core::fmt::Debug for #struct_ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(::core::stringify!(#struct_ident))
            }
        }

        #(#items)*

        #(#docs)*
        #vis static #static_ident: #private::Group<#struct_ident> =
            #private::Group::new(#struct_ident::__obs_new, || &#static_ident);
    }
}

fn family_type(krate: &TokenStream, family: &Family, labels: &TokenStream) -> TokenStream {
    let kind = &family.kind;
    let span = kind.span();
    match kind.to_string().as_str() {
        "Histogram" => quote_spanned!(span=> #krate::metrics::HistogramFamily<#labels>),
        _ => quote_spanned!(span=> #krate::metrics::Family<#krate::metrics::kind::#kind, #labels>),
    }
}

fn family_init(
    krate: &TokenStream,
    private: &TokenStream,
    family: &Family,
    labels: &TokenStream,
    name: &str,
    help: &str,
) -> TokenStream {
    let field = &family.name;
    let otlp = family.otlp.as_ref().map(|o| {
        let (name, unit) = (&o.name, &o.unit);
        quote!(.with_otlp(#name, #unit))
    });
    if family.kind == "Histogram" {
        let bounds: Vec<f64> = match &family.buckets {
            Some(b) => b.bounds.iter().map(|(v, _)| *v).collect(),
            None => vec![],
        };
        let bounds = if bounds.is_empty() {
            quote!(#krate::metrics::DEFAULT_BUCKETS)
        } else {
            quote!(&[#(#bounds),*])
        };
        quote!(#field: #private::histogram::<#labels>(#name, #help, #bounds) #otlp)
    } else {
        quote!(#field: #krate::metrics::Family::new(#name, #help) #otlp)
    }
}

/// The marker type implementing `LabelSet` for one family, and its series-limit assertion.
fn label_set(
    private: &TokenStream,
    vis: &syn::Visibility,
    family: &Family,
    ident: &Ident,
    name: &str,
) -> TokenStream {
    let doc = format!("The label set of `{name}`.");
    let names: Vec<String> = family
        .labels
        .iter()
        .map(|l| l.name.unraw().to_string())
        .collect();
    let keys: Vec<TokenStream> = family
        .labels
        .iter()
        .map(|l| match &l.otlp {
            Some(otlp) => {
                let key = &otlp.key;
                quote!(::core::option::Option::Some(#key))
            }
            None => quote!(::core::option::Option::None),
        })
        .collect();
    let types: Vec<_> = family.labels.iter().map(|l| &l.ty).collect();
    let as_label = |ty: &syn::Type| {
        let span = syn::spanned::Spanned::span(ty);
        quote_spanned!(span=> <#ty as #private::LabelType>)
    };
    let label_types: Vec<_> = types.iter().map(|ty| as_label(ty)).collect();
    let values_ty = match label_types.as_slice() {
        [] => quote!(()),
        [one] => quote!(#one::Arg<'a>),
        many => quote!((#(#many::Arg<'a>,)*)),
    };
    let bindings: Vec<Ident> = (0..names.len()).map(|i| format_ident!("v{}", i)).collect();
    let destructure = match bindings.as_slice() {
        [] => quote!(let () = values;),
        [one] => quote!(let #one = values;),
        many => quote!(let (#(#many,)*) = values;),
    };
    let positions = 0..names.len();
    let limit = family
        .max_series
        .as_ref()
        .and_then(|l| l.base10_parse::<usize>().ok())
        .unwrap_or(DEFAULT_MAX_SERIES);
    let limit_message = format!(
        "metric family `{name}` can have more series than its limit of {limit}: the product of its labels' \
         cardinalities (a `Bounded<N>` counts N + 1) is too large; lower a `Bounded` cap, drop a label, \
         or raise the limit with `#[max_series(N)]`"
    );
    let span = family.name.span();
    let assertion = quote_spanned! {span=>
        const _: () = ::core::assert!(
            <#ident as #private::LabelSet>::SERIES <= #limit,
            #limit_message
        );
    };
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy)]
        #vis enum #ident {}

        impl #private::LabelSet for #ident {
            type Values<'a> = #values_ty;
            const LABELS: &'static [#private::LabelDesc] = &[
                #(#private::LabelDesc {
                    name: #names,
                    values: #label_types::VALUES,
                    otlp_key: #keys,
                },)*
            ];
            const SERIES: usize = #private::series_product(&[#(#label_types::CARDINALITY),*]);
            #[inline(always)]
            #[allow(unused_variables, unused_mut)]
            fn index(values: Self::Values<'_>, interners: &[#private::Interner]) -> usize {
                #destructure
                let mut index = 0usize;
                #(index = index * #label_types::CARDINALITY
                    + #label_types::resolve(#bindings, interners, #positions);)*
                index
            }
        }

        #assertion
    }
}
