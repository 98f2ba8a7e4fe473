//! The body of a sync `#[observed]` function.

use tracing::Span;

use super::call::{Call, CallHook};
use super::callsite::CallSite;
use super::outcome::Outcome;

/// Runs a sync `#[observed]` body: times it, enters `span` around it, and classifies the result
/// with `settle`. A panic is recorded by the call guard while unwinding.
#[inline]
pub fn observe_sync<R, H: CallHook>(
    site: Option<&'static CallSite>,
    hook: H,
    span: Span,
    body: impl FnOnce() -> R,
    settle: impl FnOnce(&R, &Span, &Call<H>) -> Outcome,
) -> R {
    let call = Call::start_with(site, hook);
    let _entered = span.enter();
    let result = body();
    call.finish(settle(&result, &span, &call));
    result
}
