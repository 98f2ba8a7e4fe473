//! Events that are not a function call, each with a fixed action name: authentication results,
//! rate-limit refusals, configuration changes (old and new value) and provider health changes.
//! Each returns an [`AuditEvent`] to add to (fields, trace ids) before it is recorded.
//!
//! ```
//! use obs_runtime::audit::{Actor, config_changed};
//! use serde_json::json;
//!
//! let event = config_changed(
//!     "routing.default_model",
//!     Some(json!("gpt-4o")),
//!     Some(json!("claude-sonnet")),
//!     Some(Actor::new("alice", "user")),
//! );
//! assert_eq!(event.action_name(), "config.update");
//! ```

use std::time::Duration;

use serde_json::Value;

use super::actor::Actor;
use super::event::{AuditEvent, AuditOutcome};

/// The action of [`auth_result`].
pub const AUTH_LOGIN: &str = "auth.login";
/// The action of [`rate_limit_refused`].
pub const RATE_LIMIT_REFUSE: &str = "rate_limit.refuse";
/// The action of [`config_changed`].
pub const CONFIG_UPDATE: &str = "config.update";
/// The action of [`provider_health_changed`].
pub const PROVIDER_HEALTH_CHANGE: &str = "provider.health_change";

/// `actor` tried to authenticate by `method` (`api_key`, `oauth`, `mtls`, ...): success, or
/// failure with a short `reason` (`bad_credentials`, `expired`, ...).
pub fn auth_result(
    actor: Actor,
    method: &str,
    outcome: AuditOutcome,
    reason: Option<&str>,
) -> AuditEvent {
    AuditEvent::new(AUTH_LOGIN)
        .actor_opt(Some(actor))
        .outcome(outcome, reason)
        .detail("method", method.into())
}

/// `actor` was refused by the rate limit `limit` (the resource), told to retry after
/// `retry_after` when known. The outcome is a failure with reason `rate_limited`.
pub fn rate_limit_refused(actor: Actor, limit: &str, retry_after: Option<Duration>) -> AuditEvent {
    let event = AuditEvent::new(RATE_LIMIT_REFUSE)
        .actor_opt(Some(actor))
        .resource("rate_limit", limit)
        .outcome(AuditOutcome::Failure, Some("rate_limited"));
    match retry_after {
        Some(d) => event.detail(
            "retry_after_ms",
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX).into(),
        ),
        None => event,
    }
}

/// The configuration key `key` changed from `old` to `new` (`None`: it did not exist / was
/// removed), by `actor` (`None`: the [current actor](super::current_actor), if any). A success;
/// redact secret values before passing them (or pass a hash).
pub fn config_changed(
    key: &str,
    old: Option<Value>,
    new: Option<Value>,
    actor: Option<Actor>,
) -> AuditEvent {
    let mut event = AuditEvent::new(CONFIG_UPDATE)
        .resource("config_key", key)
        .outcome(AuditOutcome::Success, None);
    if actor.is_some() {
        event = event.actor_opt(actor);
    }
    if let Some(old) = old {
        event = event.detail("old", old);
    }
    if let Some(new) = new {
        event = event.detail("new", new);
    }
    event
}

/// The provider `provider`'s health went from `from` to `to` (`healthy`, `degraded`,
/// `unhealthy`, ...). The actor is the current one, if any (usually none: the health checker).
pub fn provider_health_changed(provider: &str, from: &str, to: &str) -> AuditEvent {
    AuditEvent::new(PROVIDER_HEALTH_CHANGE)
        .resource("provider", provider)
        .outcome(AuditOutcome::Success, None)
        .detail("from", from.into())
        .detail("to", to.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::event::is_valid_action;
    use serde_json::json;

    #[test]
    fn actions_are_valid() {
        for a in [
            AUTH_LOGIN,
            RATE_LIMIT_REFUSE,
            CONFIG_UPDATE,
            PROVIDER_HEALTH_CHANGE,
        ] {
            assert!(is_valid_action(a), "{a}");
        }
    }

    #[test]
    fn each_builds_its_event() {
        let bob = Actor::new("bob", "user");
        let e = auth_result(
            bob.clone(),
            "api_key",
            AuditOutcome::Failure,
            Some("expired"),
        );
        assert_eq!(
            (e.action_name(), e.outcome_value()),
            (AUTH_LOGIN, AuditOutcome::Failure)
        );
        assert_eq!(e.actor.as_ref(), Some(&bob));
        assert_eq!(e.details["method"], json!("api_key"));

        let e = rate_limit_refused(bob.clone(), "rpm", Some(Duration::from_millis(1500)));
        assert_eq!(e.reason.as_deref(), Some("rate_limited"));
        assert_eq!(e.resource.as_ref().unwrap().id, "rpm");
        assert_eq!(e.details["retry_after_ms"], json!(1500));

        let e = config_changed("k", None, Some(json!({"temperature": 0.5})), Some(bob));
        assert!(!e.details.contains_key("old"));
        assert_eq!(e.details["new"], json!({"temperature": "0.5"}));
        assert_eq!(e.resource.as_ref().unwrap().kind, "config_key");

        let e = provider_health_changed("openai", "healthy", "degraded");
        assert_eq!(e.details["from"], json!("healthy"));
        assert_eq!(e.details["to"], json!("degraded"));
        assert_eq!(e.resource.as_ref().unwrap().id, "openai");
    }
}
