//! The server span of a request: kind server, named `{method} {route}` (its `otel.name`), with
//! the semantic conventions' attributes that carry no personal data and no unbounded path:
//! `http.request.method` (and `http.request.method_original` when that is `_OTHER`),
//! `http.route` (the template), `url.scheme`, `server.address`, `server.port`,
//! `network.protocol.version`, and when the response is known `http.response.status_code`; a 5xx
//! (or a service error) sets `error.type` and the span's status to error. The request id is `http.request.header.x-request-id`. Never recorded:
//! `url.path`, `url.query`, `url.full`, `client.address`, `user_agent.original`, bodies.
//!
//! With the `otlp` feature an incoming W3C `traceparent` (and `tracestate`) becomes the span's
//! parent through the `tracing-opentelemetry` bridge, so the request's trace continues here.

use http::{Request, StatusCode, Version};
use tracing::field::Empty;

use super::UrlScheme;
use super::method;

/// The server span of `request`, whose method is `method` (a label index of [`method`]) and
/// route template `route` (`None`: unmatched).
pub(super) fn server_span<B>(
    request: &Request<B>,
    method: usize,
    route: Option<&str>,
    scheme: UrlScheme,
    request_id: &[u8],
) -> tracing::Span {
    // Not `info_span!`'s disabled span, which keeps its metadata: with `tracing`'s `log` feature
    // on (as axum's default features turn it), such a span does work at every enter and exit.
    if !tracing::level_enabled!(tracing::Level::INFO) {
        return tracing::Span::none();
    }
    let method = method::value(method);
    let span = tracing::info_span!(
        target: "obs::http",
        "http.server.request",
        otel.name = Empty,
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method,
        http.request.method_original = Empty,
        http.route = Empty,
        http.response.status_code = Empty,
        url.scheme = scheme.as_str(),
        server.address = Empty,
        server.port = Empty,
        network.protocol.version = protocol_version(request.version()),
        "http.request.header.x-request-id" = std::str::from_utf8(request_id).unwrap_or(""),
        error.type = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    // The conventions' span name: `{method} {route}`, `HTTP` for a method they do not know (whose
    // name is kept apart).
    let method_name = if method == method::OTHER {
        span.record("http.request.method_original", request.method().as_str());
        "HTTP"
    } else {
        method
    };
    match route.filter(|r| !r.is_empty()) {
        Some(route) => {
            span.record("http.route", route);
            span.record("otel.name", format!("{method_name} {route}"));
        }
        None => {
            span.record("otel.name", method_name);
        }
    }
    if let Some((host, port)) = server_address(request) {
        span.record("server.address", host.as_str());
        if let Some(port) = port {
            span.record("server.port", i64::from(port));
        }
    }
    #[cfg(feature = "otlp")]
    if request.headers().contains_key("traceparent") {
        crate::export::set_parent(&span, request.headers());
    }
    span
}

/// Records the response's status on `span`.
pub(super) fn record_status(span: &tracing::Span, status: StatusCode) {
    // As `i64`: the OpenTelemetry bridge takes unsigned integers as text.
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.record("error.type", status.as_str());
        span.record("otel.status_code", "ERROR");
    }
}

/// Records on `span` that the service failed without a response.
pub(super) fn record_failure(span: &tracing::Span) {
    span.record("error.type", "_OTHER");
    span.record("otel.status_code", "ERROR");
}

fn protocol_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "",
    }
}

/// The host (and port) the client addressed: the request target's authority when absolute, else
/// the `Host` header's.
fn server_address<B>(request: &Request<B>) -> Option<(String, Option<u16>)> {
    if let Some(host) = request.uri().host() {
        return Some((host.to_owned(), request.uri().port_u16()));
    }
    let host = request.headers().get(http::header::HOST)?.to_str().ok()?;
    let authority: http::uri::Authority = host.parse().ok()?;
    Some((authority.host().to_owned(), authority.port_u16()))
}
