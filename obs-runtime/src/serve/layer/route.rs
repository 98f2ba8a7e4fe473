//! The route template of a request, which is what `http.route` and the metrics carry (never the
//! raw path): axum's `MatchedPath` when the request went through an axum router and matched a
//! route there, else what the layer's route function makes of the method and path, else none
//! (unmatched).

use axum::extract::MatchedPath;
use http::{Method, Request};

/// A function from a request's method and path to the template of the route it matches
/// (`/v1/models/{id}`), or `None` when it matches none.
pub type RouteFn = dyn Fn(&Method, &str) -> Option<&'static str> + Send + Sync;

/// The route template of `request`.
#[inline]
pub(super) fn template<'a, B>(
    request: &'a Request<B>,
    route_fn: Option<&RouteFn>,
) -> Option<&'a str> {
    if let Some(matched) = request.extensions().get::<MatchedPath>() {
        return Some(matched.as_str());
    }
    route_fn.and_then(|route| route(request.method(), request.uri().path()))
}
