//! The span of one `#[observed]` call, made from the function's own `tracing` callsite with the
//! checks of `tracing::span!` compiled once here instead of in every annotated function.

use tracing::callsite::{Callsite as _, DefaultCallsite};
use tracing::{Span, Value};

/// The span of a call with no recorded arguments: its two fields (`otel.status_code`, `error`)
/// empty until the call ends.
#[inline]
pub fn span_no_values(callsite: &'static DefaultCallsite) -> Span {
    const NONE: [Option<&dyn Value>; 2] = [None; 2];
    if span_enabled(callsite) {
        span_new(callsite, &NONE)
    } else {
        Span::none()
    }
}

/// Whether a span of `callsite` is to be made. The level checks are inline; asking the
/// subscriber is not.
#[inline]
pub fn span_enabled(callsite: &'static DefaultCallsite) -> bool {
    let level = *callsite.metadata().level();
    level <= tracing::level_filters::STATIC_MAX_LEVEL
        && level <= tracing::level_filters::LevelFilter::current()
        && span_interested(callsite)
}

#[inline(never)]
fn span_interested(callsite: &'static DefaultCallsite) -> bool {
    let interest = callsite.interest();
    !interest.is_never()
        && (interest.is_always()
            || tracing::dispatcher::get_default(|d| d.enabled(callsite.metadata())))
}

/// A new span of `callsite` with one value per field of its metadata, in order (`None`:
/// recorded later, or never).
#[inline(never)]
pub fn span_new(callsite: &'static DefaultCallsite, values: &[Option<&dyn Value>]) -> Span {
    let meta = callsite.metadata();
    let fields = meta.fields();
    debug_assert_eq!(values.len(), fields.len());
    Span::new(meta, &fields.value_set_all(values))
}
