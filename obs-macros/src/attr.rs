//! Attribute arguments every instrumenting attribute shares, parsed once.
//!
//! darling parses every argument whose syntax is a meta item, so an unknown argument gets its
//! "did you mean" suggestion and every argument error is reported in one build. Arguments whose
//! values are not meta items are taken out by hand first: tracing's `fields(key = %expr, ...)`
//! here, and a macro's own such as `#[observed]`'s `labels(expr, ...)` and `buckets(-1, 0.5)`.
//!
//! ```text
//! name = "span name", level = "debug", target = "my_target",
//! kind = "client",                          // server, client, producer, consumer, internal
//! fields(key = %expr, other = ?expr),       // as in #[tracing::instrument]
//! record(arg1, arg2),                       // arguments recorded (Debug); none by default
//! ret, err, err(Debug), ret(Display),
//! span = false, metrics = false, crate = "path",
//! ```

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::{Ident, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::token::Paren;
use syn::{LitStr, Meta, Token};

use crate::errors::Errors;
use crate::wrap::Function;

/// An argument's value with the key it was written under, for errors placed at the key.
pub struct Keyed<T> {
    pub key: Ident,
    pub value: T,
}

impl<T: FromMeta> FromMeta for Keyed<T> {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        let path = item.path();
        let key = match path.segments.last() {
            Some(segment) => segment.ident.clone(),
            None => return Err(darling::Error::unsupported_format("empty path").with_span(path)),
        };
        Ok(Self {
            key,
            value: T::from_meta(item)?,
        })
    }
}

/// How a value is formatted into a span or event field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldFormat {
    /// `%value`
    Display,
    /// `?value`
    Debug,
}

/// `ret` / `err`, with an optional `(Display)` or `(Debug)`.
pub struct Format(pub Option<FieldFormat>);

impl FromMeta for Format {
    fn from_word() -> darling::Result<Self> {
        Ok(Self(None))
    }

    fn from_list(items: &[NestedMeta]) -> darling::Result<Self> {
        match items {
            [NestedMeta::Meta(Meta::Path(path))] if path.is_ident("Display") => {
                Ok(Self(Some(FieldFormat::Display)))
            }
            [NestedMeta::Meta(Meta::Path(path))] if path.is_ident("Debug") => {
                Ok(Self(Some(FieldFormat::Debug)))
            }
            [item, ..] => {
                Err(darling::Error::custom("expected `Display` or `Debug`").with_span(item))
            }
            [] => Err(darling::Error::custom(
                "expected `Display` or `Debug` in the parentheses",
            )),
        }
    }
}

/// The span's kind, as OpenTelemetry defines it (`otel.kind` on the span).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Server,
    Client,
    Producer,
    Consumer,
    Internal,
}

impl SpanKind {
    const ALL: [(&'static str, SpanKind); 5] = [
        ("server", SpanKind::Server),
        ("client", SpanKind::Client),
        ("producer", SpanKind::Producer),
        ("consumer", SpanKind::Consumer),
        ("internal", SpanKind::Internal),
    ];

    /// The value of the `otel.kind` field.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, kind)| *kind == self)
            .map_or("internal", |(name, _)| name)
    }
}

impl FromMeta for SpanKind {
    fn from_string(value: &str) -> darling::Result<Self> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == value)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                darling::Error::unknown_value_with_alts(value, Self::ALL.iter().map(|(n, _)| n))
            })
    }
}

/// An expression exactly as written: a string literal stays a literal (darling's own `syn::Expr`
/// would parse the string's contents as an expression).
pub struct RawExpr(pub syn::Expr);

impl FromMeta for RawExpr {
    fn from_expr(expr: &syn::Expr) -> darling::Result<Self> {
        Ok(Self(expr.clone()))
    }
}

impl quote::ToTokens for RawExpr {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
    }
}

/// `span = false`: a boolean literal, and nothing darling would also take (`"off"`, `"no"`).
pub struct Switch(pub bool);

impl FromMeta for Switch {
    fn from_bool(value: bool) -> darling::Result<Self> {
        Ok(Self(value))
    }

    fn from_value(value: &syn::Lit) -> darling::Result<Self> {
        match value {
            syn::Lit::Bool(b) => Ok(Self(b.value)),
            other => Err(darling::Error::custom("expected `true` or `false`").with_span(other)),
        }
    }
}

/// `record(arg, ...)`: the names of arguments to record.
pub struct Names(pub Vec<Ident>);

impl FromMeta for Names {
    fn from_list(items: &[NestedMeta]) -> darling::Result<Self> {
        let mut errors = darling::Error::accumulator();
        let names = items
            .iter()
            .filter_map(|item| {
                errors.handle(match item {
                    NestedMeta::Meta(Meta::Path(path)) if path.get_ident().is_some() => {
                        Ok(path.segments[0].ident.clone())
                    }
                    other => {
                        Err(darling::Error::custom("expected an argument's name").with_span(other))
                    }
                })
            })
            .collect();
        errors.finish_with(Self(names))
    }
}

/// The arguments every instrumenting attribute shares (`fields(...)` is filled in by hand).
#[derive(Default, FromMeta)]
pub struct Common {
    pub name: Option<Keyed<LitStr>>,
    pub level: Option<Keyed<LitStr>>,
    pub target: Option<Keyed<LitStr>>,
    pub kind: Option<Keyed<SpanKind>>,
    pub record: Option<Keyed<Names>>,
    pub ret: Option<Keyed<Format>>,
    pub err: Option<Keyed<Format>>,
    pub span: Option<Keyed<Switch>>,
    pub metrics: Option<Keyed<Switch>>,
    #[darling(rename = "crate")]
    pub krate: Option<Keyed<syn::Path>>,
    /// `fields(...)`, as written: tracing's own syntax, which `tracing::span!` parses.
    #[darling(skip)]
    pub fields: Option<Keyed<TokenStream>>,
}

impl Common {
    /// Whether a span is made (`span = false` turns it off).
    pub fn span_enabled(&self) -> bool {
        self.span.as_ref().is_none_or(|s| s.value.0)
    }

    /// Whether the framework families are recorded (`metrics = false` turns them off).
    pub fn metrics_enabled(&self) -> bool {
        self.metrics.as_ref().is_none_or(|m| m.value.0)
    }

    /// The `ret` format (default `Debug`, as in `#[tracing::instrument]`).
    pub fn ret_format(&self) -> Option<(&Ident, FieldFormat)> {
        let ret = self.ret.as_ref()?;
        Some((&ret.key, ret.value.0.unwrap_or(FieldFormat::Debug)))
    }

    /// The `err` format (default `Display`).
    pub fn err_format(&self) -> Option<(&Ident, FieldFormat)> {
        let err = self.err.as_ref()?;
        Some((&err.key, err.value.0.unwrap_or(FieldFormat::Display)))
    }

    /// The names given in `record(...)`.
    pub fn recorded(&self) -> &[Ident] {
        self.record.as_ref().map_or(&[], |r| &r.value.0)
    }

    /// Every argument that configures the span, by the key it was written under.
    pub fn span_only(&self) -> impl Iterator<Item = &Ident> {
        [
            self.name.as_ref().map(|k| &k.key),
            self.level.as_ref().map(|k| &k.key),
            self.target.as_ref().map(|k| &k.key),
            self.kind.as_ref().map(|k| &k.key),
            self.fields.as_ref().map(|k| &k.key),
            self.record.as_ref().map(|k| &k.key),
            self.ret.as_ref().map(|k| &k.key),
            self.err.as_ref().map(|k| &k.key),
        ]
        .into_iter()
        .flatten()
    }

    /// The runtime crate's path.
    pub fn runtime(&self) -> TokenStream {
        crate::runtime_path(self.krate.as_ref().map(|k| &k.value))
    }
}

/// An argument whose value is not a meta item, taken out before darling parses the rest.
pub struct HandParsed {
    pub key: Ident,
    /// What is inside its parentheses.
    pub tokens: TokenStream,
}

/// Parses an attribute's arguments: the ones named in `by_hand` (written `key(...)`) are taken
/// out as written, the rest go to darling as `T`. Every error goes to `errors`.
pub fn parse<T: FromMeta>(
    attr: TokenStream,
    by_hand: &[&str],
    errors: &mut Errors,
) -> Option<(T, Vec<HandParsed>)> {
    let split = |input: ParseStream| -> syn::Result<(Vec<NestedMeta>, Vec<HandParsed>)> {
        let mut metas = Vec::new();
        let mut taken: Vec<HandParsed> = Vec::new();
        while !input.is_empty() {
            let fork = input.fork();
            let hand = match fork.parse::<Ident>() {
                Ok(key) if fork.peek(Paren) && by_hand.iter().any(|name| key == name) => Some(key),
                _ => None,
            };
            if let Some(key) = hand {
                input.parse::<Ident>()?;
                let inner;
                syn::parenthesized!(inner in input);
                taken.push(HandParsed {
                    key,
                    tokens: inner.parse()?,
                });
            } else {
                metas.push(input.parse()?);
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok((metas, taken))
    };
    let (metas, mut taken) = errors.handle(split.parse2(attr))?;
    let args = errors.handle(T::from_list(&metas))?;
    let mut seen: Vec<Ident> = Vec::new();
    taken.retain(|h| {
        let again = seen.contains(&h.key);
        if again {
            errors.push(
                h.key.span(),
                format!("`{}` is given twice; keep one", h.key),
            );
        }
        seen.push(h.key.clone());
        !again
    });
    Some((args, taken))
}

/// `expr, expr, ...` inside a hand-parsed argument.
pub fn exprs(tokens: TokenStream) -> syn::Result<Vec<syn::Expr>> {
    let list = Punctuated::<syn::Expr, Token![,]>::parse_terminated.parse2(tokens)?;
    Ok(list.into_iter().collect())
}

const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error"];

/// The rules on the shared arguments, for the attribute `which` (`#[observed]`).
pub fn validate_common(common: &Common, func: &Function, which: &str, errors: &mut Errors) {
    if let Some(constness) = &func.sig.constness {
        errors.push(
            constness.span,
            format!(
                "{which} cannot wrap a `const fn`: recording metrics and spans is not possible in \
                 const evaluation; remove `const` or the attribute"
            ),
        );
    }
    if let Some(level) = &common.level
        && !LEVELS.contains(&level.value.value().to_ascii_lowercase().as_str())
    {
        errors.push(
            level.value.span(),
            format!(
                "unknown `{}` \"{}\"; expected one of {}",
                level.key,
                level.value.value(),
                LEVELS.join(", ")
            ),
        );
    }
    if !common.span_enabled() {
        for key in common.span_only() {
            errors.push(
                key.span(),
                format!(
                    "`{key}` configures the span, which `span = false` turns off; remove one of them"
                ),
            );
        }
    }
    let params = func.param_names();
    for name in common.recorded() {
        if name == "self" {
            errors.push(
                name.span(),
                "`self` cannot be recorded whole; record a field with `fields(name = ?self.field)`",
            );
        } else if name == "error" {
            errors.push(
                name.span(),
                "the span's `error` field is where an `Err` is recorded, so a parameter named \
                 `error` cannot be recorded under that name; record it as another field with \
                 `fields(input_error = ?error)`",
            );
        } else if !params.iter().any(|p| p == name) {
            errors.push(name.span(), unknown_param(name, &params, "to record"));
        }
    }
}

/// The error for `name`, which is not one of the function's parameters `params`: "no parameter
/// named `name` {purpose}; the parameters are: ...".
pub fn unknown_param(name: &Ident, params: &[Ident], purpose: &str) -> String {
    let list: Vec<String> = params.iter().map(ToString::to_string).collect();
    format!(
        "no parameter named `{name}` {purpose}; the parameters are: {}",
        if list.is_empty() {
            "(none)".to_owned()
        } else {
            list.join(", ")
        }
    )
}

/// The name an expression ends in: `req.user_id` -> `user_id`, `ctx.session()` -> `session`,
/// `&model` -> `model`.
pub fn last_name(expr: &syn::Expr) -> Option<Ident> {
    match expr {
        syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.clone()),
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(ident) => Some(ident.clone()),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::MethodCall(m) if m.method == "as_str" || m.method == "as_ref" => {
            last_name(&m.receiver)
        }
        syn::Expr::MethodCall(m) => Some(m.method.clone()),
        syn::Expr::Reference(r) => last_name(&r.expr),
        syn::Expr::Paren(p) => last_name(&p.expr),
        _ => None,
    }
}

/// The local variable an expression starts from: `req.user.id()` -> `req`, `&key` -> `key`,
/// `items[0]` -> `items`; `None` when it starts elsewhere (a path of several segments, a call, a
/// literal).
pub fn root_name(expr: &syn::Expr) -> Option<&Ident> {
    match expr {
        syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        syn::Expr::Field(f) => root_name(&f.base),
        syn::Expr::MethodCall(m) => root_name(&m.receiver),
        syn::Expr::Index(i) => root_name(&i.expr),
        syn::Expr::Reference(r) => root_name(&r.expr),
        syn::Expr::Unary(u) => root_name(&u.expr),
        syn::Expr::Paren(p) => root_name(&p.expr),
        syn::Expr::Try(t) => root_name(&t.expr),
        _ => None,
    }
}
