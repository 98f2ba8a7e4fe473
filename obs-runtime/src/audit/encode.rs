//! Turns events into chained record lines: the writer thread's hot path.
//!
//! An event is written straight into canonical bytes, its keys in sorted order by hand (the
//! tests check the result against [`canonical`] over the parsed line, which is what a verifier
//! computes); the log's own records (`repair`, `retention`, `rotate`) go through a JSON map and
//! [`record::seal`].

use serde_json::{Map, Value};

use super::canonical;
use super::config::MacKey;
use super::event::{AuditEvent, FieldValue};
use super::id::push_uuid;
use super::record::{self, RecordKind, SCHEMA_VERSION, field, record_mac, sha256};
use crate::time::push_rfc3339_nanos;

/// Where the chain stands: the next record's seq and the last record's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chain {
    /// The seq the next record gets.
    pub next_seq: u64,
    /// The hash of the last record (zeros before the first).
    pub prev: [u8; 32],
}

impl Chain {
    /// Before the first record of a log.
    pub(crate) const GENESIS: Self = Self {
        next_seq: 1,
        prev: [0; 32],
    };

    /// The seq of the last record (0 before the first).
    pub(crate) fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }
}

/// Encodes records for one log.
pub(crate) struct Encoder {
    service: String,
    mac: Option<MacKey>,
    scratch: Vec<u8>,
}

impl Encoder {
    pub(crate) fn new(service: String, mac: Option<MacKey>) -> Self {
        Self {
            service,
            mac,
            scratch: Vec::with_capacity(1024),
        }
    }

    /// Appends the line of `event` (with event id `id`) at `chain` to `out` and advances the
    /// chain.
    pub(crate) fn event(
        &mut self,
        chain: &mut Chain,
        event: &AuditEvent,
        id: &[u8; 16],
        out: &mut Vec<u8>,
    ) {
        let s = &mut self.scratch;
        s.clear();
        s.extend_from_slice(b"{\"");
        s.extend_from_slice(field::ACTION.as_bytes());
        s.extend_from_slice(b"\":");
        canonical::string(&event.action, s);
        if let Some(actor) = &event.actor {
            key(s, field::ACTOR);
            object_id_type(s, actor.id(), actor.kind());
        }
        if !event.details.is_empty() {
            key(s, field::DETAILS);
            // `AuditEvent::detail` keeps out floats and nulls, so this cannot fail.
            let encoded = canonical::encode_object_without(&event.details, &[], s);
            debug_assert!(encoded.is_ok(), "{encoded:?}");
        }
        let took = event.end.duration_since(event.start).unwrap_or_default();
        key(s, field::DURATION_MS);
        uint(s, took.as_millis() as u64);
        key(s, field::DURATION_US);
        uint(s, took.as_micros() as u64);
        key(s, field::END_TIME);
        time(s, event.end);
        if !event.fields.is_empty() {
            key(s, field::FIELDS);
            s.push(b'{');
            // A BTreeMap of Strings iterates in byte order: canonical.
            for (i, (name, value)) in event.fields.iter().enumerate() {
                if i > 0 {
                    s.push(b',');
                }
                canonical::string(name, s);
                s.push(b':');
                match value {
                    FieldValue::Str(v) => canonical::string(v, s),
                    FieldValue::Int(n) => {
                        s.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes())
                    }
                    FieldValue::UInt(n) => uint(s, *n),
                    FieldValue::Bool(b) => s.extend_from_slice(if *b { b"true" } else { b"false" }),
                }
            }
            s.push(b'}');
        }
        let at_hash = s.len();
        key(s, field::ID);
        s.push(b'"');
        push_uuid(id, s);
        s.push(b'"');
        if let Some(mac) = &self.mac {
            key(s, field::KEY_ID);
            canonical::string(mac.id(), s);
        }
        key(s, field::KIND);
        plain(s, RecordKind::Event.as_str());
        let at_mac = s.len();
        key(s, field::OUTCOME);
        plain(s, event.outcome.as_str());
        key(s, field::PREV);
        hex_string(s, &chain.prev);
        if let Some(reason) = &event.reason {
            key(s, field::REASON);
            canonical::string(reason, s);
        }
        if let Some(resource) = &event.resource {
            key(s, field::RESOURCE);
            object_id_type(s, &resource.id, &resource.kind);
        }
        key(s, field::SEQ);
        uint(s, chain.next_seq);
        key(s, field::SERVICE);
        canonical::string(&self.service, s);
        if let Some((_, span_id)) = &event.trace {
            key(s, field::SPAN_ID);
            hex_string(s, span_id);
        }
        key(s, field::TIME);
        time(s, event.start);
        if let Some((trace_id, _)) = &event.trace {
            key(s, field::TRACE_ID);
            hex_string(s, trace_id);
        }
        key(s, field::V);
        uint(s, SCHEMA_VERSION);
        s.push(b'}');

        let hash = sha256(s);
        out.extend_from_slice(&s[..at_hash]);
        key(out, field::HASH);
        hex_string(out, &hash);
        out.extend_from_slice(&s[at_hash..at_mac]);
        if let Some(mac) = &self.mac {
            key(out, field::MAC);
            hex_string(out, &record_mac(mac.bytes(), &record::hex(&hash)));
        }
        out.extend_from_slice(&s[at_mac..]);
        out.push(b'\n');
        chain.prev = hash;
        chain.next_seq += 1;
    }

    /// Appends the line of a record of the log's own `kind` with the fields of `body` at `chain`
    /// to `out` and advances the chain.
    pub(crate) fn own(
        &mut self,
        chain: &mut Chain,
        kind: RecordKind,
        mut body: Map<String, Value>,
        out: &mut Vec<u8>,
    ) {
        body.insert(field::V.into(), SCHEMA_VERSION.into());
        body.insert(field::SEQ.into(), chain.next_seq.into());
        body.insert(field::KIND.into(), kind.as_str().into());
        body.insert(field::PREV.into(), record::hex(&chain.prev).into());
        if let Some(mac) = &self.mac {
            body.insert(field::KEY_ID.into(), mac.id().into());
        }
        // Our own records hold strings and unsigned integers only: these cannot fail.
        let hash =
            record::seal(&mut body, self.mac.as_ref().map(MacKey::bytes)).unwrap_or_default();
        let encoded = canonical::encode(&Value::Object(body), out);
        debug_assert!(encoded.is_ok(), "{encoded:?}");
        out.push(b'\n');
        chain.prev = hash;
        chain.next_seq += 1;
    }
}

/// `,"name":` for one of the record's own field names, which need no escaping (a test checks).
fn key(out: &mut Vec<u8>, name: &str) {
    out.reserve(name.len() + 4);
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

/// `"value"` for a value of our own that needs no escaping (a kind, an outcome).
fn plain(out: &mut Vec<u8>, value: &str) {
    out.push(b'"');
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
}

fn uint(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn time(out: &mut Vec<u8>, t: std::time::SystemTime) {
    out.push(b'"');
    push_rfc3339_nanos(t, out);
    out.push(b'"');
}

fn hex_string(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2 + 2);
    out.push(b'"');
    out.extend(
        bytes
            .iter()
            .flat_map(|&b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]),
    );
    out.push(b'"');
}

/// `{"id":..,"type":..}` (the keys in canonical order).
fn object_id_type(out: &mut Vec<u8>, id: &str, kind: &str) {
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(field::OBJECT_ID.as_bytes());
    out.extend_from_slice(b"\":");
    canonical::string(id, out);
    key(out, field::OBJECT_TYPE);
    canonical::string(kind, out);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::event::AuditOutcome;
    use crate::audit::record::{GENESIS_PREV, hex, record_hash};
    use serde_json::json;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    /// Parses `line` and checks it is exactly the canonical encoding of its value, with the
    /// right hash (and mac under `key`).
    fn check_line(line: &[u8], key: Option<&MacKey>) -> Value {
        assert_eq!(line.last(), Some(&b'\n'));
        let body = &line[..line.len() - 1];
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            String::from_utf8(canonical::to_vec(&v).unwrap()).unwrap(),
            String::from_utf8(body.to_vec()).unwrap()
        );
        let hash = hex(&record_hash(&v).unwrap());
        assert_eq!(v["hash"], json!(hash));
        match key {
            Some(k) => {
                assert_eq!(v["key_id"], json!(k.id()));
                assert_eq!(v["mac"], json!(hex(&record_mac(k.bytes(), &hash))));
            }
            None => assert!(v.get("mac").is_none() && v.get("key_id").is_none()),
        }
        v
    }

    fn full_event() -> AuditEvent {
        let start = UNIX_EPOCH + Duration::from_nanos(1_795_000_000_123_456_789);
        AuditEvent::new("config.update")
            .actor("al\"ice", "user")
            .resource("config_key", "routing\n.model")
            .outcome(AuditOutcome::Failure, Some("denied\u{1}"))
            .field("z", "last")
            .field("a", -1i64)
            .field("m", u64::MAX)
            .field("b", false)
            .field("é", "ü")
            .redacted("value")
            .hashed("api_key", b"k")
            .detail("old", json!({"x": [1, "two", {"b": true, "a": 0.5}]}))
            .detail("new", json!("v"))
            .times(start, start + Duration::from_micros(2_500))
            .trace([0xab; 16], [0xcd; 8])
    }

    #[test]
    fn an_event_line_is_canonical_and_chained() {
        for key in [
            None,
            Some(MacKey::from_hex("k1", &"11".repeat(32)).unwrap()),
        ] {
            let mut enc = Encoder::new("gate\\way".into(), key.clone());
            let mut chain = Chain::GENESIS;
            let mut out = Vec::new();
            enc.event(&mut chain, &full_event(), &[7; 16], &mut out);
            let first = check_line(&out, key.as_ref());
            assert_eq!(first["seq"], json!(1));
            assert_eq!(first["prev"], json!(GENESIS_PREV));
            assert_eq!(first["duration_us"], json!(2500));
            assert_eq!(first["duration_ms"], json!(2));
            assert_eq!(first["time"], json!("2026-11-18T11:06:40.123456789Z"));
            assert_eq!(first["end_time"], json!("2026-11-18T11:06:40.125956789Z"));
            assert_eq!(first["trace_id"], json!("ab".repeat(16)));
            assert_eq!(first["span_id"], json!("cd".repeat(8)));
            assert_eq!(first["id"], json!("07070707-0707-0707-0707-070707070707"));
            assert_eq!(first["actor"], json!({"id": "al\"ice", "type": "user"}));
            assert_eq!(
                first["resource"],
                json!({"type": "config_key", "id": "routing\n.model"})
            );
            assert_eq!(first["fields"]["value"], json!("[REDACTED]"));
            assert_eq!(first["fields"]["m"], json!(u64::MAX));
            assert_eq!(first["details"]["old"]["x"][2]["a"], json!("0.5"));
            assert_eq!(first["service"], json!("gate\\way"));
            assert_eq!(
                (first["v"].clone(), first["kind"].clone()),
                (json!(1), json!("event"))
            );

            let mut second = Vec::new();
            let minimal = AuditEvent::new("auth.login").times(UNIX_EPOCH, UNIX_EPOCH);
            enc.event(&mut chain, &minimal, &[1; 16], &mut second);
            let second = check_line(&second, key.as_ref());
            assert_eq!(second["seq"], json!(2));
            assert_eq!(second["prev"], first["hash"]);
            for absent in [
                "actor", "resource", "reason", "fields", "details", "trace_id", "span_id",
            ] {
                assert!(second.get(absent).is_none(), "{absent}");
            }
            assert_eq!(second["outcome"], json!("unknown"));
            assert_eq!(chain.next_seq, 3);
            assert_eq!(json!(hex(&chain.prev)), second["hash"]);
        }
    }

    #[test]
    fn the_names_written_without_escaping_need_none() {
        let names = [
            field::ACTION,
            field::ACTOR,
            field::DETAILS,
            field::DURATION_MS,
            field::DURATION_US,
            field::END_TIME,
            field::FIELDS,
            field::HASH,
            field::ID,
            field::KEY_ID,
            field::KIND,
            field::MAC,
            field::OUTCOME,
            field::PREV,
            field::REASON,
            field::RESOURCE,
            field::SEQ,
            field::SERVICE,
            field::SPAN_ID,
            field::TIME,
            field::TRACE_ID,
            field::V,
            field::OBJECT_ID,
            field::OBJECT_TYPE,
            "event",
            "success",
            "failure",
            "unknown",
        ];
        for name in names {
            let mut escaped = Vec::new();
            canonical::string(name, &mut escaped);
            let mut raw = Vec::new();
            plain(&mut raw, name);
            assert_eq!(escaped, raw, "{name}");
        }
    }

    #[test]
    fn an_end_before_the_start_is_a_zero_duration() {
        let mut enc = Encoder::new("s".into(), None);
        let mut out = Vec::new();
        let now = SystemTime::now();
        let e = AuditEvent::new("a.b").times(now, now - Duration::from_secs(1));
        enc.event(&mut Chain::GENESIS.clone(), &e, &[0; 16], &mut out);
        let v = check_line(&out, None);
        assert_eq!(v["duration_us"], json!(0));
    }

    #[test]
    fn own_records_are_canonical_and_continue_the_chain() {
        let key = MacKey::from_hex("k2", &"22".repeat(16)).unwrap();
        let mut enc = Encoder::new("s".into(), Some(key.clone()));
        let mut chain = Chain::GENESIS;
        let mut out = Vec::new();
        enc.event(&mut chain, &AuditEvent::new("a.b"), &[0; 16], &mut out);
        let first = check_line(&out, Some(&key));
        let mut body = Map::new();
        body.insert(field::TRUNCATED_BYTES.into(), 17.into());
        body.insert(
            field::SEGMENT.into(),
            "audit-00000000000000000001.jsonl".into(),
        );
        body.insert(field::LAST_GOOD_SEQ.into(), 1.into());
        let mut line = Vec::new();
        enc.own(&mut chain, RecordKind::Repair, body, &mut line);
        let repair = check_line(&line, Some(&key));
        assert_eq!(repair["kind"], json!("repair"));
        assert_eq!(repair["seq"], json!(2));
        assert_eq!(repair["prev"], first["hash"]);
        assert_eq!(repair["truncated_bytes"], json!(17));
    }
}
