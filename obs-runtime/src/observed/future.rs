//! Futures of `#[observed]` functions: the span is entered only while the inner future is
//! polled, a panic inside a poll is remembered (the executor may drop the future later, outside
//! the panic), and dropping before completion records `cancelled`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tracing::Span;

use super::call::{Call, CallHook};
use super::outcome::Outcome;

pin_project_lite::pin_project! {
    /// A future of an `#[observed]` function.
    pub struct ObservedFuture<F: Future, H: CallHook, S> {
        #[pin]
        inner: F,
        call: Call<H>,
        span: Span,
        settle: S,
    }
}

impl<F, H, S> ObservedFuture<F, H, S>
where
    F: Future,
    H: CallHook,
    S: Fn(&F::Output, &Span, &Call<H>) -> Outcome,
{
    /// Wraps `inner`, timed from its first poll; `settle` classifies its output (and records
    /// errors on the span) when it completes.
    pub fn new(inner: F, call: Call<H>, span: Span, settle: S) -> Self {
        Self {
            inner,
            call,
            span,
            settle,
        }
    }
}

/// Marks the call as panicked if dropped while unwinding out of a poll.
pub(crate) struct PollGuard<'a, H: CallHook>(pub(crate) &'a Call<H>);

impl<H: CallHook> Drop for PollGuard<'_, H> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.mark_panicked();
        }
    }
}

impl<F, H, S> Future for ObservedFuture<F, H, S>
where
    F: Future,
    H: CallHook,
    S: Fn(&F::Output, &Span, &Call<H>) -> Outcome,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        this.call.begin();
        let _entered = this.span.enter();
        let guard = PollGuard(this.call);
        let poll = this.inner.poll(cx);
        drop(guard);
        if let Poll::Ready(output) = &poll {
            let outcome = (this.settle)(output, this.span, this.call);
            this.call.finish(outcome);
        }
        poll
    }
}

impl<F: Future, H: CallHook, S> std::fmt::Debug for ObservedFuture<F, H, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObservedFuture").finish_non_exhaustive()
    }
}

/// `future` unchanged, with its output type stated: `#[observed]` passes the `Output` a function
/// returning `impl Future` declares, so that the future's type is known before the call is
/// classified by it.
#[inline(always)]
pub fn with_output<T, F: Future<Output = T>>(future: F) -> F {
    future
}
