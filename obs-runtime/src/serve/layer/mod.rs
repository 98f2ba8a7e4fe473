//! The HTTP server layer: [`HttpLayer`], a `tower::Layer` that records every request of the
//! service it wraps.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use obs_runtime::serve::HttpLayer;
//!
//! let app: Router = Router::new()
//!     .route("/v1/models/{id}", get(|| async { "{}" }))
//!     .layer(HttpLayer::new());
//! ```
//!
//! Per request:
//!
//! - a server span (see [the span](self#the-span)), entered while the service's future and the
//!   response body are polled, so the handler's own spans (`#[observed]`, `#[llm_call]`) are its
//!   children; with the `otlp` feature it continues an incoming W3C `traceparent`;
//! - the semantic conventions' `http.server.*` metrics by method, route template, status code and
//!   scheme (see [the metrics](self#the-metrics)), recorded when the response body ends (or is
//!   dropped: a client that disconnects mid-stream still counts, with what was sent); a request
//!   that got no response (the service returned an error, or the client left before the
//!   response was ready) is recorded without a status code;
//! - a request id: the client's `x-request-id` when well formed (1 to 128 characters of
//!   `[A-Za-z0-9._-]`), else a new random UUID, which replaces it on the request (so the handler
//!   and its outgoing calls see it); on the span and echoed on the response; never a label;
//! - a handler that panics (in `call` or while its future is polled) is counted in
//!   `obs_http_server_panics_total{http_route}` and answered `500` with an empty body, so one
//!   bad request does not tear down the connection; [`HttpLayer::catch_panics`]`(false)` counts
//!   the panic and lets it unwind instead. A panic while the response body is being streamed is
//!   counted too, then unwinds: the status line has gone out already, so the server cuts the
//!   response short rather than end it as if it were complete.
//!
//! # The route template
//!
//! With axum, apply the layer with `Router::layer` (not around the router from outside): axum
//! then puts the matched route's template (`MatchedPath`) on the request before the layer sees
//! it. Elsewhere, give [`HttpLayer::route_fn`]. A request that matches no route (axum's
//! fallback, or `None` from the function) has no `http.route`: an empty label value, never the
//! raw path. At most [`MAX_ROUTES`] templates are kept; more go to one overflow value.
//!
//! # The span
//!
//! Target `obs::http`, level `INFO`, named `{method} {route}` through `otel.name`, kind server:
//! `http.request.method` (the known methods, else `_OTHER`; the list is RFC 9110's methods and
//! PATCH, or the one [`KNOWN_METHODS_ENV`] gives), `http.route`, `url.scheme`,
//! `server.address` and `server.port` (from the `Host` header), `network.protocol.version`,
//! `http.request.header.x-request-id`, then `http.response.status_code`; a 5xx sets `error.type`
//! to the code and the span status to error. No path, query, full URL, client address, user
//! agent or body is ever recorded.
//!
//! # The metrics
//!
//! See [`http_server_families`]: `http_server_request_duration_seconds`,
//! `http_server_active_requests`, `http_server_request_body_size_bytes`,
//! `http_server_response_body_size_bytes` (pushed over OTLP as `http.server.*` in `s`,
//! `{request}` and `By`), and `obs_http_server_panics_total`. They are process-wide: every
//! [`HttpLayer`] of the process records into them, and they join the global registry when the
//! first layer is made.
//!
//! A request's body size is its `Content-Length` (the body's exact size hint); a request with a
//! chunked body is not counted in `http_server_request_body_size_bytes` (never counted as 0).
//! The request goes to the inner service unwrapped, since a wrapper would cost axum one more
//! boxed body per request; the conventions make both body-size metrics opt-in. The response body
//! is counted as it is sent, whatever its headers say.

mod body;
mod exchange;
mod families;
mod future;
mod method;
pub mod request_id;
mod route;
mod scheme;
mod span;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Method, Request, Response};
use tower_layer::Layer;
use tower_service::Service;

pub use body::ResponseBody;
pub use families::{
    BODY_SIZE_BUCKETS, DURATION_BUCKETS, MAX_ROUTES, UNMATCHED_ROUTE, http_server_families,
};
pub use future::ResponseFuture;
pub use method::{KNOWN_METHODS_ENV, MAX_KNOWN};
pub use request_id::REQUEST_ID_HEADER;
pub use route::RouteFn;
pub use scheme::UrlScheme;

use exchange::Exchange;
use families::{Key, STORAGE};

/// How the layer's services record.
#[derive(Clone)]
struct Config {
    scheme: UrlScheme,
    route_fn: Option<Arc<RouteFn>>,
    catch_panics: bool,
}

/// The layer: wraps a service in an [`HttpService`]. Cheap to clone.
#[derive(Clone)]
pub struct HttpLayer {
    config: Arc<Config>,
}

impl std::fmt::Debug for HttpLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpLayer")
            .field("scheme", &self.config.scheme)
            .field("route_fn", &self.config.route_fn.is_some())
            .field("catch_panics", &self.config.catch_panics)
            .finish()
    }
}

impl Default for HttpLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpLayer {
    /// A layer for a plain-HTTP server that takes route templates from axum, catches panics, and
    /// records into the process-wide families (joining them to the global registry, once).
    pub fn new() -> Self {
        families::ensure_registered();
        Self {
            config: Arc::new(Config {
                scheme: UrlScheme::Http,
                route_fn: None,
                catch_panics: true,
            }),
        }
    }

    /// The scheme the server's clients use (`url.scheme`): [`UrlScheme::Https`] for a server
    /// that terminates TLS, or sits behind a proxy that does.
    pub fn scheme(mut self, scheme: UrlScheme) -> Self {
        Arc::make_mut(&mut self.config).scheme = scheme;
        self
    }

    /// The route template of requests that carry no axum `MatchedPath`: `route` gets the method
    /// and path and returns the template of the route they match (`/v1/models/{id}`), or `None`.
    pub fn route_fn(
        mut self,
        route: impl Fn(&Method, &str) -> Option<&'static str> + Send + Sync + 'static,
    ) -> Self {
        Arc::make_mut(&mut self.config).route_fn = Some(Arc::new(route));
        self
    }

    /// Whether a handler's panic is answered `500` (the default), or counted and then left to
    /// unwind.
    pub fn catch_panics(mut self, catch: bool) -> Self {
        Arc::make_mut(&mut self.config).catch_panics = catch;
        self
    }
}

impl<S> Layer<S> for HttpLayer {
    type Service = HttpService<S>;

    fn layer(&self, inner: S) -> HttpService<S> {
        HttpService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// A service with [`HttpLayer`]'s recording around it.
#[derive(Clone)]
pub struct HttpService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> std::fmt::Debug for HttpService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpService").finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for HttpService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: http_body::Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let start = crate::observed::call::now();
        let config = &*self.config;
        let method = method::index(request.method());
        let request_id = request_id::take_or_make(request.headers_mut());
        let (route, span) = {
            let template = route::template(&request, config.route_fn.as_deref());
            let span = span::server_span(
                &request,
                method,
                template,
                config.scheme,
                request_id.as_bytes(),
            );
            (STORAGE.route(template), span)
        };
        // The request is handed on as it came (no body wrapper, which axum would box again): its
        // size is its `Content-Length`, the body's exact size hint.
        let request_size = http_body::Body::size_hint(request.body()).exact();
        let key = Key {
            route,
            block: families::block(config.scheme, method),
            status: 0,
        };
        let exchange = Exchange::start(key, start, request_size);
        let called = {
            let _entered = span.enter();
            catch_unwind(AssertUnwindSafe(|| self.inner.call(request)))
        };
        ResponseFuture::new(called, exchange, span, request_id, config.catch_panics)
    }
}
