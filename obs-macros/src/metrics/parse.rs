//! Parsing `metrics! { ... }` into a small AST. Nothing here rejects input that is well-formed
//! syntax: every rule lives in `validate`.
//!
//! ```text
//! /// Group docs.
//! #[obs(crate = "path")]                       // optional
//! pub STATIC[: StructName] [in "namespace"] {
//!     /// HELP text.
//!     #[buckets(0.1, 1, 10)]                   // histograms
//!     #[max_series(20_000)]                    // optional series limit
//!     #[otlp(name = "a.b.c", unit = "s")]      // optional: the name and unit pushed over OTLP
//!     name: Kind {
//!         label: Type,
//!         #[allow_entity_label(reason = "...")]  // a reasoned per-entity label
//!         #[otlp(key = "a.b")]                   // optional: the attribute key over OTLP
//!         label2: Type,
//!     },
//!     other_total: Counter,
//! }
//! ```

use darling::FromMeta;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitInt, LitStr, Token, Type};

/// Everything inside one `metrics!` invocation.
pub struct Schema {
    pub groups: Vec<Group>,
}

/// `#[obs(...)]` on a group.
#[derive(Default, FromMeta)]
pub struct GroupOptions {
    /// Path of the runtime crate, for renamed dependencies.
    #[darling(rename = "crate")]
    pub krate: Option<syn::Path>,
}

/// One `static` group of families.
pub struct Group {
    pub docs: Vec<Attribute>,
    pub options: GroupOptions,
    pub vis: syn::Visibility,
    pub ident: Ident,
    pub struct_name: Option<Ident>,
    pub namespace: Option<LitStr>,
    pub families: Vec<Family>,
}

/// One metric family.
pub struct Family {
    pub docs: Vec<LitStr>,
    pub buckets: Option<Buckets>,
    pub max_series: Option<LitInt>,
    pub otlp: Option<Otlp>,
    pub name: Ident,
    pub kind: Ident,
    pub labels: Vec<Label>,
}

pub use crate::buckets::Buckets;

/// `#[otlp(name = "gen_ai.client.token.usage", unit = "{token}")]`: the family's OpenTelemetry
/// name and unit, for the OTLP push.
#[derive(FromMeta)]
pub struct Otlp {
    pub name: LitStr,
    pub unit: LitStr,
}

/// One label of a family.
pub struct Label {
    pub allow_entity: Option<AllowEntity>,
    pub otlp: Option<LabelOtlp>,
    pub name: Ident,
    pub ty: Type,
}

/// `#[otlp(key = "gen_ai.operation.name")]` on a label: its OpenTelemetry attribute key, for the
/// OTLP push.
#[derive(FromMeta)]
pub struct LabelOtlp {
    pub key: LitStr,
}

/// `#[allow_entity_label(reason = "...")]`: a reasoned opt-out of the per-entity name rule.
#[derive(FromMeta)]
pub struct AllowEntity {
    pub reason: LitStr,
}

impl Parse for Schema {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut groups = Vec::new();
        while !input.is_empty() {
            groups.push(input.parse()?);
        }
        Ok(Self { groups })
    }
}

impl Parse for Group {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let mut docs = Vec::new();
        let mut options = GroupOptions::default();
        for attr in attrs {
            if attr.path().is_ident("doc") {
                docs.push(attr);
            } else if attr.path().is_ident("obs") {
                options = from_attr::<GroupOptions>(&attr)?;
            } else {
                return Err(syn::Error::new_spanned(
                    attr,
                    "unknown attribute on a metric group; expected doc comments or `#[obs(crate = \"...\")]`",
                ));
            }
        }
        let vis = input.parse()?;
        let ident = input.parse()?;
        let struct_name = if input.peek(Token![:]) {
            input.parse::<Token![:]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        let namespace = if input.peek(Token![in]) {
            input.parse::<Token![in]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        let body;
        syn::braced!(body in input);
        let families = Punctuated::<Family, Token![,]>::parse_terminated(&body)?;
        Ok(Self {
            docs,
            options,
            vis,
            ident,
            struct_name,
            namespace,
            families: families.into_iter().collect(),
        })
    }
}

impl Parse for Family {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let mut docs = Vec::new();
        let mut buckets = None;
        let mut max_series = None;
        let mut otlp = None;
        for attr in attrs {
            let path = attr.path();
            if path.is_ident("doc") {
                docs.push(doc_text(&attr)?);
            } else if path.is_ident("buckets") {
                buckets = Some(parse_buckets(&attr)?);
            } else if path.is_ident("max_series") {
                max_series = Some(attr.parse_args()?);
            } else if path.is_ident("otlp") {
                otlp = Some(from_attr::<Otlp>(&attr)?);
            } else {
                return Err(syn::Error::new_spanned(
                    path,
                    "unknown attribute on a metric family; expected doc comments, `#[buckets(...)]`, `#[max_series(N)]` or `#[otlp(name = \"...\", unit = \"...\")]`",
                ));
            }
        }
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let kind = input.parse()?;
        let mut labels = Vec::new();
        if input.peek(syn::token::Brace) {
            let body;
            syn::braced!(body in input);
            labels = Punctuated::<Label, Token![,]>::parse_terminated(&body)?
                .into_iter()
                .collect();
        }
        Ok(Self {
            docs,
            buckets,
            max_series,
            otlp,
            name,
            kind,
            labels,
        })
    }
}

impl Parse for Label {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut allow_entity = None;
        let mut otlp = None;
        for attr in input.call(Attribute::parse_outer)? {
            if attr.path().is_ident("allow_entity_label") {
                if !matches!(attr.meta, syn::Meta::List(_)) {
                    return Err(syn::Error::new_spanned(
                        &attr,
                        "`allow_entity_label` needs a written reason: `#[allow_entity_label(reason = \"...\")]`",
                    ));
                }
                allow_entity = Some(from_attr::<AllowEntity>(&attr)?);
            } else if attr.path().is_ident("otlp") {
                otlp = Some(from_attr::<LabelOtlp>(&attr)?);
            } else {
                return Err(syn::Error::new_spanned(
                    attr.path(),
                    "unknown attribute on a label; expected `#[allow_entity_label(reason = \"...\")]` or `#[otlp(key = \"...\")]`",
                ));
            }
        }
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        Ok(Self {
            allow_entity,
            otlp,
            name,
            ty,
        })
    }
}

/// `T` from `attr`'s arguments. darling leaves an error it cannot place (a missing field next to
/// an unknown one) at the macro call; it goes at the attribute's name instead.
fn from_attr<T: FromMeta>(attr: &Attribute) -> syn::Result<T> {
    T::from_meta(&attr.meta).map_err(|error| {
        let placed = error
            .flatten()
            .into_iter()
            .map(|e| e.with_span(attr.path()));
        darling::Error::multiple(placed.collect()).into()
    })
}

/// The text of one `#[doc = "..."]` attribute.
fn doc_text(attr: &Attribute) -> syn::Result<LitStr> {
    match &attr.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Ok(s.clone()),
            other => Err(syn::Error::new_spanned(
                other,
                "doc comments of metric families must be string literals",
            )),
        },
        _ => Err(syn::Error::new_spanned(attr, "expected `#[doc = \"...\"]`")),
    }
}

/// `#[buckets(0.1, 1, 2.5e1, -1)]`: numeric literals, optionally negated.
fn parse_buckets(attr: &Attribute) -> syn::Result<Buckets> {
    let exprs = match &attr.meta {
        syn::Meta::List(_) => {
            attr.parse_args_with(Punctuated::<Expr, Token![,]>::parse_terminated)?
        }
        _ => Punctuated::new(),
    };
    Ok(Buckets {
        attr: attr.to_token_stream(),
        bounds: crate::buckets::values(&exprs)?,
    })
}

impl Group {
    /// The metric name of `family`: `namespace_name`, or `name` without a namespace.
    pub fn full_name(&self, family: &Family) -> String {
        let name = family.name.unraw().to_string();
        match &self.namespace {
            Some(ns) => format!("{}_{name}", ns.value()),
            None => name,
        }
    }
}

impl Family {
    /// HELP text: the doc comment's lines, trimmed and joined with spaces.
    pub fn help(&self) -> String {
        let lines: Vec<String> = self
            .docs
            .iter()
            .map(|d| d.value().trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        lines.join(" ")
    }
}
