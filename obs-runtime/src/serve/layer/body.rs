//! The response body the layer wraps, to count its size and to end the request (and its span)
//! when it ends.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::exchange::Exchange;
use super::future::panicked;

pin_project! {
    #[project = InnerProj]
    #[derive(Debug)]
    enum Inner<B> {
        Body { #[pin] body: B },
        Empty,
    }
}

pin_project! {
    /// A response body as the layer hands it back: the service's, counted as it is sent, or an
    /// empty one for the 500 that answers a panic. The request is recorded, and its span
    /// closed, when it ends or is dropped; the span is entered while a frame is polled, so work
    /// a streamed body does is traced inside it. A panic while a frame is polled is counted in
    /// `obs_http_server_panics_total` and unwinds on (the response is cut short).
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        #[pin]
        inner: Inner<B>,
        exchange: Option<Exchange>,
        span: tracing::Span,
    }
}

impl<B> ResponseBody<B> {
    pub(super) fn new(body: B, exchange: Option<Exchange>, span: tracing::Span) -> Self {
        Self {
            inner: Inner::Body { body },
            exchange,
            span,
        }
    }

    pub(super) fn empty(exchange: Option<Exchange>, span: tracing::Span) -> Self {
        Self {
            inner: Inner::Empty,
            exchange,
            span,
        }
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let polled = match this.inner.project() {
            InnerProj::Body { body } => {
                let _entered = this.span.enter();
                match catch_unwind(AssertUnwindSafe(|| body.poll_frame(cx))) {
                    Ok(polled) => polled,
                    // The status line has gone out: the panic cannot be answered, only counted,
                    // and left to unwind, so the server cuts the response short instead of
                    // ending it as if it were complete.
                    Err(panic) => {
                        if let Some(exchange) = this.exchange.as_ref() {
                            panicked(this.span, exchange);
                        }
                        resume_unwind(panic)
                    }
                }
            }
            InnerProj::Empty => Poll::Ready(None),
        };
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(exchange), Some(data)) = (this.exchange.as_mut(), frame.data_ref()) {
                    exchange.response_bytes += data.remaining() as u64;
                }
            }
            Poll::Ready(None) => {
                // The end: record now rather than when the server gets round to dropping us.
                this.exchange.take();
                *this.span = tracing::Span::none();
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Body { body } => body.is_end_stream(),
            Inner::Empty => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Body { body } => body.size_hint(),
            Inner::Empty => SizeHint::with_exact(0),
        }
    }
}
