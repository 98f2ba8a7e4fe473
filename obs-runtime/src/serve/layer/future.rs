//! The future of one request through the layer: the service's future, polled inside the server
//! span and, unless told otherwise, inside `catch_unwind`, so a panicking handler is answered 500
//! and counted instead of tearing down the connection.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Response, StatusCode};
use pin_project_lite::pin_project;

use super::body::ResponseBody;
use super::exchange::Exchange;
use super::families::STORAGE;
use super::request_id::REQUEST_ID_HEADER;
use super::span;

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Running { #[pin] future: F },
        /// The service panicked in `call`, before there was a future.
        CallPanicked,
        Done,
    }
}

pin_project! {
    /// The response future of [`HttpService`](super::HttpService).
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
        exchange: Option<Exchange>,
        span: tracing::Span,
        request_id: Option<HeaderValue>,
        catch_panics: bool,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl<F> ResponseFuture<F> {
    /// The future of a request: `called` is what the service's `call` gave, or its panic.
    pub(super) fn new(
        called: Result<F, Box<dyn Any + Send>>,
        exchange: Exchange,
        span: tracing::Span,
        request_id: HeaderValue,
        catch_panics: bool,
    ) -> Self {
        let state = match called {
            Ok(future) => State::Running { future },
            Err(panic) => {
                panicked(&span, &exchange);
                if !catch_panics {
                    drop(exchange);
                    resume_unwind(panic);
                }
                State::CallPanicked
            }
        };
        Self {
            state,
            exchange: Some(exchange),
            span,
            request_id: Some(request_id),
            catch_panics,
        }
    }
}

/// Counts a panic of the handler of `exchange`'s route, and says so on `span`.
pub(super) fn panicked(span: &tracing::Span, exchange: &Exchange) {
    STORAGE.panicked(exchange.route());
    span.in_scope(|| {
        tracing::error!(target: "obs::http", "the handler panicked");
    });
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let result = match this.state.as_mut().project() {
            StateProj::Running { future } => {
                let polled = {
                    let _entered = this.span.enter();
                    catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
                };
                match polled {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(result)) => Some(result),
                    Err(panic) => {
                        if let Some(exchange) = this.exchange.as_ref() {
                            panicked(this.span, exchange);
                        }
                        if !*this.catch_panics {
                            this.state.set(State::Done);
                            resume_unwind(panic);
                        }
                        None
                    }
                }
            }
            StateProj::CallPanicked => None,
            StateProj::Done => panic!("obs HttpService's ResponseFuture polled after it completed"),
        };
        this.state.set(State::Done);
        let mut exchange = this.exchange.take();
        let span = std::mem::replace(this.span, tracing::Span::none());
        let request_id = this.request_id.take();
        let mut response = match result {
            Some(Ok(response)) => {
                span::record_status(&span, response.status());
                if let Some(exchange) = exchange.as_mut() {
                    exchange.set_status(response.status().as_u16());
                }
                response.map(|body| ResponseBody::new(body, exchange, span))
            }
            Some(Err(error)) => {
                span::record_failure(&span);
                // Recorded now, without a status: there is no response.
                drop(exchange);
                return Poll::Ready(Err(error));
            }
            None => {
                let status = StatusCode::INTERNAL_SERVER_ERROR;
                span::record_status(&span, status);
                if let Some(exchange) = exchange.as_mut() {
                    exchange.set_status(status.as_u16());
                }
                let mut response = Response::new(ResponseBody::empty(exchange, span));
                *response.status_mut() = status;
                response
            }
        };
        if let Some(id) = request_id {
            response
                .headers_mut()
                .entry(REQUEST_ID_HEADER)
                .or_insert(id);
        }
        Poll::Ready(Ok(response))
    }
}
