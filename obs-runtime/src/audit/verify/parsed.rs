//! One line judged on its own: is it a record, and does its content match its own hash?

use serde_json::Value;

use crate::audit::record::{self, RecordKind, SCHEMA_VERSION, field};

/// A line that is a record whose `hash` matches its content.
#[derive(Debug, Clone)]
pub(super) struct Rec {
    /// `seq`.
    pub seq: u64,
    /// `prev` (hex, as written).
    pub prev: String,
    /// `hash` (hex, as written; equal to the recomputed one).
    pub hash: String,
    /// `kind`.
    pub kind: RecordKind,
    /// The whole record (for `mac`, `retention`, `rotate`, `repair`).
    pub value: Value,
}

/// What a line is.
#[derive(Debug)]
pub(super) enum Parsed {
    /// A record whose content matches its hash.
    Record(Rec),
    /// A record whose content does not match its `hash`.
    HashMismatch {
        /// Its `seq`, when it has one.
        seq: Option<u64>,
        /// The hash it claims.
        claimed: String,
        /// The hash of its content.
        actual: String,
    },
    /// Not a record: why.
    NotARecord(String),
}

/// Judges one line's bytes (without the `\n`).
pub(super) fn parse(bytes: &[u8]) -> Parsed {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return Parsed::NotARecord(format!("not JSON ({e})")),
    };
    let Some(map) = value.as_object() else {
        return Parsed::NotARecord("not a JSON object".into());
    };
    let Some(claimed) = map.get(field::HASH).and_then(Value::as_str) else {
        return Parsed::NotARecord("no `hash` string".into());
    };
    let actual = match record::record_hash(&value) {
        Ok(h) => record::hex(&h),
        Err(e) => return Parsed::NotARecord(format!("no canonical form: {e}")),
    };
    let seq = map.get(field::SEQ).and_then(Value::as_u64);
    let prev = map.get(field::PREV).and_then(Value::as_str);
    if actual != claimed {
        return Parsed::HashMismatch {
            seq,
            claimed: claimed.to_owned(),
            actual,
        };
    }
    // The content matches its hash: anything wrong now was written so (a forgery or a writer
    // bug), not changed since.
    // The largest u64 is refused so that every accepted seq has a successor.
    let Some(seq) = seq.filter(|&s| s < u64::MAX) else {
        return Parsed::NotARecord("no integer `seq` below 2^64 - 1".into());
    };
    let Some(prev) = prev.filter(|p| is_hash_hex(p)) else {
        return Parsed::NotARecord("no 64-hex-digit `prev`".into());
    };
    if map.get(field::V).and_then(Value::as_u64) != Some(SCHEMA_VERSION) {
        return Parsed::NotARecord(format!("`v` is not {SCHEMA_VERSION}"));
    }
    let Some(kind) = map
        .get(field::KIND)
        .and_then(Value::as_str)
        .and_then(RecordKind::parse)
    else {
        return Parsed::NotARecord("no known `kind`".into());
    };
    let hash = claimed.to_owned();
    let prev = prev.to_owned();
    Parsed::Record(Rec {
        seq,
        prev,
        hash,
        kind,
        value,
    })
}

/// Whether `s` is 64 lower-case hex digits (a SHA-256 as the writer writes it).
fn is_hash_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
