//! The admin route that changes routing: `POST /admin/routes` with `{"model": ..., "target": ...}`
//! (`target` `null` routes the model to itself again), and the admin key in `x-admin-key`. Every
//! attempt is audited, refusals included; the key itself is recorded only as its hash.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use obs_runtime::audit::AuditError;
use obs_runtime::{ErrorKind, audited};
use serde::Deserialize;
use serde_json::json;

use super::app::{Gateway, json};
use super::catalog;
use super::clients::ADMIN_KEY_HEADER;
use super::wire;

/// A routing change.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RouteChange {
    /// The model whose requests move.
    pub(crate) model: String,
    /// Where they go (`None`: to the model itself).
    #[serde(default)]
    pub(crate) target: Option<String>,
}

/// Why a change was refused.
#[derive(Debug, ErrorKind)]
pub(crate) enum AdminError {
    /// The admin key is missing or wrong.
    Unauthorized,
    /// `model` is not a model the gateway knows.
    UnknownModel,
    /// `target` is not a model the gateway knows.
    UnknownTarget,
    /// The change was made but could not be audited (the audit log fails closed).
    Audit(AuditError),
}

impl From<AuditError> for AdminError {
    fn from(e: AuditError) -> Self {
        AdminError::Audit(e)
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AdminError::Unauthorized => "missing or wrong admin key",
            AdminError::UnknownModel => "unknown model",
            AdminError::UnknownTarget => "unknown target model",
            AdminError::Audit(_) => "the change could not be audited",
        })
    }
}

impl std::error::Error for AdminError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AdminError::Audit(e) => Some(e),
            _ => None,
        }
    }
}

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Updated {
    /// Where the model went before.
    pub(crate) previous: &'static str,
    /// Where it goes now.
    pub(crate) now: &'static str,
}

/// Applies `change` when `api_key` is the admin key. Audited, durably, whatever the outcome: the
/// actor is `admin` or `anonymous`, the key only its hash.
#[audited(
    action = "routing.update",
    actor = gateway.admin_key.identify(api_key),
    actor_type = "admin",
    resource(type = "model", id = change.model),
    fields(target = change.target.clone().unwrap_or_default()),
    hash(api_key),
    name = "gateway.admin.update_route",
    error_kind
)]
pub(crate) async fn update_route(
    gateway: &Gateway,
    api_key: &str,
    change: &RouteChange,
) -> Result<Updated, AdminError> {
    if gateway.admin_key.identify(api_key) != "admin" {
        return Err(AdminError::Unauthorized);
    }
    let model = catalog::find(&change.model).ok_or(AdminError::UnknownModel)?;
    let target = match &change.target {
        Some(id) => Some(catalog::find(id).ok_or(AdminError::UnknownTarget)?),
        None => None,
    };
    let previous = gateway.routes.set(model, target);
    Ok(Updated {
        previous: previous.id,
        now: target.unwrap_or(model).id,
    })
}

/// `POST /admin/routes`.
pub(crate) async fn update(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let api_key = headers
        .get(ADMIN_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let change: RouteChange = match serde_json::from_slice(&body) {
        Ok(change) => change,
        Err(e) => {
            let message = format!("Expected {{\"model\": ..., \"target\": ...}}: {e}");
            let error = wire::error(&message, "invalid_request_error", "invalid_request");
            return json(StatusCode::BAD_REQUEST, &error);
        }
    };
    match update_route(&gateway, api_key, &change).await {
        Ok(updated) => json(
            StatusCode::OK,
            &json!({"model": change.model, "previous": updated.previous, "target": updated.now}),
        ),
        Err(e) => {
            let (status, code) = match e {
                AdminError::Unauthorized => (StatusCode::UNAUTHORIZED, "invalid_admin_key"),
                AdminError::UnknownModel | AdminError::UnknownTarget => {
                    (StatusCode::NOT_FOUND, "model_not_found")
                }
                AdminError::Audit(_) => (StatusCode::INTERNAL_SERVER_ERROR, "audit_unavailable"),
            };
            json(
                status,
                &wire::error(&e.to_string(), "invalid_request_error", code),
            )
        }
    }
}
