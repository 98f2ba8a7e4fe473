//! W3C trace context (`traceparent` / `tracestate`) across services: inject the current span's
//! context into outgoing headers, and make an incoming request's context the parent of a span.

use std::collections::HashMap;

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
