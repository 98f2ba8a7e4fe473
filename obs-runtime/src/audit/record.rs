//! What a record is made of: its field names, its kinds, the segment file names, and the chain
//! computation (`hash`, `prev`, `mac`) that the writer and the verifier share.
//!
//! A record's `hash` is the hex SHA-256 of the canonical encoding of the record without its
//! `hash` and `mac` keys (so it covers `prev`, `seq`, `key_id` and every other field); `prev` is
//! the previous record's `hash` (64 zeros for the first record); `mac`, when a key is configured,
//! is the hex HMAC-SHA256 of the `hash` as hex text, under the key named by `key_id`.

use std::fmt;

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::canonical::{self, CanonicalError};

/// The schema version written in every record's `v`.
pub const SCHEMA_VERSION: u64 = 1;

/// The `prev` of the first record of a log: 64 zeros.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The file beside the segments that holds one signed checkpoint per line.
pub const CHECKPOINTS_FILE: &str = "checkpoints.jsonl";

/// The lock file that keeps a second writer out of a directory.
pub const LOCK_FILE: &str = "audit.lock";

/// The longest `reason` kept, in bytes (longer ones are cut at a character boundary).
pub const MAX_REASON_BYTES: usize = 128;

/// Record field names, each spelled once.
pub mod field {
    /// Schema version (integer).
    pub const V: &str = "v";
    /// Sequence number, from 1, +1 per record across segments.
    pub const SEQ: &str = "seq";
    /// Record kind: `event`, `repair`, `retention`, `rotate`.
    pub const KIND: &str = "kind";
    /// The previous record's hash (hex).
    pub const PREV: &str = "prev";
    /// This record's hash (hex SHA-256 of the record without `hash` and `mac`).
    pub const HASH: &str = "hash";
    /// HMAC-SHA256 of `hash` (hex), when a key is configured.
    pub const MAC: &str = "mac";
    /// The id of the key `mac` is made with.
    pub const KEY_ID: &str = "key_id";
    /// Event id (UUIDv7).
    pub const ID: &str = "id";
    /// Start time (RFC 3339 UTC, nanoseconds).
    pub const TIME: &str = "time";
    /// End time (RFC 3339 UTC, nanoseconds).
    pub const END_TIME: &str = "end_time";
    /// Duration in microseconds.
    pub const DURATION_US: &str = "duration_us";
    /// Duration in milliseconds.
    pub const DURATION_MS: &str = "duration_ms";
    /// Dotted verb (`config.update`).
    pub const ACTION: &str = "action";
    /// `{id, type}` of who acted.
    pub const ACTOR: &str = "actor";
    /// `{type, id}` of what was acted on.
    pub const RESOURCE: &str = "resource";
    /// The `id` inside `actor` and `resource`.
    pub const OBJECT_ID: &str = "id";
    /// The `type` inside `actor` and `resource`.
    pub const OBJECT_TYPE: &str = "type";
    /// `success`, `failure` or `unknown`.
    pub const OUTCOME: &str = "outcome";
    /// Bounded reason for the outcome (error kind, `panic`, `cancelled`).
    pub const REASON: &str = "reason";
    /// W3C trace id (32 hex digits).
    pub const TRACE_ID: &str = "trace_id";
    /// W3C span id (16 hex digits).
    pub const SPAN_ID: &str = "span_id";
    /// The service that wrote the record.
    pub const SERVICE: &str = "service";
    /// Chosen argument fields (string, integer or bool values).
    pub const FIELDS: &str = "fields";
    /// Typed-API extras (`old`, `new`, ...).
    pub const DETAILS: &str = "details";
    /// `repair`: bytes cut from the torn tail.
    pub const TRUNCATED_BYTES: &str = "truncated_bytes";
    /// `repair` / `retention`: a segment file name.
    pub const SEGMENT: &str = "segment";
    /// `repair`: the seq of the last record kept (0 when none).
    pub const LAST_GOOD_SEQ: &str = "last_good_seq";
    /// `retention`: the removed segments.
    pub const REMOVED: &str = "removed";
    /// `retention`: a removed segment's first seq.
    pub const FIRST_SEQ: &str = "first_seq";
    /// `retention`: a removed segment's last seq.
    pub const LAST_SEQ: &str = "last_seq";
    /// `retention`: a removed segment's last record's hash.
    pub const LAST_HASH: &str = "last_hash";
    /// `rotate`: the file name of the segment that follows.
    pub const NEXT_SEGMENT: &str = "next_segment";
}

/// The value written for a redacted field.
pub const REDACTED: &str = "[REDACTED]";

/// The prefix of a hashed field's value (`sha256:<hex>`).
pub const HASHED_PREFIX: &str = "sha256:";

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// An audit event.
    Event,
    /// Written first on reopen after a torn tail was cut.
    Repair,
    /// Names segments removed by retention.
    Retention,
    /// The last record of a segment, naming the next one.
    Rotate,
}

impl RecordKind {
    /// The `kind` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Repair => "repair",
            Self::Retention => "retention",
            Self::Rotate => "rotate",
        }
    }

    /// The kind named `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Event, Self::Repair, Self::Retention, Self::Rotate]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// SHA-256 of the canonical encoding of `record` without its `hash` and `mac`: the value its
/// `hash` must hold. `record` must be an object with no float or null in it.
pub fn record_hash(record: &Value) -> Result<[u8; 32], CanonicalError> {
    let Value::Object(map) = record else {
        return Err(CanonicalError::NotObject);
    };
    let mut bytes = Vec::with_capacity(512);
    canonical::encode_object_without(map, &[field::HASH, field::MAC], &mut bytes)?;
    Ok(sha256(&bytes))
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// HMAC-SHA256 under `key` of a record's `hash` as hex text: the value its `mac` must hold.
pub fn record_mac(key: &[u8], hash_hex: &str) -> [u8; 32] {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(hash_hex.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(bytes, &mut s);
    s
}

/// Appends the lower-case hex of `bytes` to `out`.
pub fn push_hex(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// The bytes of the hex string `s` (either case), or `None` when it is not hex of even length.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// The file name of the segment whose first record has `first_seq`: `audit-<20 digits>.jsonl`.
pub fn segment_file_name(first_seq: u64) -> String {
    format!("audit-{first_seq:020}.jsonl")
}

/// A segment file name read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentName {
    /// The seq of its first record.
    pub first_seq: u64,
    /// Whether it is the gzip of a rotated segment (`.jsonl.gz`).
    pub gzip: bool,
}

impl SegmentName {
    /// Parses `audit-<20 digits>.jsonl` or `audit-<20 digits>.jsonl.gz`; `None` for any other name.
    pub fn parse(name: &str) -> Option<Self> {
        let rest = name.strip_prefix("audit-")?;
        let (digits, gzip) = if let Some(d) = rest.strip_suffix(".jsonl.gz") {
            (d, true)
        } else {
            (rest.strip_suffix(".jsonl")?, false)
        };
        if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            first_seq: digits.parse().ok()?,
            gzip,
        })
    }

    /// The file name back.
    pub fn file_name(&self) -> String {
        let plain = segment_file_name(self.first_seq);
        if self.gzip { plain + ".gz" } else { plain }
    }
}

/// Completes `record` (everything but `hash` and `mac`, with `prev` and, when `mac` is given,
/// `key_id` already in it) with its `hash` and `mac`; returns the hash.
pub fn seal(
    record: &mut Map<String, Value>,
    mac: Option<&[u8]>,
) -> Result<[u8; 32], CanonicalError> {
    let mut bytes = Vec::with_capacity(512);
    canonical::encode_object_without(record, &[field::HASH, field::MAC], &mut bytes)?;
    let hash = sha256(&bytes);
    let hash_hex = hex(&hash);
    if let Some(key) = mac {
        record.insert(
            field::MAC.into(),
            Value::String(hex(&record_mac(key, &hash_hex))),
        );
    }
    record.insert(field::HASH.into(), Value::String(hash_hex));
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_ignores_hash_and_mac_and_covers_the_rest() {
        let a = json!({"v": 1, "seq": 1, "kind": "event", "prev": GENESIS_PREV});
        let mut b = a.clone();
        b["hash"] = json!("whatever");
        b["mac"] = json!("whatever");
        assert_eq!(record_hash(&a).unwrap(), record_hash(&b).unwrap());
        let mut c = a.clone();
        c["seq"] = json!(2);
        assert_ne!(record_hash(&a).unwrap(), record_hash(&c).unwrap());
        // The hash of the canonical bytes, computed independently.
        let expected = sha256(br#"{"kind":"event","prev":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"v":1}"#);
        assert_eq!(record_hash(&a).unwrap(), expected);
    }

    #[test]
    fn seal_adds_hash_then_mac_over_the_hex() {
        let mut m = json!({"v": 1, "seq": 7, "prev": GENESIS_PREV, "key_id": "k1"})
            .as_object()
            .unwrap()
            .clone();
        let hash = seal(&mut m, Some(b"secret")).unwrap();
        let v = Value::Object(m);
        assert_eq!(v["hash"], json!(hex(&hash)));
        assert_eq!(record_hash(&v).unwrap(), hash);
        assert_eq!(v["mac"], json!(hex(&record_mac(b"secret", &hex(&hash)))));
        assert_ne!(
            record_mac(b"other", &hex(&hash)),
            record_mac(b"secret", &hex(&hash))
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        // Key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hex(&record_mac(b"Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hex_round_trip_and_rejects() {
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(unhex("00ABff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn segment_names() {
        assert_eq!(segment_file_name(42), "audit-00000000000000000042.jsonl");
        assert_eq!(
            SegmentName::parse("audit-00000000000000000042.jsonl.gz"),
            Some(SegmentName {
                first_seq: 42,
                gzip: true
            })
        );
        assert_eq!(
            SegmentName::parse("audit-00000000000000000042.jsonl").map(|n| n.file_name()),
            Some("audit-00000000000000000042.jsonl".to_owned())
        );
        for bad in [
            "audit-42.jsonl",
            "audit-0000000000000000004x.jsonl",
            "x.jsonl",
            "audit-00000000000000000042.json",
        ] {
            assert_eq!(SegmentName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            RecordKind::Event,
            RecordKind::Repair,
            RecordKind::Retention,
            RecordKind::Rotate,
        ] {
            assert_eq!(RecordKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(RecordKind::parse("other"), None);
    }
}
