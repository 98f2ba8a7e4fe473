//! Routing by model: each model goes to the provider that serves it, unless an administrator
//! rerouted it to another model (during a provider's incident, say; see [`admin`](super::admin)).

use std::collections::BTreeMap;
use std::sync::RwLock;

use obs_runtime::{ErrorKind, observed};

use super::catalog::{self, Model};

/// Why a request cannot be routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ErrorKind)]
pub(crate) enum RouteError {
    /// No provider serves the model.
    UnknownModel,
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no provider serves this model")
    }
}

impl std::error::Error for RouteError {}

/// The routing table: the administrators' overrides (model asked for → model served).
#[derive(Debug, Default)]
pub(crate) struct Routes {
    overrides: RwLock<BTreeMap<&'static str, &'static Model>>,
}

impl Routes {
    /// Routes `model` to `target` from now on (`None`: to itself again); returns the previous
    /// target.
    pub(crate) fn set(
        &self,
        model: &'static Model,
        target: Option<&'static Model>,
    ) -> &'static Model {
        let mut overrides = self.overrides.write().unwrap_or_else(|p| p.into_inner());
        let previous = match target {
            Some(target) if target.id != model.id => overrides.insert(model.id, target),
            _ => overrides.remove(model.id),
        };
        previous.unwrap_or(model)
    }

    /// Where `model` goes now.
    pub(crate) fn target(&self, model: &'static Model) -> &'static Model {
        let overrides = self.overrides.read().unwrap_or_else(|p| p.into_inner());
        overrides.get(model.id).copied().unwrap_or(model)
    }
}

/// The model that serves a request for `requested`.
#[observed(name = "gateway.route", record(requested), error_kind)]
pub(crate) fn route(routes: &Routes, requested: &str) -> Result<&'static Model, RouteError> {
    let model = catalog::find(requested).ok_or(RouteError::UnknownModel)?;
    Ok(routes.target(model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_reroute_and_reset() {
        let routes = Routes::default();
        let mini = catalog::find("gpt-4o-mini").unwrap();
        let haiku = catalog::find("claude-haiku-4-5").unwrap();
        assert_eq!(route(&routes, "gpt-4o-mini").unwrap().id, "gpt-4o-mini");
        assert_eq!(route(&routes, "nope"), Err(RouteError::UnknownModel));
        assert_eq!(routes.set(mini, Some(haiku)).id, "gpt-4o-mini");
        assert_eq!(
            route(&routes, "gpt-4o-mini").unwrap().id,
            "claude-haiku-4-5"
        );
        assert_eq!(routes.set(mini, None).id, "claude-haiku-4-5");
        assert_eq!(route(&routes, "gpt-4o-mini").unwrap().id, "gpt-4o-mini");
    }
}
