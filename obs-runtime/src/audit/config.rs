//! How an audit log is opened: directory, sync policy, delivery, rotation, retention, MAC key,
//! checkpoints.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::checkpoint::CheckpointConfig;
use super::error::AuditError;
use super::record::unhex;

/// The environment variable [`MacKey::from_env`] reads by convention.
pub const HMAC_KEY_ENV: &str = "OBS_AUDIT_HMAC_KEY";

/// When written records are made durable (`fsync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// After every write (one write per batch of queued records): a durable call waits for its
    /// own `fsync`.
    Always,
    /// At most every so often: records are written as they come and synced together; a durable
    /// call waits up to this long plus one `fsync`. The default, at 5 ms.
    GroupCommit(Duration),
    /// Never by the writer (the OS flushes when it likes); durable calls return once the record
    /// is written to the OS. Rotation, `flush` and shutdown still sync.
    Never,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        Self::GroupCommit(Duration::from_millis(5))
    }
}

/// What a buffered append does when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenFull {
    /// Wait for room (back-pressure). The default.
    #[default]
    Block,
    /// Drop the event, count it in `obs_audit_dropped_total` and return
    /// [`AuditError::QueueFull`] (fail-open).
    DropAndCount,
}

/// How events reach the log by default (what [`AuditLog::submit`](super::AuditLog::submit) does),
/// and how much may wait in the queue. `#[audited]` does not follow it: its `mode` is fixed per
/// function (durable unless `mode = "buffered"`), since whether the function's return type must
/// carry an audit error is decided at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    /// The call returns once its record is durable under the sync policy; an audit failure is an
    /// error of the call (fail closed). Buffered appends still made share a queue of 65,536.
    /// The default.
    #[default]
    Durable,
    /// The call returns once its event is queued.
    Buffered {
        /// Events that may wait in the queue (not yet written, or waiting to be written again
        /// after a write error).
        capacity: usize,
        /// What an append does when the queue is full.
        when_full: WhenFull,
    },
}

impl Delivery {
    /// The queue bound for buffered appends.
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Self::Durable => 65_536,
            Self::Buffered { capacity, .. } => *capacity,
        }
    }

    /// What a buffered append does when the queue is full.
    pub(crate) fn when_full(&self) -> WhenFull {
        match self {
            Self::Durable => WhenFull::Block,
            Self::Buffered { when_full, .. } => *when_full,
        }
    }
}

/// When the current segment is closed and a new one started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Rotate once a segment reaches this many bytes (default 64 MiB).
    pub max_bytes: u64,
    /// Rotate once a segment is this old (default: never by age).
    pub max_age: Option<Duration>,
    /// gzip rotated segments (`.jsonl.gz`), in a background thread (default off).
    pub gzip: bool,
}

impl Default for Rotation {
    fn default() -> Self {
        Self {
            max_bytes: 64 << 20,
            max_age: None,
            gzip: false,
        }
    }
}

/// Which rotated segments are removed (the oldest first; the current segment never is). Each
/// removal is recorded in a `retention` record, so the rest of the chain still verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    /// Remove segments last written longer ago than this.
    pub max_age: Option<Duration>,
    /// Keep at most this many segments (the current one included).
    pub max_count: Option<usize>,
    /// Keep at most this many bytes of segments on disk (the current one included).
    pub max_bytes: Option<u64>,
}

/// The HMAC-SHA256 key records are MAC'd with, and its id (written in each record's `key_id`).
/// Load it from configuration or the environment, never from a literal in code.
#[derive(Clone)]
pub struct MacKey {
    id: String,
    key: Vec<u8>,
}

impl MacKey {
    /// The shortest key accepted, in bytes.
    pub const MIN_BYTES: usize = 16;

    /// A key of `bytes` (at least 16) named `id`.
    pub fn new(id: impl Into<String>, bytes: Vec<u8>) -> Result<Self, AuditError> {
        let id = id.into();
        if id.is_empty() {
            return Err(AuditError::Config("the HMAC key id is empty".into()));
        }
        if bytes.len() < Self::MIN_BYTES {
            return Err(AuditError::Config(format!(
                "the HMAC key `{id}` has {} bytes; at least {} are needed",
                bytes.len(),
                Self::MIN_BYTES
            )));
        }
        Ok(Self { id, key: bytes })
    }

    /// A key given as hex text (at least 32 hex digits), named `id`.
    pub fn from_hex(id: impl Into<String>, hex: &str) -> Result<Self, AuditError> {
        let id = id.into();
        match unhex(hex.trim()) {
            Some(bytes) => Self::new(id, bytes),
            None => Err(AuditError::Config(format!(
                "the HMAC key `{id}` is not hex text"
            ))),
        }
    }

    /// The key in the environment variable `var` (hex text, see [`HMAC_KEY_ENV`]), named `id`.
    pub fn from_env(var: &str, id: impl Into<String>) -> Result<Self, AuditError> {
        match std::env::var(var) {
            Ok(hex) => Self::from_hex(id, &hex),
            Err(_) => Err(AuditError::Config(format!(
                "the environment variable {var} (the audit HMAC key, as hex) is not set or not UTF-8"
            ))),
        }
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.key
    }
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacKey")
            .field("id", &self.id)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

/// Everything [`AuditLog::open`](super::AuditLog::open) needs. Start from [`AuditConfig::new`]
/// and set the fields that differ from the defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuditConfig {
    /// The directory of the segments (created if missing).
    pub dir: PathBuf,
    /// The `service` written in every event.
    pub service: String,
    /// When records are synced (default: group commit every 5 ms).
    pub sync: SyncPolicy,
    /// Default delivery and queue bound (default: durable).
    pub delivery: Delivery,
    /// When segments rotate (default: at 64 MiB, no gzip).
    pub rotate: Rotation,
    /// Which rotated segments are removed (default: none).
    pub retain: Retention,
    /// HMAC key for every record's `mac` (default: none).
    pub mac_key: Option<MacKey>,
    /// Signed checkpoints of the chain head (default: none).
    pub checkpoint: Option<CheckpointConfig>,
}

impl AuditConfig {
    /// The defaults, for a log in `dir` written by `service`.
    pub fn new(dir: impl Into<PathBuf>, service: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            service: service.into(),
            sync: SyncPolicy::default(),
            delivery: Delivery::default(),
            rotate: Rotation::default(),
            retain: Retention::default(),
            mac_key: None,
            checkpoint: None,
        }
    }

    /// Refuses settings that cannot work.
    pub(crate) fn validate(&self) -> Result<(), AuditError> {
        let bad = |why: &str| Err(AuditError::Config(why.to_owned()));
        if self.service.is_empty() {
            return bad("`service` is empty");
        }
        if let SyncPolicy::GroupCommit(d) = self.sync
            && d.is_zero()
        {
            return bad("the group-commit interval is zero (use `SyncPolicy::Always`)");
        }
        if self.delivery.capacity() == 0 {
            return bad("the buffered queue capacity is zero");
        }
        if self.rotate.max_bytes < 4096 {
            return bad("`rotate.max_bytes` is below 4096");
        }
        if self.retain.max_count == Some(0) {
            return bad("`retain.max_count` is zero (the current segment always stays)");
        }
        if let Some(c) = &self.checkpoint {
            if c.every_records == Some(0) {
                return bad("`checkpoint.every_records` is zero");
            }
            if c.every.is_some_and(|d| d.is_zero()) {
                return bad("`checkpoint.every` is zero");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_key_from_hex_and_its_limits() {
        let k = MacKey::from_hex("k1", "00112233445566778899aabbccddeeff").unwrap();
        assert_eq!(k.id(), "k1");
        assert_eq!(k.bytes().len(), 16);
        assert!(!format!("{k:?}").contains("0011"));
        assert!(
            matches!(MacKey::from_hex("k1", "0011"), Err(AuditError::Config(m)) if m.contains("at least 16"))
        );
        assert!(
            matches!(MacKey::from_hex("k1", "zz"), Err(AuditError::Config(m)) if m.contains("not hex"))
        );
        assert!(matches!(
            MacKey::new("", vec![0; 32]),
            Err(AuditError::Config(_))
        ));
        assert!(matches!(
            MacKey::from_env("OBS_AUDIT_TEST_SURELY_UNSET_VAR", "k"),
            Err(AuditError::Config(m)) if m.contains("OBS_AUDIT_TEST_SURELY_UNSET_VAR")
        ));
    }

    #[test]
    fn validation_names_the_bad_setting() {
        let ok = AuditConfig::new("/tmp/x", "svc");
        assert!(ok.validate().is_ok());
        let mut c = ok.clone();
        c.sync = SyncPolicy::GroupCommit(Duration::ZERO);
        assert!(matches!(c.validate(), Err(AuditError::Config(m)) if m.contains("group-commit")));
        let mut c = ok.clone();
        c.delivery = Delivery::Buffered {
            capacity: 0,
            when_full: WhenFull::Block,
        };
        assert!(matches!(c.validate(), Err(AuditError::Config(m)) if m.contains("capacity")));
        let mut c = ok.clone();
        c.service.clear();
        assert!(matches!(c.validate(), Err(AuditError::Config(m)) if m.contains("service")));
        let mut c = ok;
        c.retain.max_count = Some(0);
        assert!(matches!(c.validate(), Err(AuditError::Config(m)) if m.contains("max_count")));
    }
}
