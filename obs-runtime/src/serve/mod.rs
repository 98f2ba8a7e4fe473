//! Serving HTTP: the endpoints obs answers itself, and the layer that records every request of a
//! service's own HTTP server.
//!
//! - [`router`] and [`Server`]: `/metrics` (content-negotiated Prometheus text or OpenMetrics,
//!   gzip when asked), `/health` (the detailed report), `/health/live` and `/health/ready`, on
//!   axum, because its `Router` is what most tokio services already route with: mount [`router`]
//!   into an existing app (`app.merge(obs_runtime::serve::router(..))`), or hand it to any hyper
//!   server as a tower service; [`Server`] runs it standalone.
//! - [`HttpLayer`]: a `tower::Layer` for a service's own routes (axum's `Router::layer`, or any
//!   tower HTTP service): a server span per request that continues an incoming W3C
//!   `traceparent` (with the `otlp` feature), the semantic conventions' `http.server.*` metrics
//!   by method, route template and status code, a request id, and handler panics answered 500
//!   and counted. See [`layer`](mod@layer) for what is recorded and what never is.

mod endpoints;
pub mod layer;

pub use endpoints::{ServeError, Server, router};
pub use layer::{HttpLayer, HttpService, UrlScheme};
