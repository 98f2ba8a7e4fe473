//! The body of a sync `#[observed]` function.

use tracing::Span;

use super::call::{Call, CallHook};
use super::callsite::CallSite;
use super::outcome::Outcome;

/// Runs a sync `#[observed]` body: times it, enters `span` around it, and classifies the result
/// with `settle`. A panic is recorded by the call guard while unwinding. Always inlined, so the
/// hook is built where the guard holds it.
#[inline(always)]
pub fn observe_sync<R, H: CallHook>(
    site: Option<&'static CallSite>,
    hook: H,
    span: Span,
    body: impl FnOnce() -> R,
    settle: impl FnOnce(&R, &Span, &Call<H>) -> Outcome,
) -> R {
    // Made in place and begun there: `Call::start_with` would return the guard after timing
    // started, a copy of the guard and its hook on every call.
    let call = Call::pending_with(site, hook);
    call.begin();
    let _entered = span.enter();
    let result = body();
    call.finish(settle(&result, &span, &call));
    result
}
