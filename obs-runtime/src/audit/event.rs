//! [`AuditEvent`], the builder of one audit event, and what it holds.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Map, Value};

use super::actor::{Actor, current_actor};
use super::record::{HASHED_PREFIX, MAX_REASON_BYTES, REDACTED, hex, sha256};

/// How the audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    /// It did what was asked.
    Success,
    /// It was refused or failed.
    Failure,
    /// Not known: it panicked, was cancelled, or nobody said.
    Unknown,
}

impl AuditOutcome {
    /// The `outcome` value (`success`, `failure`, `unknown`: ECS `event.outcome`'s values).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Unknown => "unknown",
        }
    }
}

/// The value of a recorded field: a string, an integer or a bool (never a float).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldValue {
    /// Text.
    Str(String),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A bool.
    Bool(bool),
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        Self::Str(s.to_owned())
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}

impl From<&String> for FieldValue {
    fn from(s: &String) -> Self {
        Self::Str(s.clone())
    }
}

impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

macro_rules! field_from_int {
    ($variant:ident as $wide:ty: $($t:ty),*) => {$(
        impl From<$t> for FieldValue {
            fn from(n: $t) -> Self {
                Self::$variant(n as $wide)
            }
        }
    )*};
}
field_from_int!(Int as i64: i8, i16, i32, i64, isize);
field_from_int!(UInt as u64: u8, u16, u32, u64, usize);

/// What was acted on: a type and an id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource {
    /// Its type (`config_key`, `provider`, ...).
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// One audit event, built then handed to [`AuditLog`](super::AuditLog) (`record`, `append`).
///
/// ```
/// use obs_runtime::audit::{AuditEvent, AuditOutcome};
///
/// let event = AuditEvent::new("config.update")
///     .actor("alice", "user")
///     .resource("config_key", "routing.default_model")
///     .field("model", "gpt-4o")
///     .redacted("api_key")
///     .outcome(AuditOutcome::Success, None);
/// assert_eq!(event.action_name(), "config.update");
/// ```
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub(crate) action: String,
    pub(crate) actor: Option<Actor>,
    pub(crate) resource: Option<Resource>,
    pub(crate) outcome: AuditOutcome,
    pub(crate) reason: Option<String>,
    pub(crate) fields: BTreeMap<String, FieldValue>,
    pub(crate) details: Map<String, Value>,
    pub(crate) start: SystemTime,
    pub(crate) end: SystemTime,
    pub(crate) trace: Option<([u8; 16], [u8; 8])>,
}

impl AuditEvent {
    /// An event of `action` (a dotted lower-case verb such as `config.update`), starting and
    /// ending now, by the [current actor](super::current_actor) if one is set, outcome unknown
    /// until [`outcome`](Self::outcome) says.
    pub fn new(action: &str) -> Self {
        let now = SystemTime::now();
        Self {
            action: action.to_owned(),
            actor: current_actor(),
            resource: None,
            outcome: AuditOutcome::Unknown,
            reason: None,
            fields: BTreeMap::new(),
            details: Map::new(),
            start: now,
            end: now,
            trace: None,
        }
    }

    /// Who acted: `id` of type `kind` (`user`, `service`, `api_key`, ...).
    pub fn actor(mut self, id: impl Into<String>, kind: impl Into<String>) -> Self {
        self.actor = Some(Actor::new(id, kind));
        self
    }

    /// Who acted, or nobody known (`None` leaves `actor` out of the record).
    pub fn actor_opt(mut self, actor: Option<Actor>) -> Self {
        self.actor = actor;
        self
    }

    /// What was acted on: `id` of type `kind`.
    pub fn resource(mut self, kind: impl Into<String>, id: impl Into<String>) -> Self {
        self.resource = Some(Resource {
            kind: kind.into(),
            id: id.into(),
        });
        self
    }

    /// How it ended, with an optional short reason (an error kind, `panic`, `cancelled`; cut to
    /// 128 bytes).
    pub fn outcome(mut self, outcome: AuditOutcome, reason: Option<&str>) -> Self {
        self.outcome = outcome;
        self.reason = reason.map(|r| bounded(r, MAX_REASON_BYTES).to_owned());
        self
    }

    /// Records the field `name` with `value` (a later call with the same name replaces it).
    pub fn field(mut self, name: &str, value: impl Into<FieldValue>) -> Self {
        self.fields.insert(name.to_owned(), value.into());
        self
    }

    /// Records the field `name` as `"[REDACTED]"`: its value is never written.
    pub fn redacted(mut self, name: &str) -> Self {
        self.fields
            .insert(name.to_owned(), FieldValue::Str(REDACTED.to_owned()));
        self
    }

    /// Records the field `name` as `"sha256:<hex>"` of `value`, so equal values can be matched
    /// without being written. (An unsalted hash of a guessable value, such as a short password,
    /// can be brute-forced: redact those.)
    pub fn hashed(mut self, name: &str, value: &[u8]) -> Self {
        let mut s = String::with_capacity(HASHED_PREFIX.len() + 64);
        s.push_str(HASHED_PREFIX);
        s.push_str(&hex(&sha256(value)));
        self.fields.insert(name.to_owned(), FieldValue::Str(s));
        self
    }

    /// Adds `details.<name>` (typed-API extras: `old`, `new`, ...). Records hold no floats and
    /// no nulls: a float is written as its decimal text (`0.7` → `"0.7"`) and a null is left
    /// out (an object member or array item that is null is dropped).
    pub fn detail(mut self, name: &str, value: Value) -> Self {
        match integral(value) {
            Some(v) => {
                self.details.insert(name.to_owned(), v);
            }
            None => {
                self.details.remove(name);
            }
        }
        self
    }

    /// When the action started and ended (both default to when the event was built).
    pub fn times(mut self, start: SystemTime, end: SystemTime) -> Self {
        self.start = start;
        self.end = end;
        self
    }

    /// The W3C trace and span ids of the span the action ran in.
    pub fn trace(mut self, trace_id: [u8; 16], span_id: [u8; 8]) -> Self {
        self.trace = Some((trace_id, span_id));
        self
    }

    /// The event's action.
    pub fn action_name(&self) -> &str {
        &self.action
    }

    /// The event's outcome so far.
    pub fn outcome_value(&self) -> AuditOutcome {
        self.outcome
    }
}

/// `value` without floats (as text) and nulls (dropped); `None` when `value` itself is null.
fn integral(value: Value) -> Option<Value> {
    Some(match value {
        Value::Null => return None,
        Value::Number(n) if n.is_f64() => Value::String(n.to_string()),
        Value::Array(items) => Value::Array(items.into_iter().filter_map(integral).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter_map(|(k, v)| Some((k, integral(v)?)))
                .collect(),
        ),
        other => other,
    })
}

/// `s` cut to at most `max` bytes at a character boundary.
pub(crate) fn bounded(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Whether `action` is a dotted lower-case verb: dot-separated words of `a-z`, `0-9` and `_`,
/// each starting with a letter, at most 128 bytes (`config.update`, `auth.login`).
pub fn is_valid_action(action: &str) -> bool {
    action.len() <= 128
        && !action.is_empty()
        && action.split('.').all(|word| {
            word.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builder_sets_every_part() {
        let t0 = SystemTime::UNIX_EPOCH;
        let e = AuditEvent::new("config.update")
            .actor("alice", "user")
            .resource("config_key", "k")
            .outcome(AuditOutcome::Failure, Some("denied"))
            .field("n", 3u8)
            .field("neg", -3i32)
            .field("ok", true)
            .redacted("value")
            .hashed("api_key", b"abc")
            .times(t0, t0)
            .trace([1; 16], [2; 8]);
        assert_eq!(e.actor, Some(Actor::new("alice", "user")));
        assert_eq!(e.resource.as_ref().unwrap().id, "k");
        assert_eq!(e.reason.as_deref(), Some("denied"));
        assert_eq!(e.fields["n"], FieldValue::UInt(3));
        assert_eq!(e.fields["neg"], FieldValue::Int(-3));
        assert_eq!(e.fields["value"], FieldValue::Str("[REDACTED]".into()));
        assert_eq!(
            e.fields["api_key"],
            FieldValue::Str(
                "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into()
            )
        );
        assert_eq!(e.outcome_value(), AuditOutcome::Failure);
    }

    #[test]
    fn new_takes_the_current_actor() {
        let e = super::super::actor::scope_actor(Actor::new("bob", "user"), || {
            AuditEvent::new("auth.login")
        });
        assert_eq!(e.actor, Some(Actor::new("bob", "user")));
        assert_eq!(AuditEvent::new("auth.login").actor, None);
    }

    #[test]
    fn reasons_are_bounded_at_a_char_boundary() {
        let long = "é".repeat(100);
        let e = AuditEvent::new("a.b").outcome(AuditOutcome::Failure, Some(&long));
        let r = e.reason.unwrap();
        assert!(r.len() <= 128 && r.len() >= 127, "{}", r.len());
        assert!(long.starts_with(&r));
    }

    #[test]
    fn details_lose_floats_and_nulls() {
        let e = AuditEvent::new("config.update")
            .detail(
                "old",
                json!({"t": 0.7, "gone": null, "list": [1, null, 2.5], "n": 3}),
            )
            .detail("new", Value::Null);
        assert_eq!(
            Value::Object(e.details),
            json!({"old": {"t": "0.7", "list": [1, "2.5"], "n": 3}})
        );
    }

    #[test]
    fn action_names() {
        for ok in [
            "config.update",
            "auth.login",
            "rate_limit.refuse",
            "a",
            "v2.x_y",
        ] {
            assert!(is_valid_action(ok), "{ok}");
        }
        for bad in [
            "",
            "Config.update",
            "config..update",
            ".a",
            "a.",
            "a-b",
            "a.1b",
            "é",
        ] {
            assert!(!is_valid_action(bad), "{bad}");
        }
    }
}
