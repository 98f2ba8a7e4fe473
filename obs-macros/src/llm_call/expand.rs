//! Code generation for `#[llm_call]`: `#[observed]`'s layer with the GenAI parts added: a
//! `static` site (operation, provider), a span following the GenAI conventions, the call's
//! recording started when the call starts, and the response read when it ends (or each chunk,
//! for a stream).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::parse::Args;
use crate::observed::expand::{layer, level, private_path, respanned, target};
use crate::wrap::{Function, wrap};

/// The default `gen_ai.operation.name`.
const DEFAULT_OPERATION: &str = "chat";

/// The function with its body observed and its LLM call recorded.
pub fn expand(args: &Args, func: &Function) -> TokenStream {
    let observed = &args.observed;
    let p = private_path(&observed.common);
    let l = quote!(#p::llm);
    let stream = observed.stream.is_some();
    let provider = args.provider.as_ref().map(|k| &k.value);
    let operation = match &args.operation {
        Some(op) => op.value.to_token_stream(),
        None => quote!(#DEFAULT_OPERATION),
    };

    let settle_extra = if stream {
        quote!()
    } else {
        settle_extra(args, func, &p)
    };
    let mut layer = layer(observed, func, &p, settle_extra);
    let items = &layer.items;
    layer.items = quote! {
        #items
        static __OBS_LLM: #l::LlmSite = #l::LlmSite::new(#operation, #provider);
    };
    layer.span = span(args, &p, &operation);
    layer.start = start(args, &l, stream);
    if stream {
        let push = push(args, func, quote!(__obs_rec), quote!(__obs_ok));
        // With `error_kind`, the item that fails the call names its `error.type`.
        let error_kinds = observed.error_kind.as_ref().map(|_| {
            quote! {
                .error_kinds(&__obs_stream, |__obs_item| {
                    #p::error_kind_of(__obs_item).map(|(index, names)| names[index])
                })
            }
        });
        // Spanned at the view, so a view without `HasDeltas` is reported there.
        let deltas = args.output.as_ref().map(|output| {
            let view = &output.value.0;
            quote_spanned! {view.span()=>
                if __obs_rec.captures_streamed_output() {
                    __obs_rec.push_deltas(&(#view)(__obs_ok));
                }
            }
        });
        layer.item_hook = Some(quote! {
            #l::LlmItems::new(&__obs_stream, __obs_llm, |__obs_item, __obs_rec| {
                #[allow(unused_imports)]
                use #l::{OkOfOther as _, OkOfResult as _};
                if let ::core::option::Option::Some(__obs_ok) = (&&#l::OkProbe(__obs_item)).obs_ok() {
                    #push
                    #deltas
                }
            })#error_kinds
        });
    } else {
        layer.hook = quote!(#l::LlmCall(__obs_llm));
    }
    wrap(func, func.shape(stream), &layer, &p)
}

/// Hands what the response (or chunk) `value` reports to `recording`: through the `usage` view
/// when one is given, else the value itself. Spanned at the view, or at the return type, so a
/// type without `HasUsage` is reported there.
fn push(args: &Args, func: &Function, recording: TokenStream, value: TokenStream) -> TokenStream {
    match &args.usage {
        Some(usage) => {
            let view = &usage.value.0;
            quote_spanned!(view.span()=> #recording.push(&(#view)(#value));)
        }
        None => {
            let span = response_type_span(func);
            let value = respanned(&value, span);
            quote_spanned!(span=> #recording.push(#value);)
        }
    }
}

/// Where a response type without `HasUsage` is reported: the `T` of a returned `Result<T, E>`,
/// else the return type.
fn response_type_span(func: &Function) -> proc_macro2::Span {
    let syn::ReturnType::Type(_, ty) = &func.sig.output else {
        return func.sig.ident.span();
    };
    if let syn::Type::Path(path) = &**ty
        && let Some(last) = path.path.segments.last()
        && last.ident == "Result"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(ok)) = args.args.first()
    {
        return ok.span();
    }
    ty.span()
}

/// The settle step's addition: the response's usage (and the error's kind as `error.type`)
/// handed to the call's hook.
fn settle_extra(args: &Args, func: &Function, p: &TokenStream) -> TokenStream {
    let l = quote!(#p::llm);
    let push = push(args, func, quote!(__obs_h.0), quote!(__obs_ok));
    let output = args.output.as_ref().map(|output| {
        let view = &output.value.0;
        let mode = capture_mode(args, &l);
        quote_spanned!(view.span()=> __obs_h.0.capture_output(#mode, &(#view)(__obs_ok));)
    });
    let error_kind = args.observed.error_kind.as_ref().map(|_| {
        quote! {
            if let ::core::option::Option::Some((index, names)) = #p::error_kind_of(__obs_r) {
                __obs_h.0.error_type(names[index]);
            }
        }
    });
    quote! {
        _obs_call.with_hook(|__obs_h: &mut #l::LlmCall| {
            #[allow(unused_imports)]
            use #l::{OkOfOther as _, OkOfResult as _};
            if let ::core::option::Option::Some(__obs_ok) = (&&#l::OkProbe(__obs_r)).obs_ok() {
                #push
                #output
            }
            #error_kind
        });
    }
}

/// `Some(CaptureMode::...)` for `capture = "..."`, else `None` (the process-wide mode).
fn capture_mode(args: &Args, l: &TokenStream) -> TokenStream {
    match args
        .capture
        .as_ref()
        .and_then(|c| super::validate::capture_mode(&c.value.value()))
    {
        Some(variant) => {
            let variant = syn::Ident::new(variant, proc_macro2::Span::call_site());
            quote!(::core::option::Option::Some(#l::CaptureMode::#variant))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// Statements when the call starts: the recording begun (row found, span named), the request
/// parameters recorded on the span, the input content captured, and for a stream whose output is
/// captured, the gathering of its chunks' pieces begun (if the mode captures content).
fn start(args: &Args, l: &TokenStream, stream: bool) -> TokenStream {
    let model = args.model.as_ref().map(|k| &k.value.0);
    let model = quote_spanned!(model.span()=> ::core::convert::AsRef::<str>::as_ref(&(#model)));
    let params = args.request_params().map(|(attr, keyed)| {
        let attr = syn::Ident::new(attr, keyed.key.span());
        let value = &keyed.value.0;
        quote_spanned!(value.span()=> #l::record_request(&__obs_span, #l::attr::#attr, &(#value));)
    });
    let input = args.input.as_ref().map(|input| {
        let view = &input.value.0;
        let mode = capture_mode(args, l);
        // Spanned at the view, so a view without `HasMessages` is reported there.
        quote_spanned!(view.span()=> __obs_llm.capture_input(#mode, &(#view));)
    });
    let streamed_output = (stream && args.output.is_some()).then(|| {
        let mode = capture_mode(args, l);
        quote!(__obs_llm.capture_streamed_output(#mode);)
    });
    // `mut` only when content is captured when the call starts, the uses that need it.
    let binding = if input.is_some() || streamed_output.is_some() {
        quote!(let mut __obs_llm)
    } else {
        quote!(let __obs_llm)
    };
    quote! {
        #binding = __OBS_LLM.start(#model, &__obs_span);
        if !__obs_span.is_disabled() {
            #(#params)*
        }
        #input
        #streamed_output
    }
}

/// The span: `tracing::span!` with every GenAI attribute declared (recorded when known).
fn span(args: &Args, p: &TokenStream, operation: &TokenStream) -> TokenStream {
    let common = &args.observed.common;
    if !common.span_enabled() {
        return quote!(#p::tracing::Span::none());
    }
    let level = level(common, p);
    let target = target(common);
    let name = match &common.name {
        Some(n) => n.value.to_token_stream(),
        None => operation.clone(),
    };
    let kind = common.kind.as_ref().map_or("client", |k| k.value.as_str());
    let provider = args.provider.as_ref().map(|k| &k.value);
    let stream = args.observed.stream.is_some();
    let recorded = common.recorded().iter().map(|ident| {
        let field = syn::Ident::new(&ident.unraw().to_string(), ident.span());
        quote!(#field = ?#ident,)
    });
    let fields = common.fields.as_ref().map(|f| &f.value);
    let empty = quote!(#p::tracing::field::Empty);
    // `Span::none()` when the level is off (no subscriber, or none at this level), as
    // `#[observed]` does: `span!` would make a disabled span that still carries its metadata,
    // which, when `tracing`'s `log` feature is on (axum's default features turn it on), formats a
    // log record at every record, enter, exit and drop (per chunk, for a stream). Past the level,
    // `span!` asks the subscriber as usual.
    quote! {
        if #p::tracing::level_enabled!(#level) {
        #p::tracing::span!(
            target: #target, #level, #name,
            otel.name = #empty,
            otel.kind = #kind,
            otel.status_code = #empty,
            error = #empty,
            error.type = #empty,
            gen_ai.operation.name = #operation,
            gen_ai.provider.name = #provider,
            gen_ai.request.model = #empty,
            server.address = #empty,
            server.port = #empty,
            gen_ai.request.temperature = #empty,
            gen_ai.request.top_p = #empty,
            gen_ai.request.max_tokens = #empty,
            gen_ai.request.seed = #empty,
            gen_ai.request.stop_sequences = #empty,
            gen_ai.request.stream = #stream,
            gen_ai.response.model = #empty,
            gen_ai.response.id = #empty,
            gen_ai.response.finish_reasons = #empty,
            gen_ai.response.time_to_first_chunk = #empty,
            gen_ai.usage.input_tokens = #empty,
            gen_ai.usage.output_tokens = #empty,
            gen_ai.usage.cache_read.input_tokens = #empty,
            gen_ai.usage.cache_creation.input_tokens = #empty,
            gen_ai.usage.reasoning.output_tokens = #empty,
            obs.llm.cost_usd = #empty,
            gen_ai.input.messages = #empty,
            gen_ai.output.messages = #empty,
            gen_ai.system_instructions = #empty,
            #(#recorded)*
            #fields
        )
        } else {
            #p::tracing::Span::none()
        }
    }
}
