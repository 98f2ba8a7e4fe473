//! Every rule that rejects an `#[observed]` annotation, each with a span-accurate error naming the
//! fix. The rules on the shared arguments live in `crate::attr::validate_common`, which every
//! instrumenting attribute runs.

use super::parse::Args;
use crate::errors::Errors;
use crate::wrap::{Function, Shape, is_impl_stream};

/// Checks the arguments against each other and against the function.
pub fn validate(args: &Args, func: &Function, errors: &mut Errors) {
    validate_as(args, func, "#[observed]", errors);
    let common = &args.common;
    if !common.span_enabled()
        && !common.metrics_enabled()
        && let Some(span) = &common.span
    {
        errors.push(
            span.key.span(),
            "with `span = false` and `metrics = false` there is nothing left to observe; remove the attribute",
        );
    }
}

/// The rules of [`validate`] that hold for every attribute built on `#[observed]` (`which`).
pub fn validate_as(args: &Args, func: &Function, which: &str, errors: &mut Errors) {
    let common = &args.common;
    crate::attr::validate_common(common, func, which, errors);

    if !common.metrics_enabled() {
        let metric_only = [
            args.error_kind.as_ref().map(|k| &k.key),
            args.buckets.as_ref().map(|k| &k.key),
        ];
        for key in metric_only.into_iter().flatten() {
            errors.push(
                key.span(),
                format!(
                    "`{key}` configures the framework's metrics, which `metrics = false` turns off; remove one of them"
                ),
            );
        }
    }
    if let Some(buckets) = &args.buckets {
        crate::buckets::check(&buckets.value, "`buckets(...)`", errors);
        for (bound, tokens) in &buckets.value.bounds {
            if *bound <= 0.0 {
                errors.push_spanned(
                    tokens,
                    "a latency bucket bound is a duration in seconds, so it must be positive",
                );
            }
        }
    }

    if let Some(labels) = &args.labels
        && args.duration.is_none()
        && args.calls.is_none()
    {
        errors.push(
            labels.key.span(),
            "`labels` gives label values for `duration = ...` or `calls = ...`; add one of them, or remove `labels`",
        );
    }

    if let Some(stream) = &args.stream {
        let returns_stream =
            matches!(&func.sig.output, syn::ReturnType::Type(_, ty) if is_impl_stream(ty));
        if func.shape(false) == Shape::Async {
            errors.push(
                stream.key.span(),
                "`stream` is for a (non-async) function returning `impl Stream<Item = ...>`; an \
                 `async fn` is observed as a future without it: remove `stream`",
            );
        } else if !returns_stream {
            errors.push(
                stream.key.span(),
                "`stream` observes the stream a function returns, so the return type must be \
                 written `impl Stream<Item = ...>`; remove `stream`, or return `impl Stream`",
            );
        }
    }
}
