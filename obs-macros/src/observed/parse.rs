//! Parsing `#[observed(...)]` arguments into a small AST. Shape errors (a value of the wrong
//! kind) are reported here; every rule about which arguments may be combined lives in `validate`.
//!
//! ```text
//! #[observed(
//!     name = "span name", level = "debug", target = "my_target",
//!     fields(key = %expr, other = ?expr),      // as in #[tracing::instrument]
//!     record(arg1, arg2),                      // arguments recorded (Debug); none by default
//!     ret, err, err(Debug), ret(Display),
//!     span = false, metrics = false,
//!     stream, error_kind, crate = "path",
//!     duration = GROUP.histogram_family,       // also record into the user's own families,
//!     calls = GROUP.counter_family,            // whose last label is `Outcome`,
//!     labels(expr, expr),                      // with these label values (evaluated at the call)
//! )]
//! ```

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, LitStr, Token};

/// Argument names, for "unknown argument" errors.
pub const KNOWN: &[&str] = &[
    "name",
    "level",
    "target",
    "fields",
    "record",
    "ret",
    "err",
    "span",
    "metrics",
    "stream",
    "error_kind",
    "crate",
    "duration",
    "calls",
    "labels",
];

/// How a value is formatted into a span or event field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldFormat {
    /// `%value`
    Display,
    /// `?value`
    Debug,
}

/// `#[observed(...)]`, each argument with the identifier it was written as (for errors).
#[derive(Default)]
pub struct Args {
    pub name: Option<(Ident, LitStr)>,
    pub level: Option<(Ident, LitStr)>,
    pub target: Option<(Ident, LitStr)>,
    pub fields: Option<(Ident, TokenStream)>,
    pub record: Option<(Ident, Vec<Ident>)>,
    pub ret: Option<(Ident, FieldFormat)>,
    pub err: Option<(Ident, FieldFormat)>,
    pub span: Option<(Ident, LitBool)>,
    pub metrics: Option<(Ident, LitBool)>,
    pub stream: Option<Ident>,
    pub error_kind: Option<Ident>,
    pub krate: Option<(Ident, syn::Path)>,
    pub duration: Option<(Ident, syn::Expr)>,
    pub calls: Option<(Ident, syn::Expr)>,
    pub labels: Option<(Ident, Vec<syn::Expr>)>,
    /// Arguments given twice (the second occurrence).
    pub duplicates: Vec<Ident>,
    /// Arguments nobody knows.
    pub unknown: Vec<Ident>,
}

impl Args {
    /// Whether a span is made (`span = false` turns it off).
    pub fn span_enabled(&self) -> bool {
        self.span.as_ref().is_none_or(|(_, b)| b.value)
    }

    /// Whether metrics are recorded (`metrics = false` turns them off).
    pub fn metrics_enabled(&self) -> bool {
        self.metrics.as_ref().is_none_or(|(_, b)| b.value)
    }
}

fn set<T>(slot: &mut Option<T>, value: T, key: &Ident, duplicates: &mut Vec<Ident>) {
    if slot.is_some() {
        duplicates.push(key.clone());
    } else {
        *slot = Some(value);
    }
}

/// `(Display)` / `(Debug)` after `ret` or `err`, else `default` (as in `#[tracing::instrument]`:
/// `ret` with `Debug`, `err` with `Display`).
fn format_arg(input: ParseStream, default: FieldFormat) -> syn::Result<FieldFormat> {
    if !input.peek(syn::token::Paren) {
        return Ok(default);
    }
    let inner;
    syn::parenthesized!(inner in input);
    let which: Ident = inner.parse()?;
    match which.to_string().as_str() {
        "Display" => Ok(FieldFormat::Display),
        "Debug" => Ok(FieldFormat::Debug),
        _ => Err(syn::Error::new(
            which.span(),
            "expected `Display` or `Debug`",
        )),
    }
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let key = Ident::parse_any(input)?;
            let dups = &mut args.duplicates;
            match key.to_string().as_str() {
                "name" | "level" | "target" => {
                    input.parse::<Token![=]>()?;
                    let value: LitStr = input.parse()?;
                    let slot = match key.to_string().as_str() {
                        "name" => &mut args.name,
                        "level" => &mut args.level,
                        _ => &mut args.target,
                    };
                    set(slot, (key.clone(), value), &key, dups);
                }
                "span" | "metrics" => {
                    input.parse::<Token![=]>()?;
                    let value: LitBool = input.parse()?;
                    let slot = if key == "span" {
                        &mut args.span
                    } else {
                        &mut args.metrics
                    };
                    set(slot, (key.clone(), value), &key, dups);
                }
                "crate" => {
                    input.parse::<Token![=]>()?;
                    let value: LitStr = input.parse()?;
                    set(&mut args.krate, (key.clone(), value.parse()?), &key, dups);
                }
                "duration" | "calls" => {
                    input.parse::<Token![=]>()?;
                    let value: syn::Expr = input.parse()?;
                    let slot = if key == "duration" {
                        &mut args.duration
                    } else {
                        &mut args.calls
                    };
                    set(slot, (key.clone(), value), &key, dups);
                }
                "labels" => {
                    let inner;
                    syn::parenthesized!(inner in input);
                    let values = Punctuated::<syn::Expr, Token![,]>::parse_terminated(&inner)?;
                    set(
                        &mut args.labels,
                        (key.clone(), values.into_iter().collect()),
                        &key,
                        dups,
                    );
                }
                "fields" => {
                    let inner;
                    syn::parenthesized!(inner in input);
                    set(&mut args.fields, (key.clone(), inner.parse()?), &key, dups);
                }
                "record" => {
                    let inner;
                    syn::parenthesized!(inner in input);
                    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(
                        &inner,
                        Ident::parse_any,
                    )?;
                    set(
                        &mut args.record,
                        (key.clone(), names.into_iter().collect()),
                        &key,
                        dups,
                    );
                }
                "ret" | "err" => {
                    let (slot, default) = if key == "ret" {
                        (&mut args.ret, FieldFormat::Debug)
                    } else {
                        (&mut args.err, FieldFormat::Display)
                    };
                    let format = format_arg(input, default)?;
                    set(slot, (key.clone(), format), &key, dups);
                }
                "stream" => set(&mut args.stream, key.clone(), &key, dups),
                "error_kind" => set(&mut args.error_kind, key.clone(), &key, dups),
                _ => {
                    args.unknown.push(key);
                    // Skip whatever value follows, so the next argument still parses.
                    if input.peek(Token![=]) {
                        input.parse::<Token![=]>()?;
                        input.parse::<syn::Expr>()?;
                    } else if input.peek(syn::token::Paren) {
                        let _skipped;
                        syn::parenthesized!(_skipped in input);
                        let _: TokenStream = _skipped.parse()?;
                    }
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}
