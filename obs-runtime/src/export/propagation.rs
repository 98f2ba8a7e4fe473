//! W3C trace context (`traceparent` / `tracestate`) across services: inject the current span's
//! context into outgoing headers (by hand, or for every request of an HTTP client through
//! [`TraceContextLayer`]), and make an incoming request's context the parent of a span (the HTTP
//! server layer, `serve::HttpLayer`, does this for every request).

use std::collections::HashMap;
use std::task::{Context, Poll};

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Headers or any string map that carries trace context.
pub trait Carrier {
    /// Sets `key` to `value`.
    fn set(&mut self, key: &str, value: String);
    /// The value of `key`.
    fn get(&self, key: &str) -> Option<&str>;
    /// Every key.
    fn keys(&self) -> Vec<&str>;
}

impl Carrier for HashMap<String, String> {
    fn set(&mut self, key: &str, value: String) {
        self.insert(key.to_owned(), value);
    }
    fn get(&self, key: &str) -> Option<&str> {
        HashMap::get(self, key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        HashMap::keys(self).map(String::as_str).collect()
    }
}

impl Carrier for http::HeaderMap {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(key.as_bytes()),
            http::header::HeaderValue::from_str(&value),
        ) {
            self.insert(name, value);
        }
    }
    fn get(&self, key: &str) -> Option<&str> {
        http::HeaderMap::get(self, key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        http::HeaderMap::keys(self).map(|k| k.as_str()).collect()
    }
}

struct Inject<'a, C: ?Sized>(&'a mut C);
impl<C: Carrier + ?Sized> Injector for Inject<'_, C> {
    fn set(&mut self, key: &str, value: String) {
        self.0.set(key, value);
    }
}

struct Extract<'a, C: ?Sized>(&'a C);
impl<C: Carrier + ?Sized> Extractor for Extract<'_, C> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys()
    }
}

/// Writes `span`'s trace context into `carrier` (`traceparent`, and `tracestate` when set).
pub fn inject(span: &tracing::Span, carrier: &mut impl Carrier) {
    TraceContextPropagator::new().inject_context(&span.context(), &mut Inject(carrier));
}

/// Writes the current span's trace context into `carrier`, for an outgoing request.
pub fn inject_current(carrier: &mut impl Carrier) {
    inject(&tracing::Span::current(), carrier);
}

/// The trace context an incoming request carries (empty when it carries none or a malformed one).
pub fn extract(carrier: &impl Carrier) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&Extract(carrier))
}

/// Makes the trace in `carrier` the parent of `span`, so the request's trace continues; returns
/// whether the carrier held a valid context.
pub fn set_parent(span: &tracing::Span, carrier: &impl Carrier) -> bool {
    use opentelemetry::trace::TraceContextExt;
    let cx = extract(carrier);
    let valid = cx.span().span_context().is_valid();
    valid && span.set_parent(cx).is_ok()
}

/// Writes the current span's trace context into `request`'s headers (replacing any already
/// there), for an outgoing HTTP call.
pub fn inject_request<B>(request: &mut http::Request<B>) {
    inject_current(request.headers_mut());
}

/// A tower layer for HTTP clients: every request sent through it carries the trace context of
/// the span current when it is sent (`traceparent`, and `tracestate` when set), so the server
/// it calls continues the trace.
///
/// ```
/// use obs_runtime::export::{TraceContext, TraceContextLayer};
/// use tower_layer::Layer;
///
/// /// `client`: any tower service that sends `http::Request`s (a hyper-util client, say).
/// fn traced<C>(client: C) -> TraceContext<C> {
///     TraceContextLayer.layer(client)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceContextLayer;

impl<S> tower_layer::Layer<S> for TraceContextLayer {
    type Service = TraceContext<S>;

    fn layer(&self, inner: S) -> TraceContext<S> {
        TraceContext { inner }
    }
}

/// An HTTP client service that [`TraceContextLayer`] made: injects the current span's trace
/// context into each request, then sends it through the service it wraps.
#[derive(Debug, Clone)]
pub struct TraceContext<S> {
    inner: S,
}

impl<S, B> tower_service::Service<http::Request<B>> for TraceContext<S>
where
    S: tower_service::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> S::Future {
        inject_request(&mut request);
        self.inner.call(request)
    }
}
