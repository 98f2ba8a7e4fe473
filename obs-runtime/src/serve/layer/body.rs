//! The bodies the layer wraps: the request's, to count its size when no `Content-Length` gave
//! it; the response's, to count its size and to end the request (and its span) when it ends.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::exchange::{Exchange, RequestSize};

pin_project! {
    /// A request body as the layer hands it on: the original, counted as it is read when its
    /// size was not known up front.
    #[derive(Debug)]
    pub struct RequestBody<B> {
        #[pin]
        inner: B,
        counted: Option<Arc<AtomicU64>>,
    }
}

/// How `body`'s size will be known, and the body to hand on.
pub(super) fn request_body<B: Body>(body: B) -> (RequestSize, RequestBody<B>) {
    match body.size_hint().exact() {
        Some(n) => (
            RequestSize::Known(n),
            RequestBody {
                inner: body,
                counted: None,
            },
        ),
        None => {
            let counted = Arc::new(AtomicU64::new(0));
            (
                RequestSize::Counted(counted.clone()),
                RequestBody {
                    inner: body,
                    counted: Some(counted),
                },
            )
        }
    }
}

impl<B: Body> Body for RequestBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if let (Some(counted), Poll::Ready(Some(Ok(frame)))) = (this.counted, &polled)
            && let Some(data) = frame.data_ref()
        {
            counted.fetch_add(data.remaining() as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

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
    /// a streamed body does is traced inside it.
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
                body.poll_frame(cx)
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
