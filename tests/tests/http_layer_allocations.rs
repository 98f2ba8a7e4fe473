//! What the HTTP server layer costs a request in heap allocations, counted by this test binary's
//! allocator: a request through an axum router with [`HttpLayer`] against the same router bare,
//! on one thread. Allocations are most of a layer's per-request cost (the benchmark's profile:
//! `malloc`/`free` and the copies of what they hold), so the count is kept down by a test rather
//! than by a timed assertion.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderValue, Request};
use obs_runtime::serve::HttpLayer;
use obs_tests::allocations;
use tower::ServiceExt;

#[global_allocator]
static ALLOCATOR: allocations::Counting = allocations::Counting;

async fn item() -> &'static str {
    "{\"id\":42}"
}

/// Allocations of one `GET /items/42` through `router`, body read to the end, with the headers
/// `curl` sends and `request_id` as `x-request-id` (the request is made before counting starts).
async fn allocations_of(router: &Router, request_id: Option<&'static str>) -> u64 {
    let mut request = Request::get("/items/42")
        .header("host", "127.0.0.1:3000")
        .header("user-agent", "curl/8.5.0")
        .header("accept", "*/*");
    if let Some(id) = request_id {
        // As a server parses it: a view into the request's buffer, cheap to clone.
        let id = HeaderValue::from_maybe_shared(Bytes::from_static(id.as_bytes())).unwrap();
        request = request.header("x-request-id", id);
    }
    let request = request.body(Body::empty()).unwrap();
    let router = router.clone();
    let before = allocations::so_far();
    let response = router.oneshot(request).await.unwrap();
    assert!(response.status().is_success());
    let id = response.headers().get("x-request-id").cloned();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let after = allocations::so_far();
    assert_eq!(&body[..], b"{\"id\":42}");
    if let (Some(sent), Some(echoed)) = (request_id, id) {
        assert_eq!(echoed, sent);
    }
    after - before
}

/// axum's own price for any layer applied with `Router::layer`, per request (seen in the
/// allocations' backtraces): the layered route's service cloned out of its boxes and made into a
/// route again, its future boxed, and the layer's response body boxed into axum's `Body`.
/// `tower-http`'s `TraceLayer` pays the same.
const AXUM_LAYER_ALLOCATIONS: u64 = 5;

#[test]
fn the_layer_allocates_only_what_axum_makes_every_layer_allocate_and_a_made_id() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bare = Router::new().route("/items/{id}", get(item));
    let layered = bare.clone().layer(HttpLayer::new());
    let traced = bare
        .clone()
        .layer(tower_http::trace::TraceLayer::new_for_http());
    rt.block_on(async {
        // The first requests make the layer's series, this thread's shards and the runtime's
        // buffers.
        for _ in 0..3 {
            allocations_of(&bare, None).await;
            allocations_of(&layered, None).await;
            allocations_of(&traced, None).await;
        }
        let bare_count = allocations_of(&bare, None).await;
        let traced_count = allocations_of(&traced, None).await;
        assert_eq!(
            traced_count - bare_count,
            AXUM_LAYER_ALLOCATIONS,
            "the yardstick moved"
        );
        // A client's id: nothing beyond axum's share.
        let kept = allocations_of(&layered, Some("req-42")).await;
        assert_eq!(kept - bare_count, AXUM_LAYER_ALLOCATIONS);
        // A made id: one more, shared by the request's header and the response's.
        let made = allocations_of(&layered, None).await;
        assert_eq!(made - bare_count, AXUM_LAYER_ALLOCATIONS + 1);
    });
}
