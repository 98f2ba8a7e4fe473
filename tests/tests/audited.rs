//! `#[audited]`: one event per call on every exit path (ok, `Err`, panic, cancelled) of sync and
//! async functions, returned futures and methods, with its action, actor, resource and fields;
//! durable calls returning the audit failure as their error; redacted and hashed values never in
//! clear in the log's files; the task-local actor; the `obs_function_*` counts.
//!
//! Most functions write to the global log, installed once; each has an action of its own, so a
//! test reads only its events. The tests that use the global log take [`serial`], so none reads
//! the files while another writes them.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Waker};

use obs_runtime::audit::record::{HASHED_PREFIX, REDACTED, hex, sha256};
use obs_runtime::audit::{self, Actor, AuditConfig, AuditError, AuditLog};
use obs_runtime::export::{OtlpConfig, Protocol, inject, traces_layer};
use obs_runtime::observed::CallSite;
use obs_runtime::{ErrorKind, audited};
use obs_tests::audit::{fresh_dir, records};
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt;

#[derive(Debug, ErrorKind)]
enum ConfigError {
    NotFound,
    #[allow(dead_code)]
    Audit(AuditError),
}

impl From<AuditError> for ConfigError {
    fn from(e: AuditError) -> Self {
        Self::Audit(e)
    }
}

/// An error without an `ErrorKind`: its events' reason is `error`.
#[derive(Debug)]
struct Refused;

impl From<AuditError> for Refused {
    fn from(_: AuditError) -> Self {
        Self
    }
}

/// The global log's directory; the log is installed on first use.
fn global_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = fresh_dir("audited-global");
        audit::install(AuditLog::open(AuditConfig::new(&dir, "audited-tests")).unwrap()).unwrap();
        dir
    })
}

/// Held by each test that uses the global log.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    global_dir();
    guard
}

/// The events of `action` in the global log, once everything queued is written.
fn events(action: &str) -> Vec<Value> {
    audit::global().unwrap().flush().unwrap();
    events_in(global_dir(), action)
}

fn events_in(dir: &Path, action: &str) -> Vec<Value> {
    records(dir)
        .into_iter()
        .filter(|r| r["kind"] == "event" && r["action"] == action)
        .collect()
}

/// The one event of `action` whose field `field` is `value`.
fn the_event(all: &[Value], field: &str, value: Value) -> Value {
    let found: Vec<&Value> = all.iter().filter(|e| e["fields"][field] == value).collect();
    assert_eq!(found.len(), 1, "events with {field} = {value}: {all:#?}");
    found[0].clone()
}

fn outcome(event: &Value) -> (&str, Option<&str>) {
    (event["outcome"].as_str().unwrap(), event["reason"].as_str())
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// Polls `future` once (it must be pending), then drops it.
fn cancel<F: Future>(future: F) {
    let mut future = pin!(future);
    let poll = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
    assert!(poll.is_pending(), "the future was to wait");
}

fn quiet_panics<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    catch_unwind(AssertUnwindSafe(f))
}

struct Ctx {
    user: String,
}

/// How a test function ends.
#[derive(Clone, Copy)]
enum End {
    Ok,
    Err,
    Panic,
    Pending,
}

#[audited(
    action = "exit.sync",
    actor = ctx.user,
    resource(type = "config_key", id = key),
    fields(key, attempt, owner = ctx.user.as_str())
)]
fn sync_update(ctx: &Ctx, key: &str, attempt: u32, end: End) -> Result<u32, ConfigError> {
    match end {
        End::Ok => Ok(attempt),
        End::Err => Err(ConfigError::NotFound),
        End::Panic | End::Pending => panic!("sync_update failed"),
    }
}

#[test]
fn a_sync_function_writes_one_event_per_call_on_every_path() {
    let _serial = serial();
    let ctx = Ctx {
        user: "alice".into(),
    };
    assert_eq!(sync_update(&ctx, "routing.model", 1, End::Ok).unwrap(), 1);
    assert!(matches!(
        sync_update(&ctx, "routing.model", 2, End::Err),
        Err(ConfigError::NotFound)
    ));
    assert!(quiet_panics(|| sync_update(&ctx, "routing.model", 3, End::Panic)).is_err());

    let all = events("exit.sync");
    assert_eq!(all.len(), 3, "{all:#?}");
    let ok = the_event(&all, "attempt", json!(1));
    assert_eq!(outcome(&ok), ("success", None));
    assert_eq!(ok["actor"], json!({"id": "alice", "type": "user"}));
    assert_eq!(
        ok["resource"],
        json!({"type": "config_key", "id": "routing.model"})
    );
    assert_eq!(
        ok["fields"],
        json!({"key": "routing.model", "attempt": 1, "owner": "alice"})
    );
    assert_eq!(ok["service"], "audited-tests");
    assert!(ok["time"].as_str() <= ok["end_time"].as_str());
    // The reason of an `Err` is its `ErrorKind`.
    let err = the_event(&all, "attempt", json!(2));
    assert_eq!(outcome(&err), ("failure", Some("not_found")));
    let panicked = the_event(&all, "attempt", json!(3));
    assert_eq!(outcome(&panicked), ("unknown", Some("panic")));
    assert_eq!(panicked["actor"]["id"], "alice");
}

#[audited(action = "exit.async", fields(attempt), resource(type = "provider", id = name))]
async fn async_check(name: String, attempt: u32, end: End) -> Result<(), Refused> {
    tokio::task::yield_now().await;
    match end {
        End::Ok => Ok(()),
        End::Err => Err(Refused),
        End::Panic => panic!("async_check failed"),
        End::Pending => std::future::pending().await,
    }
}

#[test]
fn an_async_function_writes_one_event_per_call_on_every_path() {
    let _serial = serial();
    block_on(async_check("openai".into(), 1, End::Ok)).unwrap();
    assert!(block_on(async_check("openai".into(), 2, End::Err)).is_err());
    assert!(quiet_panics(|| block_on(async_check("openai".into(), 3, End::Panic))).is_err());
    // Dropped while waiting, after the first poll; and dropped before it (nothing ran).
    cancel(async_check("openai".into(), 4, End::Pending));
    drop(async_check("openai".into(), 5, End::Ok));
    // A future whose poll panicked, dropped later (after the panic was caught): still a panic.
    let mut future = Box::pin(async_check("openai".into(), 6, End::Panic));
    let mut cx = Context::from_waker(Waker::noop());
    while quiet_panics(|| future.as_mut().poll(&mut cx)).is_ok() {}
    drop(future);

    let all = events("exit.async");
    assert_eq!(all.len(), 5, "{all:#?}");
    assert_eq!(
        outcome(&the_event(&all, "attempt", json!(1))),
        ("success", None)
    );
    // An error without an `ErrorKind`.
    assert_eq!(
        outcome(&the_event(&all, "attempt", json!(2))),
        ("failure", Some("error"))
    );
    assert_eq!(
        outcome(&the_event(&all, "attempt", json!(3))),
        ("unknown", Some("panic"))
    );
    assert_eq!(
        outcome(&the_event(&all, "attempt", json!(6))),
        ("unknown", Some("panic"))
    );
    let cancelled = the_event(&all, "attempt", json!(4));
    assert_eq!(outcome(&cancelled), ("unknown", Some("cancelled")));
    assert_eq!(
        cancelled["resource"],
        json!({"type": "provider", "id": "openai"})
    );
    // No actor given and none current: none recorded.
    assert!(cancelled.get("actor").is_none(), "{cancelled}");
}

struct Router {
    admin: String,
    routes: Vec<String>,
}

impl Router {
    #[audited(action = "exit.method_sync", actor = self.admin, actor_type = "service", fields(route, count = self.routes.len()))]
    fn add(&mut self, route: &str) -> Result<usize, ConfigError> {
        if route.is_empty() {
            return Err(ConfigError::NotFound);
        }
        self.routes.push(route.to_owned());
        Ok(self.routes.len())
    }

    #[audited(action = "exit.method_async", actor = self.admin, fields(route))]
    async fn probe(&self, route: &str, end: End) -> Result<(), ConfigError> {
        tokio::task::yield_now().await;
        match end {
            End::Ok => Ok(()),
            End::Err => Err(ConfigError::NotFound),
            End::Panic => panic!("probe failed"),
            End::Pending => std::future::pending().await,
        }
    }

    /// A function returning a future: the call starts when the function is called.
    #[audited(action = "exit.method_future", actor = self.admin, fields(route))]
    fn warm(
        &self,
        route: String,
        end: End,
    ) -> impl Future<Output = Result<(), ConfigError>> + Send {
        async move {
            tokio::task::yield_now().await;
            match end {
                End::Ok => Ok::<(), ConfigError>(()),
                End::Err => Err(ConfigError::NotFound),
                End::Panic => panic!("warm failed"),
                End::Pending => std::future::pending().await,
            }
        }
    }
}

#[test]
fn methods_write_one_event_per_call_on_every_path() {
    let _serial = serial();
    let mut router = Router {
        admin: "ops".into(),
        routes: Vec::new(),
    };
    assert_eq!(router.add("/chat").unwrap(), 1);
    assert!(router.add("").is_err());
    let adds = events("exit.method_sync");
    assert_eq!(adds.len(), 2, "{adds:#?}");
    let added = the_event(&adds, "route", json!("/chat"));
    assert_eq!(outcome(&added), ("success", None));
    assert_eq!(added["actor"], json!({"id": "ops", "type": "service"}));
    // Taken when the call started, before the body pushed the route.
    assert_eq!(added["fields"]["count"], 0);
    assert_eq!(
        outcome(&the_event(&adds, "route", json!(""))),
        ("failure", Some("not_found"))
    );

    block_on(router.probe("/ok", End::Ok)).unwrap();
    assert!(block_on(router.probe("/err", End::Err)).is_err());
    assert!(quiet_panics(|| block_on(router.probe("/panic", End::Panic))).is_err());
    cancel(router.probe("/cancel", End::Pending));
    let probes = events("exit.method_async");
    assert_eq!(probes.len(), 4, "{probes:#?}");
    for (route, expected) in [
        ("/ok", ("success", None)),
        ("/err", ("failure", Some("not_found"))),
        ("/panic", ("unknown", Some("panic"))),
        ("/cancel", ("unknown", Some("cancelled"))),
    ] {
        let event = the_event(&probes, "route", json!(route));
        assert_eq!(outcome(&event), expected, "{route}");
        assert_eq!(event["actor"]["id"], "ops", "{route}");
    }

    block_on(router.warm("/ok".into(), End::Ok)).unwrap();
    assert!(block_on(router.warm("/err".into(), End::Err)).is_err());
    assert!(quiet_panics(|| block_on(router.warm("/panic".into(), End::Panic))).is_err());
    cancel(router.warm("/cancel".into(), End::Pending));
    // The function ran and returned its future, which was never polled.
    drop(router.warm("/unpolled".into(), End::Ok));
    let warms = events("exit.method_future");
    assert_eq!(warms.len(), 5, "{warms:#?}");
    for (route, expected) in [
        ("/ok", ("success", None)),
        ("/err", ("failure", Some("not_found"))),
        ("/panic", ("unknown", Some("panic"))),
        ("/cancel", ("unknown", Some("cancelled"))),
        ("/unpolled", ("unknown", Some("cancelled"))),
    ] {
        assert_eq!(
            outcome(&the_event(&warms, "route", json!(route))),
            expected,
            "{route}"
        );
    }
}

#[audited(action = "exit.buffered", fields(n), mode = "buffered")]
fn buffered(n: u64) -> u64 {
    n * 2
}

#[test]
fn a_buffered_call_writes_its_event_once_flushed() {
    let _serial = serial();
    assert_eq!(buffered(21), 42);
    let all = events("exit.buffered");
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(outcome(&all[0]), ("success", None));
}

#[audited(action = "actor.task_local", fields(n))]
async fn by_current_actor(n: u32) -> Result<u32, ConfigError> {
    tokio::task::yield_now().await;
    Ok(n)
}

#[audited(action = "actor.scoped", fields(n))]
fn by_scoped_actor(n: u32) -> Result<u32, ConfigError> {
    Ok(n)
}

#[test]
fn without_an_actor_argument_the_current_actor_is_recorded() {
    let _serial = serial();
    let alice = Actor::new("alice", "user");
    block_on(audit::with_actor(alice.clone(), by_current_actor(1))).unwrap();
    block_on(by_current_actor(2)).unwrap();
    audit::scope_actor(Actor::new("nightly", "service"), || by_scoped_actor(3)).unwrap();

    let tasks = events("actor.task_local");
    assert_eq!(
        the_event(&tasks, "n", json!(1))["actor"],
        json!({"id": "alice", "type": "user"})
    );
    assert!(the_event(&tasks, "n", json!(2)).get("actor").is_none());
    let scoped = events("actor.scoped");
    assert_eq!(
        the_event(&scoped, "n", json!(3))["actor"],
        json!({"id": "nightly", "type": "service"})
    );
}

#[audited(action = "metrics.count", fields(fail), mode = "buffered")]
fn counted(fail: bool) -> Result<(), Refused> {
    if fail { Err(Refused) } else { Ok(()) }
}

#[test]
fn an_audited_function_is_counted_like_an_observed_one() {
    let _serial = serial();
    counted(false).unwrap();
    counted(true).unwrap_err();
    counted(false).unwrap();
    let site = CallSite::find(module_path!(), "counted").expect("registered on its first call");
    // ok, error, panic, cancelled
    assert_eq!(site.snapshot().outcomes, [2, 1, 0, 0]);
    assert_eq!(events("metrics.count").len(), 3);
}

#[audited(action = "durable.write", log = log, fields(key))]
fn write_to(log: &AuditLog, key: &str, fail: bool) -> Result<(), ConfigError> {
    if fail {
        return Err(ConfigError::NotFound);
    }
    Ok(())
}

#[audited(action = "durable.write_async", log = log, fields(key))]
async fn write_to_async(log: AuditLog, key: String) -> Result<(), ConfigError> {
    tokio::task::yield_now().await;
    Ok(())
}

#[audited(action = "buffered.write", log = log, fields(key), mode = "buffered")]
fn append_to(log: &AuditLog, key: &str) -> Result<(), ConfigError> {
    Ok(())
}

#[test]
fn a_durable_call_returns_once_its_record_is_on_disk() {
    let dir = fresh_dir("audited-durable");
    let log = AuditLog::open(AuditConfig::new(&dir, "audited-tests")).unwrap();
    write_to(&log, "a", false).unwrap();
    // No flush: the record is in the file when the call returns.
    assert_eq!(events_in(&dir, "durable.write").len(), 1);
    block_on(write_to_async(log.clone(), "b".into())).unwrap();
    assert_eq!(events_in(&dir, "durable.write_async").len(), 1);
    log.shutdown().unwrap();
}

#[test]
fn a_durable_call_returns_the_audit_failure_as_its_error() {
    let dir = fresh_dir("audited-closed");
    let log = AuditLog::open(AuditConfig::new(&dir, "audited-tests")).unwrap();
    write_to(&log, "before", false).unwrap();
    log.clone().shutdown().unwrap();

    // The body ran and succeeded; its record could not be written.
    assert!(matches!(
        write_to(&log, "after", false),
        Err(ConfigError::Audit(AuditError::Closed))
    ));
    assert!(matches!(
        block_on(write_to_async(log.clone(), "after".into())),
        Err(ConfigError::Audit(AuditError::Closed))
    ));
    // A call that failed keeps its own error.
    assert!(matches!(
        write_to(&log, "failed", true),
        Err(ConfigError::NotFound)
    ));
    // A buffered call returns its own value.
    append_to(&log, "buffered").unwrap();

    let written = events_in(&dir, "durable.write");
    assert_eq!(written.len(), 1, "{written:#?}");
    assert_eq!(written[0]["fields"]["key"], "before");
}

#[audited(action = "durable.counted", log = log)]
fn write_counted(log: &AuditLog) -> Result<(), ConfigError> {
    Ok(())
}

#[audited(action = "durable.counted_async", log = log)]
async fn write_counted_async(log: AuditLog) -> Result<(), ConfigError> {
    tokio::task::yield_now().await;
    Ok(())
}

#[test]
fn a_call_that_returned_the_audit_failure_is_counted_as_an_error() {
    let dir = fresh_dir("audited-counted");
    let log = AuditLog::open(AuditConfig::new(&dir, "audited-tests")).unwrap();
    write_counted(&log).unwrap();
    block_on(write_counted_async(log.clone())).unwrap();
    log.clone().shutdown().unwrap();
    write_counted(&log).unwrap_err();
    block_on(write_counted_async(log.clone())).unwrap_err();
    // `obs_function_*` counts what the caller got: an error, not the `ok` the body returned.
    // (ok, error, panic, cancelled)
    let outcomes = |function| {
        CallSite::find(module_path!(), function)
            .expect("called above")
            .snapshot()
            .outcomes
    };
    assert_eq!(outcomes("write_counted"), [1, 1, 0, 0]);
    assert_eq!(outcomes("write_counted_async"), [1, 1, 0, 0]);
}

struct Login {
    user: String,
    signature: Vec<u8>,
}

#[audited(
    action = "auth.login",
    log = log,
    actor = req.user,
    fields(user = req.user.as_str()),
    redact(password),
    hash(api_key, signature = req.signature)
)]
fn login(
    log: &AuditLog,
    req: &Login,
    password: &str,
    api_key: String,
    end: End,
) -> Result<(), Refused> {
    let _ = (password, api_key);
    match end {
        End::Ok => Ok(()),
        End::Err => Err(Refused),
        End::Panic | End::Pending => panic!("login failed"),
    }
}

#[test]
fn redacted_and_hashed_values_never_reach_the_files_in_clear() {
    const PASSWORD: &str = "correct-horse-battery-staple-7731";
    const API_KEY: &str = "sk-live-0a1b2c3d4e5f-CLEARTEXT";
    const SIGNATURE: &[u8] = b"sig-9f8e7d6c5b4a-CLEARTEXT";
    let dir = fresh_dir("audited-redaction");
    let log = AuditLog::open(AuditConfig::new(&dir, "audited-tests")).unwrap();
    let req = Login {
        user: "mallory".into(),
        signature: SIGNATURE.to_vec(),
    };
    for end in [End::Ok, End::Err, End::Panic] {
        let _ = quiet_panics(|| login(&log, &req, PASSWORD, API_KEY.to_owned(), end));
    }
    log.shutdown().unwrap();

    let all = events_in(&dir, "auth.login");
    assert_eq!(all.len(), 3, "{all:#?}");
    let outcomes: Vec<_> = all.iter().map(outcome).collect();
    assert_eq!(
        outcomes,
        [
            ("success", None),
            ("failure", Some("error")),
            ("unknown", Some("panic"))
        ]
    );
    let hashed = |bytes: &[u8]| format!("{HASHED_PREFIX}{}", hex(&sha256(bytes)));
    for event in &all {
        assert_eq!(
            event["fields"],
            json!({
                "user": "mallory",
                "password": REDACTED,
                "api_key": hashed(API_KEY.as_bytes()),
                "signature": hashed(SIGNATURE),
            })
        );
    }
    // Every byte of every file the log wrote: segments, checkpoints, anything else.
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for secret in [PASSWORD.as_bytes(), API_KEY.as_bytes(), SIGNATURE] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "{} holds {:?} in clear",
                path.display(),
                String::from_utf8_lossy(secret)
            );
        }
        files += 1;
    }
    assert!(files >= 1);
}

/// The `traceparent` of the span current in the body: the call's own.
#[audited(action = "trace.linked", log = log)]
fn traced(log: &AuditLog) -> Result<String, ConfigError> {
    let mut carrier = std::collections::HashMap::new();
    inject(&tracing::Span::current(), &mut carrier);
    Ok(carrier.remove("traceparent").unwrap_or_default())
}

#[test]
fn an_event_carries_the_trace_and_span_ids_of_its_call() {
    let dir = fresh_dir("audited-trace");
    let log = AuditLog::open(AuditConfig::new(&dir, "audited-tests")).unwrap();
    // Nothing listens on the endpoint: spans are made and sampled, their export fails quietly.
    let endpoint = format!("http://127.0.0.1:{}", obs_tests::free_port());
    let (layer, guard) = traces_layer(&OtlpConfig::new(
        "audited",
        endpoint,
        Protocol::HttpProtobuf,
    ))
    .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let traceparent = tracing::subscriber::with_default(subscriber, || traced(&log)).unwrap();
    drop(guard);
    // Without a subscriber: no ids.
    traced(&log).unwrap();
    log.shutdown().unwrap();

    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "traceparent {traceparent:?}");
    let all = events_in(&dir, "trace.linked");
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[0]["trace_id"], parts[1]);
    assert_eq!(all[0]["span_id"], parts[2]);
    assert!(all[1].get("trace_id").is_none() && all[1].get("span_id").is_none());
}

/// A function returning a future whose body names no error type: only the declared `Output`
/// does, and the event is still written from it.
#[audited(action = "exit.future_ok_only", fields(n))]
fn future_ok_only(n: u32) -> impl Future<Output = Result<u32, ConfigError>> + Send {
    async move { Ok(n + 1) }
}

#[test]
fn a_returned_future_whose_body_names_no_error_type_is_audited() {
    let _serial = serial();
    assert_eq!(block_on(future_ok_only(41)).unwrap(), 42);
    let written = events("exit.future_ok_only");
    assert_eq!(written.len(), 1, "{written:#?}");
    assert_eq!(outcome(&written[0]), ("success", None));
    assert_eq!(written[0]["fields"]["n"], 41);
}
