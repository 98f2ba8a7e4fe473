//! The audit log (issue 9), side by side with what a Rust service would use instead: the same
//! JSON lines written through `tracing-appender`'s non-blocking writer (a background thread and
//! a channel, no hash chain, no fsync, lines dropped when its queue is full).
//!
//! - `audit_throughput`: events per second from two producer threads, until every event is
//!   written (obs: group commit, the default, and `always`, an fsync per written batch; the
//!   peer: until its worker has written them, by dropping its guard), and from one caller that
//!   waits for each record under `always` (an fsync per event). Criterion prints elements per
//!   second.
//! - `audit_call`: the time one call of an annotated function adds: a plain function, the same
//!   under `#[audited(mode = "buffered")]` (returns once queued) and under `#[audited]` (durable:
//!   returns once its record is synced, so the group-commit interval, 5 ms, is most of it), and
//!   the plain function writing the same event as a JSON line through the peer.
//!
//! Run with `cargo bench -p obs-runtime --features audit --bench audit`; BENCHMARKS.md has the
//! figures. Logs go to temporary directories, removed at the end (but the installed log's, which
//! stays open until the process exits).

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use obs_runtime::audit::{
    self, AuditConfig, AuditError, AuditEvent, AuditLog, Delivery, Retention, SyncPolicy, WhenFull,
};
use obs_runtime::audited;

const PRODUCERS: u64 = 2;

/// A fresh directory under the system's temporary directory.
fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("obs-bench-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A log in `dir` with `sync`, buffered delivery with back-pressure, keeping at most four
/// rotated segments so a long run does not fill the disk.
fn open(dir: &Path, sync: SyncPolicy) -> AuditLog {
    let mut config = AuditConfig::new(dir, "bench");
    config.sync = sync;
    config.delivery = Delivery::Buffered {
        capacity: 65_536,
        when_full: WhenFull::Block,
    };
    config.retain = Retention {
        max_count: Some(4),
        ..Retention::default()
    };
    AuditLog::open(config).unwrap()
}

/// The event every variant writes.
fn event(n: u64) -> AuditEvent {
    AuditEvent::new("config.update")
        .actor("user-42", "user")
        .resource("config_key", "routing.default_model")
        .field("n", n as i64)
}

/// The same event as the JSON line a service would log through `tracing-appender`.
fn json_line(n: u64) -> Vec<u8> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let mut line = serde_json::to_vec(&serde_json::json!({
        "time": now.as_nanos() as u64,
        "action": "config.update",
        "actor": {"id": "user-42", "type": "user"},
        "resource": {"type": "config_key", "id": "routing.default_model"},
        "outcome": "success",
        "service": "bench",
        "fields": {"n": n},
    }))
    .unwrap();
    line.push(b'\n');
    line
}

/// `iters` events from [`PRODUCERS`] threads through `log`, until all are written.
fn through_obs(log: &AuditLog, iters: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for p in 0..PRODUCERS {
            s.spawn(move || {
                for n in (p..iters).step_by(PRODUCERS as usize) {
                    log.append(event(n)).unwrap();
                }
            });
        }
    });
    log.flush().unwrap();
    start.elapsed()
}

/// `iters` JSON lines from [`PRODUCERS`] threads through a new non-blocking writer, until its
/// worker has written them all (dropping the guard waits for that).
fn through_appender(dir: &Path, iters: u64) -> Duration {
    let file = tracing_appender::rolling::never(dir, "appender.jsonl");
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(file);
    let start = Instant::now();
    std::thread::scope(|s| {
        for p in 0..PRODUCERS {
            let mut writer = writer.clone();
            s.spawn(move || {
                for n in (p..iters).step_by(PRODUCERS as usize) {
                    writer.write_all(&json_line(n)).unwrap();
                }
            });
        }
    });
    drop(writer);
    drop(guard);
    start.elapsed()
}

fn throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit_throughput");
    g.throughput(Throughput::Elements(1));
    let group_dir = dir("group");
    let group = open(&group_dir, SyncPolicy::default());
    g.bench_function("obs_group_commit", |b| {
        b.iter_custom(|iters| through_obs(&group, iters))
    });
    group.shutdown().unwrap();
    let always_dir = dir("always");
    let always = open(&always_dir, SyncPolicy::Always);
    g.sample_size(10);
    g.bench_function("obs_always", |b| {
        b.iter_custom(|iters| through_obs(&always, iters))
    });
    always.shutdown().unwrap();
    // One caller waiting for each record (`record`, durable): an fsync per event.
    let one_dir = dir("always-one");
    let one = open(&one_dir, SyncPolicy::Always);
    g.bench_function("obs_always_one_durable_caller", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for n in 0..iters {
                one.record(event(n)).unwrap();
            }
            start.elapsed()
        })
    });
    one.shutdown().unwrap();
    g.sample_size(100);
    let appender_dir = dir("appender");
    g.bench_function("tracing_appender", |b| {
        b.iter_custom(|iters| through_appender(&appender_dir, iters))
    });
    g.finish();
    for d in [group_dir, always_dir, one_dir, appender_dir] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// The error of the annotated functions: it carries an audit failure (durable mode).
#[derive(Debug)]
pub struct BenchError(#[allow(dead_code)] AuditError);

impl From<AuditError> for BenchError {
    fn from(e: AuditError) -> Self {
        Self(e)
    }
}

#[inline(never)]
fn plain(user: &str, key: &str) -> Result<usize, BenchError> {
    Ok(black_box(user).len() + black_box(key).len())
}

#[audited(action = "config.update", actor = user, actor_type = "user", resource(type = "config_key", id = key), mode = "buffered")]
#[inline(never)]
fn buffered(user: &str, key: &str) -> Result<usize, BenchError> {
    Ok(black_box(user).len() + black_box(key).len())
}

#[audited(action = "config.update", actor = user, actor_type = "user", resource(type = "config_key", id = key))]
#[inline(never)]
fn durable(user: &str, key: &str) -> Result<usize, BenchError> {
    Ok(black_box(user).len() + black_box(key).len())
}

/// The peer: the plain function, then its event as a JSON line through the non-blocking writer.
#[inline(never)]
fn appender(
    writer: &mut tracing_appender::non_blocking::NonBlocking,
    user: &str,
    key: &str,
) -> Result<usize, BenchError> {
    let out = plain(user, key);
    writer.write_all(&json_line(0)).unwrap();
    out
}

/// The process-wide log `#[audited]` writes to.
fn installed() -> &'static AuditLog {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| dir("installed"));
    if audit::global().is_none() {
        audit::install(open(dir, SyncPolicy::default())).unwrap();
    }
    audit::global().unwrap()
}

fn per_call(c: &mut Criterion) {
    let log = installed();
    let mut g = c.benchmark_group("audit_call");
    g.bench_function("plain", |b| {
        b.iter(|| plain(black_box("user-42"), black_box("routing.default_model")))
    });
    g.bench_function("obs_buffered", |b| {
        b.iter(|| buffered(black_box("user-42"), black_box("routing.default_model")))
    });
    let appender_dir = dir("appender-call");
    let file = tracing_appender::rolling::never(&appender_dir, "appender.jsonl");
    let (writer, guard) = tracing_appender::non_blocking(file);
    let writer = Arc::new(std::sync::Mutex::new(writer));
    g.bench_function("tracing_appender", |b| {
        let mut writer = writer.lock().unwrap();
        b.iter(|| {
            appender(
                &mut writer,
                black_box("user-42"),
                black_box("routing.default_model"),
            )
        })
    });
    g.sample_size(20);
    g.bench_function("obs_durable", |b| {
        b.iter(|| durable(black_box("user-42"), black_box("routing.default_model")))
    });
    g.finish();
    drop(guard);
    // Checks, outside the timing: the calls were audited, and the log verifies.
    log.flush().unwrap();
    let report =
        audit::verify::verify_dir(log.dir(), &audit::verify::VerifyOptions::new()).unwrap();
    assert!(report.is_ok(), "{:?}", report.problem);
    assert!(report.records > 0);
    let _ = std::fs::remove_dir_all(appender_dir);
}

criterion_group!(benches, throughput, per_call);
criterion_main!(benches);
