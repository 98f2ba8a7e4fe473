//! The endpoints obs answers itself: `/metrics` (content-negotiated Prometheus text or
//! OpenMetrics, gzip when asked), `/health`, `/health/live` and `/health/ready`; and the
//! standalone [`Server`] that runs them.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::expose::Format;
use crate::health::{Health, HealthStatus};
use crate::metrics::Registry;

/// What the endpoints serve.
#[derive(Clone, Debug)]
struct Endpoints {
    registry: &'static Registry,
    health: Arc<Health>,
}

/// The `/metrics`, `/health`, `/health/live` and `/health/ready` routes over `registry` and
/// `health`.
///
/// `health`'s own families (every check's state, the aggregate status) join `registry`, so
/// `/metrics` shows them; should `registry` already hold families of those names (another
/// [`Health`]'s), that is reported as a `tracing` error event with target `obs` and the routes
/// are served all the same.
pub fn router(registry: &'static Registry, health: Arc<Health>) -> axum::Router {
    if let Err(error) = health.register_metrics(registry) {
        tracing::error!(
            target: "obs",
            error = &error as &dyn std::error::Error,
            "obs: health families not registered"
        );
    }
    axum::Router::new()
        .route("/metrics", get(metrics))
        .route("/health", get(ready))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(Endpoints { registry, health })
}

/// `?format=text` or `?format=openmetrics` overrides the `Accept` header (for scrapers that
/// cannot set it).
#[derive(Debug, serde::Deserialize)]
struct MetricsQuery {
    format: Option<String>,
}

async fn metrics(
    State(endpoints): State<Endpoints>,
    Query(query): Query<MetricsQuery>,
    headers: HeaderMap,
) -> Response {
    let format = match query.format.as_deref() {
        Some("text") => Format::Text,
        Some("openmetrics") => Format::OpenMetrics,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("unknown format `{other}`; use `text` or `openmetrics`\n"),
            )
                .into_response();
        }
        None => Format::from_accept(header_str(&headers, header::ACCEPT)),
    };
    let body = endpoints.registry.encode(format);
    let mut response_headers = HeaderMap::new();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response_headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    if accepts_gzip(header_str(&headers, header::ACCEPT_ENCODING)) {
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::fast(),
        );
        if encoder.write_all(body.as_bytes()).is_ok()
            && let Ok(compressed) = encoder.finish()
        {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            return (response_headers, compressed).into_response();
        }
    }
    (response_headers, body).into_response()
}

async fn live() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        "{\"status\":\"healthy\"}",
    )
        .into_response()
}

/// The detailed report (version, uptime, every check's status, latency, last check time and
/// details): 200 while healthy or degraded, 503 when unhealthy. `/health` and `/health/ready`.
async fn ready(State(endpoints): State<Endpoints>) -> Response {
    let report = endpoints.health.report().await;
    let status = match report.status {
        HealthStatus::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
        HealthStatus::Healthy | HealthStatus::Degraded => StatusCode::OK,
    };
    let body = serde_json::to_string(&report).unwrap_or_else(|e| {
        format!("{{\"status\":\"unhealthy\",\"error\":\"report not serialisable: {e}\"}}")
    });
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Whether an `Accept-Encoding` header accepts gzip (with a non-zero quality).
fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        (name.eq_ignore_ascii_case("gzip") || name == "*")
            && parts.all(|p| match p.split_once('=') {
                Some(("q", q)) => q.trim().parse::<f32>().is_ok_and(|q| q > 0.0),
                _ => true,
            })
    })
}

/// Why the server could not start; the source is the OS error.
#[derive(Debug)]
pub enum ServeError {
    /// The address could not be bound (in use, not local, no permission).
    Bind {
        /// The address asked for.
        addr: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bind { addr, .. } => write!(f, "cannot listen on {addr}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind { source, .. } => Some(source),
        }
    }
}

/// A running standalone server; dropping it (or [`Server::shutdown`]) stops it.
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Binds `addr` (`127.0.0.1:0` picks a free port) and serves `router` on it in a task of
    /// the current tokio runtime.
    pub async fn bind(addr: &str, router: axum::Router) -> Result<Self, ServeError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind {
                addr: addr.to_owned(),
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self {
            local_addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("br, gzip;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip(""));
    }
}
