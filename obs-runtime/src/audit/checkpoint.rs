//! Signed checkpoints of the chain head: the hook traits (the signer is implemented under the
//! `audit-sign` feature), the checkpoint record and the message that is signed.
//!
//! The writer makes a checkpoint every N records and / or every T, at rotation and at shutdown,
//! always of a record that is already synced; it appends it as one canonical JSON line to
//! `checkpoints.jsonl` beside the segments (synced), then hands it to each configured sink (to
//! keep it off the host too). A sink's error is counted in `obs_audit_errors_total` and does not
//! stop the log.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::canonical;
use super::error::AuditError;

/// Signs checkpoint messages (Ed25519 under `audit-sign`; any scheme the verifier knows).
pub trait CheckpointSigner: Send + Sync {
    /// The id of the signing key, written in each checkpoint.
    fn key_id(&self) -> &str;
    /// The signature of `msg` ([`Checkpoint::message`]).
    fn sign(&self, msg: &[u8]) -> Vec<u8>;
}

/// Somewhere else to keep checkpoints (another host, an object store, a transparency log).
pub trait CheckpointSink: Send + Sync {
    /// Stores `checkpoint`. Called from the writer thread: keep it short or hand off, and never
    /// record into the same log from here (the writer would wait for itself).
    fn put(&self, checkpoint: &Checkpoint) -> Result<(), AuditError>;
}

/// One signed statement "the record `seq` of this log has hash `hash`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The seq of the record the checkpoint covers.
    pub seq: u64,
    /// That record's `hash` (hex).
    pub hash: String,
    /// When the checkpoint was made (RFC 3339 UTC, nanoseconds).
    pub time: String,
    /// The signing key's id.
    pub key_id: String,
    /// The signature of [`Checkpoint::message`], hex.
    pub sig: String,
}

/// Field names of a checkpoint line.
pub mod checkpoint_field {
    /// The covered record's seq.
    pub const SEQ: &str = "seq";
    /// The covered record's hash.
    pub const HASH: &str = "hash";
    /// When it was made.
    pub const TIME: &str = "time";
    /// The signing key's id.
    pub const KEY_ID: &str = "key_id";
    /// The signature (hex).
    pub const SIG: &str = "sig";
}

impl Checkpoint {
    /// The bytes that are signed: the canonical JSON of `{seq, hash, time, key_id}`.
    pub fn message(&self) -> Vec<u8> {
        Self::message_of(self.seq, &self.hash, &self.time, &self.key_id)
    }

    /// The bytes that are signed for these values.
    pub fn message_of(seq: u64, hash: &str, time: &str, key_id: &str) -> Vec<u8> {
        let mut map = Map::new();
        map.insert(checkpoint_field::SEQ.into(), seq.into());
        map.insert(checkpoint_field::HASH.into(), hash.into());
        map.insert(checkpoint_field::TIME.into(), time.into());
        map.insert(checkpoint_field::KEY_ID.into(), key_id.into());
        canonical_bytes(&Value::Object(map))
    }

    /// The line written to `checkpoints.jsonl` (canonical JSON, `\n`-terminated).
    pub fn to_line(&self) -> Vec<u8> {
        let mut line = canonical_bytes(&self.to_value());
        line.push(b'\n');
        line
    }

    /// The checkpoint as a JSON object.
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert(checkpoint_field::SEQ.into(), self.seq.into());
        map.insert(checkpoint_field::HASH.into(), self.hash.clone().into());
        map.insert(checkpoint_field::TIME.into(), self.time.clone().into());
        map.insert(checkpoint_field::KEY_ID.into(), self.key_id.clone().into());
        map.insert(checkpoint_field::SIG.into(), self.sig.clone().into());
        Value::Object(map)
    }

    /// A checkpoint read back from its JSON object; `None` when a field is missing or of the
    /// wrong type.
    pub fn from_value(value: &Value) -> Option<Self> {
        let s = |k: &str| value.get(k)?.as_str().map(str::to_owned);
        Some(Self {
            seq: value.get(checkpoint_field::SEQ)?.as_u64()?,
            hash: s(checkpoint_field::HASH)?,
            time: s(checkpoint_field::TIME)?,
            key_id: s(checkpoint_field::KEY_ID)?,
            sig: s(checkpoint_field::SIG)?,
        })
    }
}

fn canonical_bytes(value: &Value) -> Vec<u8> {
    // Only strings and unsigned integers: always encodable.
    canonical::to_vec(value).unwrap_or_default()
}

/// When and how checkpoints are made.
#[derive(Clone)]
pub struct CheckpointConfig {
    /// A checkpoint after this many records since the last one (default 10,000).
    pub every_records: Option<u64>,
    /// A checkpoint this long after the last one, if records were written since (default 60 s).
    pub every: Option<Duration>,
    /// Signs each checkpoint.
    pub signer: Arc<dyn CheckpointSigner>,
    /// Receive each checkpoint after it is in `checkpoints.jsonl`.
    pub sinks: Vec<Arc<dyn CheckpointSink>>,
}

impl CheckpointConfig {
    /// Checkpoints signed by `signer`, every 10,000 records or 60 s, no sinks.
    pub fn new(signer: Arc<dyn CheckpointSigner>) -> Self {
        Self {
            every_records: Some(10_000),
            every: Some(Duration::from_secs(60)),
            signer,
            sinks: Vec::new(),
        }
    }
}

impl fmt::Debug for CheckpointConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckpointConfig")
            .field("every_records", &self.every_records)
            .field("every", &self.every)
            .field("signer", &self.signer.key_id())
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_canonical_json_without_the_signature() {
        let c = Checkpoint {
            seq: 12,
            hash: "ab".into(),
            time: "2026-01-01T00:00:00.000000000Z".into(),
            key_id: "k1".into(),
            sig: "00ff".into(),
        };
        assert_eq!(
            c.message(),
            br#"{"hash":"ab","key_id":"k1","seq":12,"time":"2026-01-01T00:00:00.000000000Z"}"#
        );
        let line = c.to_line();
        assert!(line.ends_with(b"\n"));
        let back: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(Checkpoint::from_value(&back), Some(c));
        assert_eq!(Checkpoint::from_value(&serde_json::json!({"seq": 1})), None);
    }
}
