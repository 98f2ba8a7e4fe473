//! The audit log through its public API: records on disk, delivery modes, reopen and repair,
//! rotation, gzip, retention, MACs and checkpoints.

use std::fs;
use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use obs_runtime::audit::record::{hex, record_mac};
use obs_runtime::audit::{
    self, Actor, AuditConfig, AuditError, AuditEvent, AuditLog, AuditOutcome, Checkpoint,
    CheckpointConfig, CheckpointSigner, CheckpointSink, Delivery, MacKey, Retention, Rotation,
    SyncPolicy, WhenFull,
};
use obs_tests::audit::{fresh_dir, read_chain, records, segment_files};
use serde_json::{Value, json};

fn config(dir: &Path) -> AuditConfig {
    AuditConfig::new(dir, "gateway")
}

fn event(n: u64) -> AuditEvent {
    AuditEvent::new("config.update")
        .actor("alice", "user")
        .resource("config_key", format!("key-{n}"))
        .field("n", n)
        .outcome(AuditOutcome::Success, None)
}

fn ns(records: &[Value]) -> Vec<u64> {
    records
        .iter()
        .filter(|r| r["kind"] == "event")
        .map(|r| r["fields"]["n"].as_u64().unwrap())
        .collect()
}

/// Runs `f` to completion on this thread (a minimal executor: the waker unparks the thread).
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

#[test]
fn durable_records_are_on_disk_when_record_returns_under_every_sync_policy() {
    for (i, sync) in [
        SyncPolicy::Always,
        SyncPolicy::GroupCommit(Duration::from_millis(2)),
        SyncPolicy::Never,
    ]
    .into_iter()
    .enumerate()
    {
        let dir = fresh_dir(&format!("policy-{i}"));
        let mut c = config(&dir);
        c.sync = sync;
        let log = AuditLog::open(c).unwrap();
        for n in 0..5 {
            log.record(event(n)).unwrap();
            // Read while the log is open: the record is in the file already.
            assert_eq!(ns(&records(&dir)), (0..=n).collect::<Vec<_>>(), "{sync:?}");
        }
        block_on(log.record_async(event(5))).unwrap();
        assert_eq!(ns(&records(&dir)).len(), 6);
        log.shutdown().unwrap();
    }
}

#[test]
fn an_event_record_holds_every_field() {
    let dir = fresh_dir("fields");
    let log = AuditLog::open(config(&dir)).unwrap();
    let start = std::time::UNIX_EPOCH + Duration::from_nanos(1_795_000_000_000_000_123);
    log.record(
        AuditEvent::new("config.update")
            .actor("alice", "user")
            .resource("config_key", "routing.model")
            .outcome(AuditOutcome::Failure, Some("permission_denied"))
            .field("model", "gpt-4o")
            .redacted("value")
            .hashed("api_key", b"sk-secret")
            .detail("old", json!("a"))
            .times(start, start + Duration::from_micros(1500))
            .trace([0x11; 16], [0x22; 8]),
    )
    .unwrap();
    log.shutdown().unwrap();
    let r = &records(&dir)[0];
    assert_eq!(r["v"], 1);
    assert_eq!(r["seq"], 1);
    assert_eq!(r["kind"], "event");
    assert_eq!(r["service"], "gateway");
    assert_eq!(r["action"], "config.update");
    assert_eq!(r["actor"], json!({"id": "alice", "type": "user"}));
    assert_eq!(
        r["resource"],
        json!({"type": "config_key", "id": "routing.model"})
    );
    assert_eq!(
        (r["outcome"].clone(), r["reason"].clone()),
        (json!("failure"), json!("permission_denied"))
    );
    assert_eq!(r["time"], "2026-11-18T11:06:40.000000123Z");
    assert_eq!(r["end_time"], "2026-11-18T11:06:40.001500123Z");
    assert_eq!(
        (r["duration_us"].clone(), r["duration_ms"].clone()),
        (json!(1500), json!(1))
    );
    assert_eq!(r["trace_id"], "11".repeat(16));
    assert_eq!(r["span_id"], "22".repeat(8));
    assert_eq!(r["fields"]["value"], "[REDACTED]");
    assert!(
        r["fields"]["api_key"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(r["details"]["old"], "a");
    let id = r["id"].as_str().unwrap();
    assert_eq!((id.len(), &id[14..15]), (36, "7"), "UUIDv7: {id}");
    let text = fs::read_to_string(dir.join("audit-00000000000000000001.jsonl")).unwrap();
    assert!(!text.contains("sk-secret"));
}

#[test]
fn reopening_continues_the_chain_and_a_second_writer_is_locked_out() {
    let dir = fresh_dir("reopen");
    let log = AuditLog::open(config(&dir)).unwrap();
    log.record(event(0)).unwrap();
    assert!(matches!(
        AuditLog::open(config(&dir)),
        Err(AuditError::Locked { .. })
    ));
    log.shutdown().unwrap();
    let log = AuditLog::open(config(&dir)).unwrap();
    log.record(event(1)).unwrap();
    log.shutdown().unwrap();
    let all = records(&dir);
    assert_eq!(
        all.iter()
            .map(|r| r["seq"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn buffered_appends_are_written_by_flush_and_by_shutdown() {
    let dir = fresh_dir("buffered");
    let mut c = config(&dir);
    c.delivery = Delivery::Buffered {
        capacity: 16,
        when_full: WhenFull::Block,
    };
    let log = AuditLog::open(c).unwrap();
    for n in 0..100 {
        log.append(event(n)).unwrap();
    }
    log.flush().unwrap();
    assert_eq!(ns(&records(&dir)), (0..100).collect::<Vec<_>>());
    for n in 100..150 {
        log.submit(event(n)).unwrap();
    }
    let clone = log.clone();
    log.shutdown().unwrap();
    assert!(matches!(clone.append(event(0)), Err(AuditError::Closed)));
    assert!(matches!(clone.record(event(0)), Err(AuditError::Closed)));
    assert_eq!(ns(&records(&dir)), (0..150).collect::<Vec<_>>());
}

#[test]
fn an_invalid_action_is_refused_before_it_is_queued() {
    let dir = fresh_dir("invalid");
    let log = AuditLog::open(config(&dir)).unwrap();
    let e = log.record(AuditEvent::new("Config Update")).unwrap_err();
    assert!(
        matches!(&e, AuditError::InvalidEvent(m) if m.contains("Config Update")),
        "{e}"
    );
    log.shutdown().unwrap();
    assert!(records(&dir).is_empty());
}

/// Writes two records, then damages the end of the segment with `tail`.
fn damaged(name: &str, tail: &[u8]) -> std::path::PathBuf {
    let dir = fresh_dir(name);
    let log = AuditLog::open(config(&dir)).unwrap();
    log.record(event(0)).unwrap();
    log.record(event(1)).unwrap();
    log.shutdown().unwrap();
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(dir.join("audit-00000000000000000001.jsonl"))
        .unwrap();
    f.write_all(tail).unwrap();
    dir
}

#[test]
fn a_torn_tail_is_cut_on_reopen_with_a_repair_record() {
    for (name, tail) in [
        ("torn-half-line", &b"{\"action\":\"config.upd"[..]),
        ("torn-zeros", &[0u8; 700][..]),
        (
            "torn-garbage-lines",
            &b"\x00\x00\n\xff\xfe\n{\"v\":1,\"seq\""[..],
        ),
    ] {
        let dir = damaged(name, tail);
        let log = AuditLog::open(config(&dir)).unwrap();
        log.record(event(2)).unwrap();
        log.shutdown().unwrap();
        let all = records(&dir);
        assert_eq!(all.len(), 4, "{name}");
        let repair = &all[2];
        assert_eq!(repair["kind"], "repair", "{name}");
        assert_eq!(repair["truncated_bytes"], tail.len() as u64, "{name}");
        assert_eq!(repair["last_good_seq"], 2, "{name}");
        assert_eq!(
            repair["segment"], "audit-00000000000000000001.jsonl",
            "{name}"
        );
        assert_eq!(ns(&all), [0, 1, 2], "{name}");
    }
}

#[test]
fn damage_that_a_crash_cannot_explain_stops_the_log_and_says_where() {
    // A whole line that parses but is not the next record.
    let forged = br#"{"kind":"event","seq":3,"v":1}"#;
    let mut line = forged.to_vec();
    line.push(b'\n');
    let dir = damaged("corrupt-forged", &line);
    match AuditLog::open(config(&dir)) {
        Err(AuditError::Corrupt {
            segment,
            line,
            what,
        }) => {
            assert!(segment.ends_with("audit-00000000000000000001.jsonl"));
            assert_eq!(line, 3);
            assert!(what.contains("hash"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    // Garbage followed by a valid-looking record: damage in the middle.
    let dir = damaged("corrupt-middle", b"garbage\n{\"seq\":9}\n");
    match AuditLog::open(config(&dir)) {
        Err(AuditError::Corrupt { line, what, .. }) => {
            assert_eq!(line, 3);
            assert!(what.contains("followed by more records"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    // A modified record in the middle of the segment.
    let dir = damaged("corrupt-modified", b"");
    let path = dir.join("audit-00000000000000000001.jsonl");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replacen("key-0", "key-9", 1);
    fs::write(&path, text).unwrap();
    let e = AuditLog::open(config(&dir)).unwrap_err();
    assert!(matches!(&e, AuditError::Corrupt { line: 1, .. }), "{e}");
}

/// A log of 60 buffered events in segments of 4 KiB, gzipped when rotated under `gzip`.
fn rotated_log(name: &str, gzip: bool) -> std::path::PathBuf {
    let dir = fresh_dir(name);
    let mut c = config(&dir);
    c.rotate = Rotation {
        max_bytes: 4096,
        max_age: None,
        gzip,
    };
    let log = AuditLog::open(c).unwrap();
    for n in 0..60 {
        log.append(event(n)).unwrap();
    }
    log.shutdown().unwrap();
    dir
}

#[test]
fn segments_rotate_by_size_and_the_chain_continues_across_them() {
    let dir = rotated_log("rotate", false);
    let segments = read_chain(&dir);
    assert!(segments.len() >= 3, "{}", segments.len());
    for pair in segments.windows(2) {
        let last = pair[0].records.last().unwrap();
        assert_eq!(last["kind"], "rotate");
        assert_eq!(last["next_segment"], pair[1].name.as_str());
    }
    for s in &segments {
        let size = fs::metadata(dir.join(&s.name)).unwrap().len();
        assert!(size < 4096 + 1024, "{} is {size} bytes", s.name);
    }
    let all: Vec<Value> = segments.into_iter().flat_map(|s| s.records).collect();
    assert_eq!(ns(&all), (0..60).collect::<Vec<_>>());
}

#[test]
fn rotated_segments_are_gzipped_and_read_back_whole() {
    let dir = rotated_log("gzip", true);
    let files = segment_files(&dir);
    let (last, rotated) = files.split_last().unwrap();
    assert!(!last.0.gzip);
    assert!(
        !rotated.is_empty() && rotated.iter().all(|(n, _)| n.gzip),
        "{files:?}"
    );
    assert_eq!(ns(&records(&dir)), (0..60).collect::<Vec<_>>());
    // Reopening with gzip leftovers of a crash: a stray .gz.tmp is cleared.
    fs::write(
        dir.join(format!("{}.gz.tmp", last.0.file_name())),
        b"partial",
    )
    .unwrap();
    let log = AuditLog::open(config(&dir)).unwrap();
    log.record(event(60)).unwrap();
    log.shutdown().unwrap();
    assert!(
        fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp"))
    );
    assert_eq!(ns(&records(&dir)), (0..61).collect::<Vec<_>>());
}

#[test]
fn segments_rotate_by_age() {
    let dir = fresh_dir("rotate-age");
    let mut c = config(&dir);
    c.rotate.max_age = Some(Duration::from_millis(30));
    let log = AuditLog::open(c).unwrap();
    log.record(event(0)).unwrap();
    thread::sleep(Duration::from_millis(120));
    log.record(event(1)).unwrap();
    log.shutdown().unwrap();
    let segments = read_chain(&dir);
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[0].records.last().unwrap()["kind"], "rotate");
}

#[test]
fn retention_removes_the_oldest_segments_and_records_what_it_removed() {
    let dir = fresh_dir("retention");
    let mut c = config(&dir);
    c.rotate = Rotation {
        max_bytes: 4096,
        max_age: None,
        gzip: false,
    };
    c.retain = Retention {
        max_count: Some(2),
        ..Retention::default()
    };
    let log = AuditLog::open(c).unwrap();
    for n in 0..100 {
        log.record(event(n)).unwrap();
    }
    log.shutdown().unwrap();
    let segments = read_chain(&dir);
    assert!(segments.len() <= 2, "{}", segments.len());
    let all: Vec<Value> = segments.iter().flat_map(|s| s.records.clone()).collect();
    let first = &all[0];
    assert!(first["seq"].as_u64().unwrap() > 1);
    // The retention records still present name contiguous ranges (older ones went with the
    // segments they were in), the last ending just before what remains, with the hash the first
    // remaining record points to.
    let removed: Vec<Value> = all
        .iter()
        .filter(|r| r["kind"] == "retention")
        .flat_map(|r| r["removed"].as_array().unwrap().clone())
        .collect();
    assert!(!removed.is_empty());
    for pair in removed.windows(2) {
        assert_eq!(
            pair[1]["first_seq"].as_u64().unwrap(),
            pair[0]["last_seq"].as_u64().unwrap() + 1
        );
    }
    let last = removed.last().unwrap();
    assert_eq!(
        last["last_seq"].as_u64().unwrap() + 1,
        first["seq"].as_u64().unwrap()
    );
    assert_eq!(last["last_hash"], first["prev"]);
    for r in &removed {
        assert!(!dir.join(r["segment"].as_str().unwrap()).exists());
    }
}

#[test]
fn records_carry_a_mac_under_the_configured_key() {
    let dir = fresh_dir("mac");
    let mut c = config(&dir);
    let key_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    c.mac_key = Some(MacKey::from_hex("k-2026", key_hex).unwrap());
    let log = AuditLog::open(c).unwrap();
    log.record(event(0)).unwrap();
    log.shutdown().unwrap();
    let r = &records(&dir)[0];
    assert_eq!(r["key_id"], "k-2026");
    let key: Vec<u8> = (0u8..32).collect();
    assert_eq!(
        r["mac"],
        hex(&record_mac(&key, r["hash"].as_str().unwrap()))
    );
}

/// A stand-in signer: the "signature" is a keyed hash, which the test can recompute.
struct TestSigner;
impl CheckpointSigner for TestSigner {
    fn key_id(&self) -> &str {
        "test-key"
    }
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        record_mac(b"test-signing-key", &String::from_utf8_lossy(msg)).to_vec()
    }
}

#[derive(Default)]
struct Collect(Mutex<Vec<Checkpoint>>);
impl CheckpointSink for Collect {
    fn put(&self, c: &Checkpoint) -> Result<(), AuditError> {
        self.0.lock().unwrap().push(c.clone());
        Ok(())
    }
}

#[test]
fn checkpoints_every_n_records_at_rotation_and_at_shutdown() {
    let dir = fresh_dir("checkpoints");
    let sink = Arc::new(Collect::default());
    let mut cp = CheckpointConfig::new(Arc::new(TestSigner));
    cp.every_records = Some(10);
    cp.every = None;
    cp.sinks.push(sink.clone());
    let mut c = config(&dir);
    c.checkpoint = Some(cp);
    c.sync = SyncPolicy::Always;
    let log = AuditLog::open(c).unwrap();
    for n in 0..25 {
        log.record(event(n)).unwrap();
    }
    log.shutdown().unwrap();
    let all = records(&dir);
    let text = fs::read_to_string(dir.join("checkpoints.jsonl")).unwrap();
    let lines: Vec<Checkpoint> = text
        .lines()
        .map(|l| Checkpoint::from_value(&serde_json::from_str(l).unwrap()).unwrap())
        .collect();
    assert_eq!(
        lines.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [10, 20, 25]
    );
    for c in &lines {
        let record = &all[c.seq as usize - 1];
        assert_eq!(record["hash"], c.hash.as_str());
        assert_eq!(c.key_id, "test-key");
        assert_eq!(c.sig, hex(&TestSigner.sign(&c.message())));
    }
    assert_eq!(*sink.0.lock().unwrap(), lines);

    // Reopened: nothing new, no new checkpoint; one more record, one more at shutdown.
    let reopen = |dir: &Path| {
        let mut c = config(dir);
        c.checkpoint = Some(CheckpointConfig::new(Arc::new(TestSigner)));
        AuditLog::open(c).unwrap()
    };
    reopen(&dir).shutdown().unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("checkpoints.jsonl")).unwrap(),
        text
    );
    let log = reopen(&dir);
    log.record(event(25)).unwrap();
    log.shutdown().unwrap();
    let after = fs::read_to_string(dir.join("checkpoints.jsonl")).unwrap();
    let last: Value = serde_json::from_str(after.lines().last().unwrap()).unwrap();
    assert_eq!((after.lines().count(), last["seq"].as_u64()), (4, Some(26)));
}

#[test]
fn the_task_local_actor_fills_events_built_inside_it() {
    let dir = fresh_dir("actor");
    let log = AuditLog::open(config(&dir)).unwrap();
    let fut = audit::with_actor(Actor::new("bob", "user"), async {
        log.record_async(AuditEvent::new("auth.login")).await
    });
    block_on(fut).unwrap();
    audit::scope_actor(Actor::new("cron", "service"), || {
        log.record(audit::provider_health_changed(
            "openai", "healthy", "degraded",
        ))
    })
    .unwrap();
    log.shutdown().unwrap();
    let all = records(&dir);
    assert_eq!(all[0]["actor"], json!({"id": "bob", "type": "user"}));
    assert_eq!(all[1]["actor"], json!({"id": "cron", "type": "service"}));
    assert_eq!(all[1]["action"], "provider.health_change");
    assert_eq!(
        all[1]["details"],
        json!({"from": "healthy", "to": "degraded"})
    );
}

#[test]
fn self_metrics_count_events_bytes_and_fsyncs() {
    let dir = fresh_dir("metrics");
    let log = AuditLog::open(config(&dir)).unwrap();
    log.record(event(0)).unwrap();
    log.shutdown().unwrap();
    let text = obs_runtime::Registry::global().encode(obs_runtime::Format::Text);
    for family in [
        "obs_audit_events_total",
        "obs_audit_bytes_total",
        "obs_audit_fsync_duration_seconds_count",
        "obs_audit_queue_depth",
        "obs_audit_dropped_total",
        "obs_audit_repairs_total",
        "obs_audit_errors_total",
    ] {
        assert!(text.contains(family), "{family} missing:\n{text}");
    }
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name) && l.as_bytes().get(name.len()) == Some(&b' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert!(value("obs_audit_events_total") >= 1.0);
    assert!(value("obs_audit_bytes_total") >= 200.0);
    assert!(value("obs_audit_fsync_duration_seconds_count") >= 1.0);
}

/// The segment files of `dir` and their total size.
fn on_disk(dir: &Path) -> (usize, u64) {
    let files = segment_files(dir);
    let bytes = files
        .iter()
        .map(|(_, p)| fs::metadata(p).unwrap().len())
        .sum();
    (files.len(), bytes)
}

#[test]
fn retention_by_total_size_and_by_age() {
    // By size: at most 12 KiB of 4 KiB segments stay (a segment may pass 4 KiB by one record).
    let dir = fresh_dir("retention-bytes");
    let mut c = config(&dir);
    c.rotate = Rotation {
        max_bytes: 4096,
        max_age: None,
        gzip: false,
    };
    c.retain = Retention {
        max_bytes: Some(12 << 10),
        ..Retention::default()
    };
    let log = AuditLog::open(c).unwrap();
    for n in 0..200 {
        log.append(event(n)).unwrap();
    }
    log.shutdown().unwrap();
    let (count, bytes) = on_disk(&dir);
    assert!(
        bytes <= (12 << 10) + 1024,
        "{count} segments, {bytes} bytes"
    );
    let all = records(&dir);
    assert!(all[0]["seq"].as_u64().unwrap() > 1);
    assert_eq!(ns(&all).last(), Some(&199));

    // By age: segments last written before the limit go at the next rotation.
    let dir = fresh_dir("retention-age");
    let mut c = config(&dir);
    c.rotate = Rotation {
        max_bytes: 4096,
        max_age: None,
        gzip: false,
    };
    c.retain = Retention {
        max_age: Some(Duration::from_millis(200)),
        ..Retention::default()
    };
    let log = AuditLog::open(c).unwrap();
    for n in 0..40 {
        log.append(event(n)).unwrap();
    }
    log.flush().unwrap();
    let (before, _) = on_disk(&dir);
    assert!(before >= 3, "{before}");
    thread::sleep(Duration::from_millis(300));
    for n in 40..60 {
        log.append(event(n)).unwrap();
    }
    log.shutdown().unwrap();
    let all = records(&dir);
    let first_n = ns(&all)[0];
    assert!(
        first_n >= 40 - 10,
        "old segments were kept: the log starts at n = {first_n}"
    );
    assert!(all.iter().any(|r| r["kind"] == "retention"));
}
