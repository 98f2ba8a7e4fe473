//! Code generation for `#[observed]`: a `static` call site, a `tracing` span, and the body run
//! through one runtime helper chosen by the function's shape (kept small: the work is in
//! generic runtime code, not inlined per function).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;

use super::parse::Args;
use crate::attr::{Common, FieldFormat, Keyed};
use crate::wrap::{Function, Layer, wrap};

/// The function with its body observed.
pub fn expand(args: &Args, func: &Function) -> TokenStream {
    let p = private_path(&args.common);
    let layer = layer(args, func, &p, quote!());
    wrap(func, func.shape(args.stream.is_some()), &layer, &p)
}

/// The runtime's `__private` path.
pub fn private_path(common: &Common) -> TokenStream {
    let krate = common.runtime();
    quote!(#krate::__private)
}

/// What `#[observed]` adds around a body; `settle_extra` runs in the settle step, before the
/// outcome is returned, with `__obs_r`, `_obs_span` and `_obs_call` in scope.
pub fn layer(args: &Args, func: &Function, p: &TokenStream, settle_extra: TokenStream) -> Layer {
    let common = &args.common;
    let fn_name = func.sig.ident.to_string();

    let (items, site) = if common.metrics_enabled() {
        (
            site_static(args, p, &fn_name),
            quote!(::core::option::Option::Some(&__OBS_SITE)),
        )
    } else {
        (quote!(), quote!(::core::option::Option::None))
    };
    Layer {
        items,
        start: quote!(),
        site,
        hook: hook(args, p),
        span: span_expr(common, p, &fn_name),
        settle: settle_fn(args, p, settle_extra),
        after: None,
        item_hook: None,
    }
}

/// The function's `static` call site, with its own latency bucket layout if `buckets(...)` gave
/// one (validated already; the runtime's `const` check is only a backstop).
fn site_static(args: &Args, p: &TokenStream, fn_name: &str) -> TokenStream {
    let Some(buckets) = &args.buckets else {
        return quote!(static __OBS_SITE: #p::CallSite = #p::CallSite::new(#fn_name, ::core::module_path!()););
    };
    let bounds = buckets.value.bounds.iter().map(|(value, tokens)| {
        let span = syn::spanned::Spanned::span(tokens);
        let lit = syn::LitFloat::new(&format!("{value:?}f64"), span);
        quote!(#lit)
    });
    let n = buckets.value.bounds.len();
    quote! {
        static __OBS_BUCKETS: #p::LatencyBuckets<#n> = #p::LatencyBuckets::new([#(#bounds),*]);
        static __OBS_SITE: #p::CallSite =
            #p::CallSite::with_buckets(#fn_name, ::core::module_path!(), &__OBS_BUCKETS);
    }
}

/// Recording into the user's own families when the call ends, or `NoHook`. The label values are
/// evaluated when the call starts.
fn hook(args: &Args, p: &TokenStream) -> TokenStream {
    if args.duration.is_none() && args.calls.is_none() {
        return quote!(#p::NoHook);
    }
    let exprs = args
        .labels
        .iter()
        .flat_map(|l| &l.value)
        .collect::<Vec<_>>();
    // Each value's binding carries its expression's span, so a wrong label type is reported at
    // the value in `labels(...)`.
    let names: Vec<_> = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| quote::format_ident!("__obs_l{}", i, span = syn::spanned::Spanned::span(e)))
        .collect();
    // The tuple of values (a wrong label count) is reported at `labels`, or without labels at
    // `duration` / `calls`.
    let labels_key = args.labels.as_ref().map(|l| l.key.span());
    let tuple = |key: &proc_macro2::Ident, items: TokenStream| quote_spanned!(labels_key.unwrap_or(key.span())=> (#items));
    // The series are resolved when the call starts, so the hook holds only handles into the
    // families, not the label values: `labels(name.as_str())` does not keep `name` borrowed
    // while the body runs.
    let (duration_series, duration) = match &args.duration {
        Some(Keyed { key, value: family }) => {
            let values = match names.as_slice() {
                [one] => quote!(#one),
                many => tuple(key, quote!(#(#many),*)),
            };
            let span = syn::spanned::Spanned::span(family);
            (
                quote_spanned!(span=> let __obs_duration = (#family).with(#values);),
                quote!(__obs_duration.observe_duration(::core::time::Duration::from_nanos(__obs_nanos));),
            )
        }
        None => (quote!(), quote!()),
    };
    let (calls_series, calls) = match &args.calls {
        Some(Keyed { key, value: family }) => {
            let span = syn::spanned::Spanned::span(family);
            let each = [quote!(Ok), quote!(Error), quote!(Panic), quote!(Cancelled)].map(|o| {
                let outcome = quote_spanned!(key.span()=> #p::Outcome::#o);
                let values = if names.is_empty() {
                    outcome
                } else {
                    tuple(key, quote!(#(#names,)* #outcome))
                };
                quote_spanned!(span=> (#family).with(#values))
            });
            (
                quote!(let __obs_calls = [#(#each),*];),
                quote!(__obs_calls[#p::LabelValue::index(__obs_outcome)].inc();),
            )
        }
        None => (quote!(), quote!()),
    };
    quote! {{
        let (#(#names,)*) = (#(#exprs,)*);
        #duration_series
        #calls_series
        move |__obs_outcome: #p::Outcome, __obs_nanos: u64| {
            let _ = (__obs_outcome, __obs_nanos);
            #duration
            #calls
        }
    }}
}

/// The span for one call, or a disabled span.
fn span_expr(common: &Common, p: &TokenStream, fn_name: &str) -> TokenStream {
    if !common.span_enabled() {
        return quote!(#p::tracing::Span::none());
    }
    let level = level(common, p);
    let target = target(common);
    let name = match &common.name {
        Some(n) => n.value.to_token_stream(),
        None => quote!(::core::concat!(::core::module_path!(), "::", #fn_name)),
    };
    let recorded = common.recorded();
    let kind = common.kind.as_ref().map(|k| k.value.as_str());
    if common.fields.is_none() {
        // Only argument values, if any: a callsite of our own and non-generic runtime calls,
        // instead of `tracing::span!` (recursive macro_rules, a const-generic `FieldName` per
        // field, the interest checks inlined into every function). Values are wrapped only when
        // the span is enabled.
        let kind_name = kind.map(|_| quote!("otel.kind",));
        let names = recorded
            .iter()
            .map(|ident| syn::LitStr::new(&ident.unraw().to_string(), ident.span()));
        let statics = quote! {
            static __OBS_META: #p::tracing::Metadata<'static> = #p::tracing::Metadata::new(
                #name, #target, #level,
                ::core::option::Option::Some(::core::file!()),
                ::core::option::Option::Some(::core::line!()),
                ::core::option::Option::Some(::core::module_path!()),
                #p::tracing::field::FieldSet::new(
                    &["otel.status_code", "error", #kind_name #(#names,)*],
                    #p::tracing::callsite::Identifier(&__OBS_CALLSITE),
                ),
                #p::tracing::metadata::Kind::SPAN,
            );
            static __OBS_CALLSITE: #p::tracing::callsite::DefaultCallsite =
                #p::tracing::callsite::DefaultCallsite::new(&__OBS_META);
        };
        if recorded.is_empty() && kind.is_none() {
            return quote! {{ #statics #p::span_no_values(&__OBS_CALLSITE) }};
        }
        let kind_value =
            kind.map(|k| quote!(::core::option::Option::Some(&#k as &dyn #p::tracing::Value),));
        // Each value carries its name's span, so an argument that is not `Debug` is reported
        // at its name in `record(...)`.
        let values = recorded.iter().map(|ident| {
            let p = respanned(p, ident.span());
            quote_spanned!(ident.span()=> ::core::option::Option::Some(
                &#p::tracing::field::debug(&#ident) as &dyn #p::tracing::Value
            ))
        });
        return quote! {{
            #statics
            if #p::span_enabled(&__OBS_CALLSITE) {
                #p::span_new(&__OBS_CALLSITE, &[
                    ::core::option::Option::None, ::core::option::Option::None, #kind_value #(#values),*
                ])
            } else {
                #p::tracing::Span::none()
            }
        }};
    }
    let recorded = recorded.iter().map(|n| quote!(#n = ?#n,));
    let fields = common.fields.as_ref().map(|f| &f.value);
    let kind = kind.map(|k| quote!(otel.kind = #k,));
    // `Span::none()` when the level is off, as above: `span!`'s disabled span keeps its metadata
    // and, with `tracing`'s `log` feature on, formats a log record at every use.
    quote! {
        if #p::tracing::level_enabled!(#level) {
            #p::tracing::span!(
                target: #target, #level, #name,
                otel.status_code = #p::tracing::field::Empty,
                error = #p::tracing::field::Empty,
                #kind
                #(#recorded)*
                #fields
            )
        } else {
            #p::tracing::Span::none()
        }
    }
}

/// `tokens` with every span set to `span`, so that an error in code built from them points there.
pub(crate) fn respanned(tokens: &TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

/// The span's and events' target: `target = "..."`, or the module path.
pub(crate) fn target(common: &Common) -> TokenStream {
    match &common.target {
        Some(t) => t.value.to_token_stream(),
        None => quote!(::core::module_path!()),
    }
}

pub(crate) fn level(common: &Common, p: &TokenStream) -> TokenStream {
    let level = common
        .level
        .as_ref()
        .map_or("info".to_owned(), |l| l.value.value().to_ascii_lowercase());
    match level.as_str() {
        "trace" => quote!(#p::tracing::Level::TRACE),
        "debug" => quote!(#p::tracing::Level::DEBUG),
        "warn" => quote!(#p::tracing::Level::WARN),
        "error" => quote!(#p::tracing::Level::ERROR),
        _ => quote!(#p::tracing::Level::INFO),
    }
}

/// The closure that classifies a return value when the call completes: outcome by type, error
/// recorded on the span, error kind counted, `ret` / `err` events.
fn settle_fn(args: &Args, p: &TokenStream, extra: TokenStream) -> TokenStream {
    let common = &args.common;
    let record_error = common
        .span_enabled()
        .then(|| quote!((&&#p::ErrorProbe(__obs_r)).obs_record(_obs_span);));
    let error_kind = args.error_kind.as_ref().map(|error_kind| {
        // Spanned at `error_kind`, so a missing `ErrorKind` impl is reported there.
        let kind_of = quote_spanned!(error_kind.key.span()=> #p::error_kind_of(__obs_r));
        quote! {
            if let ::core::option::Option::Some((index, names)) = #kind_of {
                _obs_call.error_kind(index, names);
            }
        }
    });
    let target = target(common);
    let err_event = common.err_format().map(|(key, format)| {
        let value = match format {
            FieldFormat::Display => quote!(%error),
            FieldFormat::Debug => quote!(?error),
        };
        // Spanned at `err`, so a return type that is not a `Result` is reported there.
        let err_pattern = quote_spanned!(key.span()=> ::core::result::Result::Err(error));
        quote! {
            if let #err_pattern = __obs_r {
                #p::tracing::event!(target: #target, #p::tracing::Level::ERROR, error = #value);
            }
        }
    });
    let ret_event = common.ret_format().map(|(key, format)| {
        let level = level(common, p);
        // The format is checked once, at `ret`: a return type without it is one error there.
        let (as_dyn, value) = match format {
            FieldFormat::Display => (
                quote_spanned!(key.span()=> let __obs_ret: &dyn ::core::fmt::Display = __obs_value;),
                quote!(%__obs_ret),
            ),
            FieldFormat::Debug => (
                quote_spanned!(key.span()=> let __obs_ret: &dyn ::core::fmt::Debug = __obs_value;),
                quote!(?__obs_ret),
            ),
        };
        let event = quote! {
            #as_dyn
            #p::tracing::event!(target: #target, #level, return = #value);
        };
        // With `err` too, `ret` records the `Ok` value and `err` the error, as in
        // `#[tracing::instrument]`.
        if common.err.is_some() {
            quote! {
                if let ::core::result::Result::Ok(__obs_value) = __obs_r {
                    #event
                }
            }
        } else {
            quote! {
                let __obs_value = __obs_r;
                #event
            }
        }
    });
    quote! {
        |__obs_r, _obs_span, _obs_call| {
            #[allow(unused_imports)]
            use #p::{OtherOutcome as _, RecordDebug as _, RecordDisplay as _, RecordNothing as _, ResultOutcome as _};
            #record_error
            #error_kind
            #err_event
            #ret_event
            #extra
            (&#p::Probe(__obs_r)).obs_outcome()
        }
    }
}
