//! Durable, tamper-evident audit events (feature `audit`).
//!
//! An [`AuditLog`] writes one JSON object per line into append-only segment files
//! (`audit-<first seq>.jsonl`, optionally gzip-compressed once rotated) that `jq`, Vector, Fluent
//! Bit and Loki read as they are. Each record carries its `seq`, the previous record's hash and
//! its own SHA-256 over a canonical encoding ([`canonical`]), so that a record lost, altered,
//! inserted, reordered or removed breaks the chain; an optional HMAC ([`MacKey`]) and signed
//! checkpoints ([`CheckpointSigner`]) guard against an attacker who rewrites the whole chain.
//!
//! ```no_run
//! use obs_runtime::audit::{self, AuditConfig, AuditEvent, AuditLog, AuditOutcome};
//!
//! let log = AuditLog::open(AuditConfig::new("/var/log/gateway/audit", "gateway"))?;
//! log.record(
//!     AuditEvent::new("config.update")
//!         .actor("alice", "user")
//!         .resource("config_key", "routing.default_model")
//!         .outcome(AuditOutcome::Success, None),
//! )?;
//! audit::install(log.clone())?; // what `#[audited]` writes to
//! # Ok::<(), obs_runtime::audit::AuditError>(())
//! ```
//!
//! # Records
//!
//! Every record has `v` (schema version 1), `seq` (from 1, +1 per record across segments),
//! `kind` (`event`, `repair`, `retention`, `rotate`), `prev`, `hash` and, with a key, `mac` and
//! `key_id`; see [`record`] for the chain computation and [`record::field`] for the names. An
//! `event` adds `id` (UUIDv7), `time`, `end_time` (RFC 3339 UTC, nanoseconds), `duration_us`,
//! `duration_ms`, `action`, `actor` {`id`, `type`}, `resource` {`type`, `id`}, `outcome`,
//! `reason`, `trace_id`, `span_id`, `service`, `fields` and `details`. Absent values are absent
//! keys (never `null`) and there are no floats.
//!
//! # Durability
//!
//! One writer thread per log encodes, chains and writes each batch of queued records with one
//! `write`, then syncs per [`SyncPolicy`] (group commit every 5 ms by default). [`AuditLog::record`]
//! (which blocks its thread; in async code use `record_async`, which does not) returns once the
//! record is durable, and returns the error otherwise (fail closed); [`AuditLog::append`] only queues, into a bounded queue that blocks or drops and counts
//! per [`WhenFull`]. A failed `fsync` closes its segment for good (it is never retried on it).
//! On reopen a torn tail (an unterminated or unparsable last line, as a crash leaves) is cut and
//! a `repair` record says so; damage anywhere else stops the log with [`AuditError::Corrupt`].
//!
//! # Mapping to OCSF and ECS
//!
//! The records are our own schema; this is how a pipeline maps an `event` record to the OCSF
//! *API Activity* class (`class_uid` 6003, category Application Activity, `type_uid` = 6003 × 100
//! + `activity_id`) and to the Elastic Common Schema:
//!
//! | record | OCSF API Activity (6003) | ECS |
//! |---|---|---|
//! | `id` | `metadata.uid` | `event.id` |
//! | `seq` | `metadata.sequence` | `event.sequence` |
//! | `hash` | — (keep in `unmapped`) | `event.hash` |
//! | `time` / `end_time` | `start_time` (and `time`) / `end_time` (epoch ms) | `event.start` (and `@timestamp`) / `event.end` |
//! | `duration_ms` / `duration_us` | `duration` (ms) | `event.duration` (ns: `duration_us` × 1000) |
//! | `action` | `api.operation`; its last word gives `activity_id` (`create` 1, `read` 2, `update` 3, `delete` 4, else 99 Other) | `event.action` |
//! | `actor.id` / `actor.type` | `actor.user.uid` / `actor.user.type` | `user.id` (and `event.category`: `iam` / `configuration` by action) |
//! | `resource.type` / `resource.id` | `resources[0].type` / `resources[0].uid` | — (`labels` or a custom field) |
//! | `outcome` | `status_id` (`success` 1, `failure` 2, `unknown` 0) and `status` | `event.outcome` (same three values) |
//! | `reason` | `status_detail` | `event.reason` |
//! | `service` | `api.service.name` (and `metadata.product.name`) | `service.name` |
//! | `trace_id` / `span_id` | `unmapped` (or the `trace` object where the schema version has one) | `trace.id` / `span.id` |
//! | `fields`, `details` | `unmapped` (`details.old`/`new` of a config change as the resource's `data`) | custom fields (`labels` for strings) |
//! | `kind` other than `event` | not an API Activity: drop, or map to a log-integrity class | `event.kind: event`, `event.category: file` |
//!
//! Every `event` record is ECS `event.kind: event` with `event.type` from its action (`change`
//! for updates, `info` otherwise).

pub mod canonical;
pub mod record;
#[cfg(feature = "audit-sign")]
#[cfg_attr(docsrs, doc(cfg(feature = "audit-sign")))]
pub mod sign;
pub mod verify;

mod actor;
mod checkpoint;
mod checkpointer;
mod completion;
mod compress;
mod config;
mod encode;
mod error;
mod event;
mod global;
mod id;
mod log;
pub(crate) mod macro_support;
mod queue;
mod recover;
mod retention;
mod segment;
mod stats;
mod typed;
mod writer;

pub use actor::{Actor, WithActor, current_actor, scope_actor, with_actor};
pub use checkpoint::{
    Checkpoint, CheckpointConfig, CheckpointSigner, CheckpointSink, checkpoint_field,
};
pub use config::{
    AuditConfig, Delivery, HMAC_KEY_ENV, MacKey, Retention, Rotation, SyncPolicy, WhenFull,
};
pub use error::AuditError;
pub use event::{AuditEvent, AuditOutcome, FieldValue, Resource, is_valid_action};
pub use global::{global, install};
pub use log::{AuditLog, Ticket};
pub use typed::{
    AUTH_LOGIN, CONFIG_UPDATE, PROVIDER_HEALTH_CHANGE, RATE_LIMIT_REFUSE, auth_result,
    config_changed, provider_health_changed, rate_limit_refused,
};
