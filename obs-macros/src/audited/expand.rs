//! Code generation for `#[audited]`: `#[observed]`'s layer with the audit parts added. When the
//! call starts, the event is built from the arguments (owned: ids formatted, values converted,
//! hashed values digested, so the clear value is never kept), before the body takes them, into a
//! local that writes the event of a call that panicked or was cancelled when it is dropped. The
//! step after the body writes the others, with the outcome read from the return value, and in
//! durable mode waits until the record is durable, turning an audit failure into the function's
//! error.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::parse::{Args, Mode, Record};
use crate::observed::expand::{layer, private_path, respanned};
use crate::wrap::{Function, Shape, wrap};

/// The actor type when `actor = ...` is given without `actor_type`.
const DEFAULT_ACTOR_TYPE: &str = "user";

/// The function with its body observed and every call audited.
pub fn expand(args: &Args, func: &Function) -> TokenStream {
    let p = private_path(&args.observed.common);
    let a = quote!(#p::audit);
    let shape = func.shape(false);
    let mut layer = layer(&args.observed, func, &p, quote!());
    let event = event(args, &a);
    let log = match &args.log {
        Some(log) => {
            let log = &log.value.0;
            let at = respanned(&a, log.span());
            quote_spanned!(log.span()=> #at::given_log(&(#log)))
        }
        None => quote!(#a::global_log()),
    };
    // A local of the body (moved into the future a function returns), dropped however the call
    // ends: it writes the event of a call that panicked or was cancelled.
    layer.start = quote! {
        let mut __obs_audit = #a::AuditCall::start(#log, &__obs_span, || #event);
    };
    layer.after = Some(after(args, func, shape, &a));
    wrap(func, shape, &layer, &p)
}

/// The event as the call starts: action, actor, resource and fields.
fn event(args: &Args, a: &TokenStream) -> TokenStream {
    let action = args.action.as_ref().map(|k| &k.value);
    let actor = match &args.actor {
        Some(actor) => {
            let id = &actor.value.0;
            let at = respanned(a, id.span());
            let id = quote_spanned!(id.span()=> #at::id(&(#id)));
            let kind = match &args.actor_type {
                Some(kind) => {
                    let kind = &kind.value;
                    quote!(#kind)
                }
                None => quote!(#DEFAULT_ACTOR_TYPE),
            };
            quote!(let __obs_event = __obs_event.actor(#id, #kind);)
        }
        // `AuditEvent::new` took the task-local actor.
        None => quote!(),
    };
    let resource = args.resource.as_ref().map(|resource| {
        let kind = &resource.value.kind.value;
        let id = &resource.value.id.value.0;
        let at = respanned(a, id.span());
        let id = quote_spanned!(id.span()=> #at::id(&(#id)));
        quote!(let __obs_event = __obs_event.resource(#kind, #id);)
    });
    let entries = args.entries().map(|(record, entry)| {
        let name = entry.name.unraw().to_string();
        let ident = &entry.name;
        let value = entry.value.as_ref().map_or(quote!(#ident), |v| quote!(#v));
        let span = entry.value.as_ref().map_or(ident.span(), Spanned::span);
        // Spanned at the value, so a value of a type that cannot be recorded is reported there.
        let a = respanned(a, span);
        match record {
            Record::Value => quote_spanned! {span=>
                let __obs_event = __obs_event.field(#name, #a::field_value(&(#value)));
            },
            // The value is not even evaluated.
            Record::Redacted => quote!(let __obs_event = __obs_event.redacted(#name);),
            Record::Hashed => quote_spanned! {span=>
                let __obs_event = __obs_event.hashed(#name, #a::hash_input(&(#value)));
            },
        }
    });
    quote! {{
        let __obs_event = #a::AuditEvent::new(#action);
        #actor
        #resource
        #(#entries)*
        __obs_event
    }}
}

/// The step after the body: the event's outcome read from the return value, then the event
/// written, and in durable mode waited for, an audit failure becoming the function's error.
fn after(args: &Args, func: &Function, shape: Shape, a: &TokenStream) -> TokenStream {
    let end = quote! {
        #[allow(unused_imports)]
        use #a::{EndOfErrorKind as _, EndOfOther as _, EndOfResult as _};
        let __obs_end = (&&#a::EndProbe(&__obs_result)).obs_audit_end();
    };
    match args.mode() {
        Mode::Buffered => quote! {{
            #end
            __obs_audit.append(__obs_end);
            __obs_result
        }},
        Mode::Durable => {
            let record = match shape {
                Shape::Sync => quote!(__obs_audit.record(__obs_end)),
                _ => quote!(__obs_audit.record_async(__obs_end).await),
            };
            // Spanned at the return type, so a type that cannot carry the audit error is
            // reported there.
            let span = match &func.sig.output {
                syn::ReturnType::Type(_, ty) => ty.span(),
                syn::ReturnType::Default => func.sig.ident.span(),
            };
            let at = respanned(a, span);
            let failed = quote_spanned! {span=>
                #at::durable_failed(__obs_result, __obs_error, __obs_carrier)
            };
            quote! {{
                #end
                #[allow(unused_imports)]
                use #a::{CarrierOfOther as _, CarrierOfResult as _};
                let __obs_carrier = (&#a::CarrierProbe(&__obs_result)).obs_audit_carrier();
                match #record {
                    ::core::result::Result::Ok(()) => __obs_result,
                    ::core::result::Result::Err(__obs_error) => #failed,
                }
            }}
        }
    }
}
