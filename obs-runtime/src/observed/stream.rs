//! Streams of `#[observed(stream)]` functions, and the per-item hook other attributes build on
//! (`#[llm_call]`: time to first chunk, time per chunk, usage in the final chunk).
//!
//! The call begins at the stream's first poll and ends exactly once:
//!
//! - the stream ends: `ok`;
//! - an item fails the call ([`ItemHook::fails`]; for a stream of `Result`s, the first `Err`
//!   item, chosen by type as `item_outcome.rs` says): `error`, timed to that item. The items
//!   after it still reach the consumer, unobserved;
//! - the stream is dropped before either: `cancelled` (`panic` when a poll panicked).
//!
//! When the call ends, the hook's [`ItemHook::on_end`] runs and the span closes (it is not kept
//! open until the stream is dropped).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tracing::Span;

use super::call::{self, Call, CallHook, NoHook};
use super::future::PollGuard;
use super::outcome::Outcome;

/// When a stream item arrived, on the monotonic clock the call is timed with: raw clock
/// readings, turned into nanoseconds only for what a hook asks (the scaling is a 128-bit
/// multiplication, a few nanoseconds per item).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemTiming {
    index: u64,
    start: u64,
    previous: u64,
    now: u64,
}

impl ItemTiming {
    /// The item's position: 0 for the first.
    #[inline(always)]
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Nanoseconds since the call began (the stream's first poll): for the first item, the time
    /// to first chunk.
    #[inline(always)]
    pub fn since_start_nanos(&self) -> u64 {
        call::nanos_between(self.start, self.now)
    }

    /// Nanoseconds since the previous item (since the start, for the first): the inter-chunk
    /// time.
    #[inline(always)]
    pub fn since_previous_nanos(&self) -> u64 {
        call::nanos_between(self.previous, self.now)
    }

    /// The time since the previous item in the clock's raw units (see `call::raw_bounds`).
    #[inline(always)]
    pub(crate) fn since_previous_raw(&self) -> u64 {
        call::raw_between(self.previous, self.now)
    }
}

/// What a stream's items are observed with, on top of the call itself.
///
/// The tuple `(A, B)` runs both hooks, `A` first: `#[observed]` passes its item classification
/// and an attribute such as `#[llm_call]` adds its own hook beside it.
pub trait ItemHook<T> {
    /// Whether [`ItemHook::on_item`] reads its timing; `false` spares the clock reads per item
    /// (the timing's nanoseconds are then 0).
    const TIMED: bool;

    /// Whether `item` fails the call: it then ends as `error` at this item. Records the failure
    /// on `span`. Never fails by default.
    #[inline(always)]
    fn fails(&mut self, item: &T, span: &Span) -> bool {
        let _ = (item, span);
        false
    }

    /// Called with each item that does not fail the call, before the consumer gets it.
    #[inline(always)]
    fn on_item(&mut self, item: &T, timing: ItemTiming) {
        let _ = (item, timing);
    }

    /// Called once when the call ends, with its outcome and its duration in nanoseconds (0
    /// unless a hook is [`TIMED`](ItemHook::TIMED)), while `span` is still open.
    #[inline(always)]
    fn on_end(&mut self, outcome: Outcome, nanos: u64, span: &Span) {
        let _ = (outcome, nanos, span);
    }
}

/// No item hook: observing the stream costs nothing per item.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoItemHook;

impl<T> ItemHook<T> for NoItemHook {
    const TIMED: bool = false;
}

impl<T, A: ItemHook<T>, B: ItemHook<T>> ItemHook<T> for (A, B) {
    const TIMED: bool = A::TIMED || B::TIMED;

    #[inline]
    fn fails(&mut self, item: &T, span: &Span) -> bool {
        self.0.fails(item, span) | self.1.fails(item, span)
    }

    #[inline]
    fn on_item(&mut self, item: &T, timing: ItemTiming) {
        self.0.on_item(item, timing);
        self.1.on_item(item, timing);
    }

    #[inline]
    fn on_end(&mut self, outcome: Outcome, nanos: u64, span: &Span) {
        self.0.on_end(outcome, nanos, span);
        self.1.on_end(outcome, nanos, span);
    }
}

pin_project_lite::pin_project! {
    /// A stream returned by an `#[observed(stream)]` function (see the module docs for when its
    /// call ends and how).
    pub struct ObservedStream<S, H: CallHook = NoHook, I = NoItemHook>
    where
        S: Stream,
        I: ItemHook<S::Item>,
    {
        #[pin]
        inner: S,
        call: Call<H>,
        span: Span,
        items: I,
        count: u64,
        previous: u64,
        ended: bool,
    }

    impl<S, H, I> PinnedDrop for ObservedStream<S, H, I>
    where
        S: Stream,
        H: CallHook,
        I: ItemHook<S::Item>,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.ended
                && let Some(outcome) = this.call.unfinished_outcome()
            {
                let nanos = elapsed::<H, I, S::Item>(this.call);
                this.items.on_end(outcome, nanos, this.span);
            }
        }
    }
}

/// Nanoseconds since `call` began, if an item hook is timed (else the start was maybe not read).
#[inline]
fn elapsed<H: CallHook, I: ItemHook<T>, T>(call: &Call<H>) -> u64 {
    if I::TIMED {
        call::nanos_between(call.started_at(), call::now())
    } else {
        0
    }
}

impl<S: Stream, H: CallHook> ObservedStream<S, H> {
    /// Wraps `inner`, timed from its first poll, with no item hook: every item is `ok`.
    pub fn new(inner: S, call: Call<H>, span: Span) -> Self {
        Self::with_item_hook(inner, call, span, NoItemHook)
    }
}

impl<S: Stream, H: CallHook, I: ItemHook<S::Item>> ObservedStream<S, H, I> {
    /// Wraps `inner`, timed from its first poll, observing each item with `items`.
    pub fn with_item_hook(inner: S, call: Call<H>, span: Span, items: I) -> Self {
        Self {
            inner,
            call,
            span,
            items,
            count: 0,
            previous: 0,
            ended: false,
        }
    }
}

impl<S, H, I> Stream for ObservedStream<S, H, I>
where
    S: Stream,
    H: CallHook,
    I: ItemHook<S::Item>,
{
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        if *this.ended {
            return this.inner.poll_next(cx);
        }
        if this.call.is_pending() {
            this.call.begin_timed(I::TIMED);
        }
        let poll = {
            let _entered = this.span.enter();
            let guard = PollGuard(this.call);
            let poll = this.inner.poll_next(cx);
            drop(guard);
            poll
        };
        let outcome = match &poll {
            Poll::Pending => return poll,
            Poll::Ready(None) => Outcome::Ok,
            Poll::Ready(Some(item)) => {
                if !this.items.fails(item, this.span) {
                    let index = *this.count;
                    let timing = if I::TIMED {
                        let now = call::now();
                        let start = this.call.started_at();
                        let previous = if index == 0 { start } else { *this.previous };
                        *this.previous = now;
                        ItemTiming {
                            index,
                            start,
                            previous,
                            now,
                        }
                    } else {
                        ItemTiming {
                            index,
                            start: 0,
                            previous: 0,
                            now: 0,
                        }
                    };
                    this.items.on_item(item, timing);
                    *this.count += 1;
                    return poll;
                }
                Outcome::Error
            }
        };
        *this.ended = true;
        this.items
            .on_end(outcome, elapsed::<H, I, S::Item>(this.call), this.span);
        this.call.finish(outcome);
        *this.span = Span::none();
        poll
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<S: Stream, H: CallHook, I: ItemHook<S::Item>> std::fmt::Debug for ObservedStream<S, H, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObservedStream").finish_non_exhaustive()
    }
}
