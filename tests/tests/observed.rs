//! `#[observed]` behaviour: exact counts per outcome (ok, error, panic, cancelled), the in-flight
//! gauge back to zero on every path, the span tree and its fields, error kinds, recording into a
//! user's own families, and every function shape it must work on.

// `#[observed]` must work on an `unsafe fn`, which takes `unsafe` to declare and to call.
#![allow(unsafe_code)]

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream as _, StreamExt};
use obs_runtime::observed::{CallSite, CallSiteSnapshot};
use obs_runtime::{Bounded, ErrorKind, Format, LabelValue, Outcome, Registry, metrics, observed};
use obs_tests::spans::{SeenSpan, spans_of};
use obs_tests::{family, openmetrics_parse, promtool_check};

// ---------------------------------------------------------------------------------------------
// Helpers

/// The counters of the `#[observed]` function `function` of this file.
fn site(function: &str) -> CallSiteSnapshot {
    CallSite::find(module_path!(), function)
        .unwrap_or_else(|| panic!("`{function}` has not been called"))
        .snapshot()
}

/// `[ok, error, panic, cancelled]` of `function`.
fn outcomes(function: &str) -> [u64; 4] {
    site(function).outcomes
}

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: std::future::Future + ?Sized>(
    future: std::pin::Pin<&mut F>,
) -> std::task::Poll<F::Output> {
    future.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn span_named<'a>(spans: &'a [SeenSpan], suffix: &str) -> &'a SeenSpan {
    spans
        .iter()
        .find(|s| s.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("no span named `…{suffix}` in {spans:#?}"))
}

// ---------------------------------------------------------------------------------------------
// Outcomes

/// A crate's own `Result` alias, as many crates have.
type AppResult<T> = Result<T, AppError>;

/// The errors of the test functions.
#[derive(Debug, ErrorKind)]
pub enum AppError {
    /// Not there.
    NotFound,
    /// Upstream refused.
    RateLimited {
        /// Retry after this long.
        retry_after: u64,
    },
    /// Anything else.
    #[error_kind(rename = "internal_error")]
    Internal(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "app error: {self:?}")
    }
}

#[observed]
fn sync_outcome(mode: u8) -> AppResult<u8> {
    match mode {
        0 => Ok(0),
        1 => Err(AppError::NotFound),
        _ => panic!("mode {mode}"),
    }
}

#[observed]
fn io_alias(fail: bool) -> std::io::Result<()> {
    if fail {
        return Err(std::io::Error::other("disk"));
    }
    Ok(())
}

#[test]
fn sync_calls_are_counted_once_by_outcome() {
    assert!(sync_outcome(0).is_ok());
    assert!(sync_outcome(1).is_err());
    assert!(sync_outcome(0).is_ok());
    let caught = std::panic::catch_unwind(|| sync_outcome(2));
    assert!(caught.is_err());
    assert_eq!(outcomes("sync_outcome"), [2, 1, 1, 0]);
    assert_eq!(site("sync_outcome").in_flight, 0);
    assert_eq!(site("sync_outcome").cumulative.last(), Some(&4));

    io_alias(true).unwrap_err();
    io_alias(false).unwrap();
    assert_eq!(outcomes("io_alias"), [1, 1, 0, 0]);
}

#[observed]
async fn async_outcome(mode: u8) -> AppResult<u8> {
    tokio::task::yield_now().await;
    match mode {
        0 => Ok(0),
        1 => Err(AppError::Internal("boom".into())),
        2 => panic!("async mode {mode}"),
        _ => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(3)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_calls_are_counted_once_by_outcome() {
    assert!(async_outcome(0).await.is_ok());
    assert!(async_outcome(1).await.is_err());
    // A panic inside a spawned task: tokio catches it and drops the future afterwards, outside
    // the panic, which must still count as `panic`, not `cancelled`.
    let joined = tokio::spawn(async_outcome(2)).await;
    assert!(joined.unwrap_err().is_panic());
    // Dropped mid-flight by a timeout.
    let timed_out = tokio::time::timeout(Duration::from_millis(20), async_outcome(3)).await;
    assert!(timed_out.is_err());
    // Created and dropped without ever being polled: not a call.
    drop(async_outcome(0));
    assert_eq!(outcomes("async_outcome"), [1, 1, 1, 1]);
    assert_eq!(site("async_outcome").in_flight, 0);
}

/// A function returning `impl Future` whose body never names its error type: only the declared
/// `Output` says what it is, and the call must still be classified by it.
#[observed]
fn later_outcome(fail: bool) -> impl std::future::Future<Output = Result<u32, AppError>> {
    async move {
        if fail {
            return Err(AppError::NotFound);
        }
        Ok(7)
    }
}

/// The same with the error type appearing nowhere in the body.
#[observed]
fn later_ok() -> impl std::future::Future<Output = Result<u32, AppError>> + Send {
    async move { Ok(7) }
}

#[tokio::test]
async fn a_returned_future_is_classified_by_its_declared_output() {
    assert_eq!(later_outcome(false).await.unwrap(), 7);
    assert!(later_outcome(true).await.is_err());
    assert_eq!(outcomes("later_outcome"), [1, 1, 0, 0]);
    assert_eq!(later_ok().await.unwrap(), 7);
    assert_eq!(outcomes("later_ok"), [1, 0, 0, 0]);
}

#[observed]
async fn waits_for(rx: tokio::sync::oneshot::Receiver<()>) {
    let _ = rx.await;
}

#[tokio::test]
async fn the_in_flight_gauge_follows_running_calls() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(waits_for(rx));
    while CallSite::all().iter().all(|s| s.function != "waits_for") {
        tokio::task::yield_now().await;
    }
    assert_eq!(site("waits_for").in_flight, 1);
    tx.send(()).unwrap();
    task.await.unwrap();
    assert_eq!(site("waits_for").in_flight, 0);
    assert_eq!(outcomes("waits_for"), [1, 0, 0, 0]);
}

#[observed(error_kind)]
fn kinds(which: u8) -> AppResult<()> {
    match which {
        0 => Err(AppError::NotFound),
        1 => Err(AppError::RateLimited { retry_after: 3 }),
        2 => Err(AppError::Internal("x".into())),
        _ => Ok(()),
    }
}

#[observed(error_kind)]
fn io_kinds(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[test]
fn errors_are_counted_by_their_bounded_kind() {
    for which in [0, 1, 1, 2, 2, 2, 3] {
        let _ = kinds(which);
    }
    let sites = CallSite::all();
    let kinds_site = sites.iter().find(|s| s.function == "kinds").unwrap();
    let (names, counts) = kinds_site.error_kinds().unwrap();
    assert_eq!(names, ["not_found", "rate_limited", "internal_error"]);
    assert_eq!(counts, [1, 2, 3]);
    assert_eq!(outcomes("kinds"), [1, 6, 0, 0]);

    io_kinds("/definitely/not/here").unwrap_err();
    let io = CallSite::all()
        .into_iter()
        .find(|s| s.function == "io_kinds")
        .unwrap();
    let (names, counts) = io.error_kinds().unwrap();
    assert_eq!(
        counts[names.iter().position(|n| *n == "not_found").unwrap()],
        1
    );
}

// ---------------------------------------------------------------------------------------------
// Spans

#[observed(record(model), fields(prompt_len = prompt.len()))]
fn with_fields(model: &str, prompt: &str, api_key: &str) -> usize {
    model.len() + prompt.len() + api_key.len()
}

/// Only arguments, no `fields(...)`: the span is built without `tracing::span!`.
#[observed(record(model, r#type))]
fn recorded_only(model: &str, r#type: u8, api_key: &str) -> Result<usize, AppError> {
    if r#type == 0 {
        return Err(AppError::NotFound);
    }
    Ok(model.len() + api_key.len())
}

#[observed(err, ret)]
async fn child(fail: bool) -> Result<u32, AppError> {
    if fail { Err(AppError::NotFound) } else { Ok(7) }
}

#[observed(name = "parent_call", level = "debug")]
async fn parent(fail: bool) -> Result<u32, AppError> {
    let value = child(fail).await?;
    Ok(value + leaf(value))
}

#[observed]
fn leaf(x: u32) -> u32 {
    x * 2
}

#[observed(span = false)]
fn no_span() -> u8 {
    1
}

#[observed(metrics = false)]
fn no_metrics() -> u8 {
    2
}

#[test]
fn arguments_are_recorded_only_when_named() {
    let spans = spans_of(|| {
        with_fields("gpt-4o", "hello", "sk-secret");
    });
    let span = span_named(&spans, "::with_fields");
    assert_eq!(
        span.fields.get("model").map(String::as_str),
        Some("\"gpt-4o\"")
    );
    assert_eq!(span.fields.get("prompt_len").map(String::as_str), Some("5"));
    assert!(!span.fields.contains_key("api_key"));
    assert!(!span.fields.contains_key("prompt"));
    let everything = format!("{spans:?}");
    assert!(!everything.contains("sk-secret"), "{everything}");
    assert!(!everything.contains("hello"), "{everything}");

    let spans = spans_of(|| {
        recorded_only("claude", 1, "sk-other").unwrap();
        recorded_only("claude", 0, "sk-other").unwrap_err();
    });
    let recorded: Vec<_> = spans
        .iter()
        .filter(|s| s.name.ends_with("::recorded_only"))
        .collect();
    assert_eq!(recorded.len(), 2, "{spans:#?}");
    for span in &recorded {
        assert_eq!(span.fields["model"], "\"claude\"");
        assert!(!span.fields.contains_key("api_key"));
    }
    assert_eq!(recorded[0].fields["type"], "1");
    assert!(!recorded[0].fields.contains_key("error"));
    // The error is still recorded on a span built this way.
    assert_eq!(recorded[1].fields["type"], "0");
    assert_eq!(recorded[1].fields["error"], "app error: NotFound");
    assert_eq!(recorded[1].fields["otel.status_code"], "ERROR");
    assert!(!format!("{spans:?}").contains("sk-other"));
}

#[test]
fn nested_calls_nest_and_errors_mark_the_span() {
    let spans = spans_of(|| {
        current_thread().block_on(async {
            assert_eq!(parent(false).await.unwrap(), 21);
            assert!(parent(true).await.is_err());
        });
    });
    let parents: Vec<_> = spans.iter().filter(|s| s.name == "parent_call").collect();
    assert_eq!(parents.len(), 2);
    let children: Vec<_> = spans
        .iter()
        .filter(|s| s.name.ends_with("::child"))
        .collect();
    assert_eq!(children.len(), 2);
    assert!(
        children
            .iter()
            .all(|c| c.parent.as_deref() == Some("parent_call"))
    );
    let leaf = span_named(&spans, "::leaf");
    assert_eq!(leaf.parent.as_deref(), Some("parent_call"));

    // The failed child: error recorded on the span, with the OpenTelemetry status, and `err`
    // emitted an event; the successful one recorded its return value.
    let failed = children
        .iter()
        .find(|c| c.fields.contains_key("error"))
        .unwrap();
    assert_eq!(failed.fields["error"], "app error: NotFound");
    assert_eq!(failed.fields["otel.status_code"], "ERROR");
    assert!(failed.events.iter().any(|e| e.get("error").is_some()));
    // With `err` too, `ret` records only the `Ok` value.
    assert!(failed.events.iter().all(|e| !e.contains_key("return")));
    let ok = children
        .iter()
        .find(|c| !c.fields.contains_key("error"))
        .unwrap();
    assert!(
        ok.events
            .iter()
            .any(|e| e.get("return").map(String::as_str) == Some("7"))
    );
    // The `?` in the parent propagated the error: its span is marked too.
    assert!(
        parents
            .iter()
            .any(|p| p.fields.get("otel.status_code").map(String::as_str) == Some("ERROR"))
    );
}

#[test]
fn span_and_metrics_can_each_be_turned_off() {
    let spans = spans_of(|| {
        assert_eq!(no_span(), 1);
        assert_eq!(no_metrics(), 2);
    });
    assert!(spans.iter().all(|s| !s.name.ends_with("::no_span")));
    span_named(&spans, "::no_metrics");
    assert_eq!(outcomes("no_span"), [1, 0, 0, 0]);
    assert!(CallSite::all().iter().all(|s| s.function != "no_metrics"));
}

// ---------------------------------------------------------------------------------------------
// Recording into the user's own families

/// Upstreams.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Upstream {
    /// First.
    Primary,
    /// Second.
    Fallback,
}

metrics! {
    /// A user's own schema.
    pub MINE in "mine" {
        /// Upstream call latency.
        #[buckets(0.001, 0.1, 1)]
        upstream_duration_seconds: Histogram { upstream: Upstream },
        /// Upstream calls by outcome.
        upstream_calls_total: Counter { upstream: Upstream, outcome: Outcome },
        /// Calls by route and outcome.
        routed_total: Counter { route: Bounded<8>, outcome: Outcome },
    }
}

/// The body consumes the `String` a label value was borrowed from: the series are resolved when
/// the call starts, so that borrow has ended.
#[observed(calls = MINE.routed_total, labels(route.as_str()))]
fn consume(route: String) -> usize {
    let owned: String = route;
    owned.len()
}

#[observed(
    duration = MINE.upstream_duration_seconds,
    calls = MINE.upstream_calls_total,
    labels(upstream)
)]
async fn call_upstream(upstream: Upstream, mode: u8) -> Result<(), AppError> {
    tokio::task::yield_now().await;
    match mode {
        0 => Ok(()),
        1 => Err(AppError::NotFound),
        _ => std::future::pending().await,
    }
}

#[observed(metrics = false, calls = MINE.upstream_calls_total, labels(Upstream::Fallback))]
fn only_user_family() {}

#[test]
fn calls_are_recorded_into_the_users_families() {
    current_thread().block_on(async {
        call_upstream(Upstream::Primary, 0).await.unwrap();
        call_upstream(Upstream::Primary, 1).await.unwrap_err();
        call_upstream(Upstream::Fallback, 0).await.unwrap();
        let hung = tokio::time::timeout(
            Duration::from_millis(5),
            call_upstream(Upstream::Fallback, 2),
        );
        assert!(hung.await.is_err());
    });
    only_user_family();
    assert_eq!(consume("/v1/chat".to_owned()), 8);
    assert_eq!(MINE.routed_total.with(("/v1/chat", Outcome::Ok)).get(), 1);
    let calls = |u, o| MINE.upstream_calls_total.with((u, o)).get();
    assert_eq!(calls(Upstream::Primary, Outcome::Ok), 1);
    assert_eq!(calls(Upstream::Primary, Outcome::Error), 1);
    assert_eq!(calls(Upstream::Fallback, Outcome::Ok), 2);
    assert_eq!(calls(Upstream::Fallback, Outcome::Cancelled), 1);
    assert_eq!(
        MINE.upstream_duration_seconds
            .with(Upstream::Primary)
            .count(),
        2
    );
    assert_eq!(
        MINE.upstream_duration_seconds
            .with(Upstream::Fallback)
            .count(),
        2
    );
    assert!(
        CallSite::all()
            .iter()
            .all(|s| s.function != "only_user_family")
    );
}

// ---------------------------------------------------------------------------------------------
// Where it works

/// A service with every kind of receiver.
#[derive(Debug, Clone, Default)]
pub struct Service {
    items: Vec<String>,
}

impl Service {
    #[observed]
    fn by_ref(&self) -> &[String] {
        &self.items
    }

    #[observed]
    fn by_mut(&mut self, item: impl Into<String>) -> usize {
        self.items.push(item.into());
        self.items.len()
    }

    #[observed]
    fn by_value(self) -> Vec<String> {
        self.items
    }

    #[observed]
    async fn by_arc(self: Arc<Self>) -> usize {
        self.items.len()
    }

    #[observed]
    fn iter<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.items.iter().filter(move |i| i.starts_with(prefix))
    }

    #[observed]
    fn later(&self) -> impl std::future::Future<Output = usize> + '_ {
        async move { self.items.len() }
    }

    #[observed]
    fn parse_all(&self) -> Result<impl Iterator<Item = u32> + '_, std::num::ParseIntError> {
        let parsed: Vec<u32> = self
            .items
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?;
        Ok(parsed.into_iter())
    }
}

#[observed]
fn generic<T, U>(a: T, b: &U) -> String
where
    T: std::fmt::Display,
    U: std::fmt::Debug + ?Sized,
{
    format!("{a}{b:?}")
}

#[observed]
fn destructured((a, b): (u32, u32), Wrapper { inner }: Wrapper) -> u32 {
    a + b + inner
}

/// A struct to destructure.
pub struct Wrapper {
    inner: u32,
}

#[observed]
fn early(x: i32) -> Result<i32, String> {
    if x < 0 {
        return Err("negative".into());
    }
    let parsed: i32 = x.to_string().parse().map_err(|_| "unparsable".to_owned())?;
    Ok(parsed * 2)
}

#[observed]
fn factorial(n: u64) -> u64 {
    if n <= 1 { 1 } else { n * factorial(n - 1) }
}

#[observed]
/// # Safety
/// `p` must be valid for reads.
unsafe fn read_raw(p: *const u32) -> u32 {
    // SAFETY: the caller guarantees `p` is valid.
    unsafe { *p }
}

#[observed]
fn with_cfg(#[cfg(test)] a: u32, #[cfg(not(test))] a: u64) -> u64 {
    u64::from(a)
}

/// A trait implemented with observed methods.
pub trait Greeter {
    /// Greets.
    fn greet(&self, name: &str) -> String;
}

impl Greeter for Service {
    #[observed]
    fn greet(&self, name: &str) -> String {
        format!("hello {name}")
    }
}

/// An async trait, through `#[async_trait]`.
#[async_trait::async_trait]
pub trait Handler {
    /// Handles after `delay`.
    async fn handle(&self, delay: Duration) -> Result<u64, AppError>;
}

#[async_trait::async_trait]
impl Handler for Service {
    #[observed]
    async fn handle(&self, delay: Duration) -> Result<u64, AppError> {
        tokio::time::sleep(delay).await;
        Ok(self.items.len() as u64)
    }
}

#[observed(stream)]
fn numbers(n: u32) -> impl futures_util::Stream<Item = u32> {
    futures_util::stream::iter(0..n)
}

#[observed]
async fn not_send(n: u32) -> u32 {
    let local = std::rc::Rc::new(n);
    tokio::task::yield_now().await;
    *local + 1
}

#[test]
fn every_receiver_and_signature_shape_is_observed() {
    let mut service = Service::default();
    assert_eq!(service.by_mut("1"), 1);
    assert_eq!(service.by_mut(String::from("22")), 2);
    assert_eq!(service.by_ref().len(), 2);
    assert_eq!(service.iter("2").count(), 1);
    assert_eq!(service.parse_all().unwrap().sum::<u32>(), 23);
    assert_eq!(service.greet("you"), "hello you");
    assert_eq!(current_thread().block_on(service.later()), 2);
    assert_eq!(
        current_thread().block_on(Arc::new(service.clone()).by_arc()),
        2
    );
    assert_eq!(service.clone().by_value().len(), 2);
    service.by_mut("x");
    assert!(service.parse_all().is_err());
    assert_eq!(generic(1, "a"), "1\"a\"");
    assert_eq!(destructured((1, 2), Wrapper { inner: 3 }), 6);
    assert_eq!(early(-1), Err("negative".to_owned()));
    assert_eq!(early(4), Ok(8));
    assert_eq!(factorial(5), 120);
    let x = 9u32;
    // SAFETY: `x` is a live local.
    assert_eq!(unsafe { read_raw(&x) }, 9);
    assert_eq!(with_cfg(4), 4);

    for (function, expected) in [
        ("by_mut", [3, 0, 0, 0]),
        ("by_ref", [1, 0, 0, 0]),
        ("iter", [1, 0, 0, 0]),
        ("parse_all", [1, 1, 0, 0]),
        ("greet", [1, 0, 0, 0]),
        ("later", [1, 0, 0, 0]),
        ("by_arc", [1, 0, 0, 0]),
        ("by_value", [1, 0, 0, 0]),
        ("generic", [1, 0, 0, 0]),
        ("destructured", [1, 0, 0, 0]),
        ("early", [1, 1, 0, 0]),
        ("factorial", [5, 0, 0, 0]),
        ("read_raw", [1, 0, 0, 0]),
        ("with_cfg", [1, 0, 0, 0]),
    ] {
        assert_eq!(outcomes(function), expected, "{function}");
    }
}

#[test]
fn async_trait_methods_time_the_future_not_its_construction() {
    let service = Service::default();
    current_thread().block_on(async {
        let future = service.handle(Duration::from_millis(40));
        // Time between building the boxed future and awaiting it is not the call's.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(future.await.unwrap(), 0);
    });
    let snapshot = site("handle");
    assert_eq!(snapshot.outcomes, [1, 0, 0, 0]);
    // 40 ms of body; timing the construction too would be 640 ms or more. The upper bound leaves
    // room for a loaded machine.
    assert!(
        (0.035..0.5).contains(&snapshot.sum_seconds),
        "timed {}s",
        snapshot.sum_seconds
    );
}

#[test]
fn streams_are_observed_until_they_end_or_are_dropped() {
    current_thread().block_on(async {
        assert_eq!(numbers(3).collect::<Vec<_>>().await, [0, 1, 2]);
        let mut partial = Box::pin(numbers(10));
        assert_eq!(partial.next().await, Some(0));
        drop(partial);
        drop(numbers(5));
    });
    assert_eq!(outcomes("numbers"), [1, 0, 0, 1]);
    assert_eq!(site("numbers").in_flight, 0);
}

#[test]
fn not_send_futures_run_on_a_current_thread_runtime() {
    let local = tokio::task::LocalSet::new();
    let value = local.block_on(&current_thread(), async {
        tokio::task::spawn_local(not_send(1)).await.unwrap()
    });
    assert_eq!(value, 2);
    assert_eq!(outcomes("not_send"), [1, 0, 0, 0]);
}

#[observed]
fn closes_sync(mode: u8) -> AppResult<()> {
    match mode {
        0 => Ok(()),
        1 => Err(AppError::NotFound),
        _ => panic!("closes_sync mode {mode}"),
    }
}

#[observed]
async fn closes_async(mode: u8) -> AppResult<()> {
    tokio::task::yield_now().await;
    match mode {
        0 => Ok(()),
        1 => Err(AppError::NotFound),
        _ => panic!("closes_async mode {mode}"),
    }
}

#[observed(stream)]
fn closes_stream(n: u32) -> impl futures_util::Stream<Item = u32> {
    futures_util::stream::iter(0..n)
}

/// A span that is never closed is a leak in every subscriber that stores spans, so each span
/// `#[observed]` opens must close on every path: returned, failed, panicked, dropped mid-flight,
/// and a stream that ended or was dropped.
#[test]
fn every_span_closes_on_every_path() {
    let spans = spans_of(|| {
        closes_sync(0).unwrap();
        closes_sync(1).unwrap_err();
        std::panic::catch_unwind(|| closes_sync(2)).unwrap_err();
        current_thread().block_on(async {
            closes_async(0).await.unwrap();
            closes_async(1).await.unwrap_err();
            assert_eq!(closes_stream(2).collect::<Vec<_>>().await, [0, 1]);
            let mut partial = Box::pin(closes_stream(5));
            assert_eq!(partial.next().await, Some(0));
            drop(partial);
        });
        // Polled once (it yields), then dropped: cancelled.
        let mut cancelled = Box::pin(closes_async(0));
        assert!(poll_once(cancelled.as_mut()).is_pending());
        drop(cancelled);
        // Panics inside its second poll, caught there, and dropped afterwards.
        let mut panicking = Box::pin(closes_async(2));
        assert!(poll_once(panicking.as_mut()).is_pending());
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| poll_once(panicking.as_mut())));
        assert!(caught.is_err());
        drop(panicking);
    });
    let names = |suffix: &str| spans.iter().filter(|s| s.name.ends_with(suffix)).count();
    assert_eq!(
        (
            names("::closes_sync"),
            names("::closes_async"),
            names("::closes_stream")
        ),
        (3, 4, 2),
        "{spans:#?}"
    );
    let open: Vec<_> = spans.iter().filter(|s| !s.closed).collect();
    assert!(open.is_empty(), "spans never closed: {open:#?}");
    assert_eq!(outcomes("closes_sync"), [1, 1, 1, 0]);
    assert_eq!(outcomes("closes_async"), [1, 1, 1, 1]);
    assert_eq!(outcomes("closes_stream"), [1, 0, 0, 1]);
}

// ---------------------------------------------------------------------------------------------
// Exposition

/// Called only by the exposition test, so its counts are exact while other tests run in parallel.
#[observed(error_kind)]
fn exposed(mode: u8) -> AppResult<u8> {
    match mode {
        0 => Ok(0),
        1 => Err(AppError::RateLimited { retry_after: 1 }),
        _ => panic!("exposed mode {mode}"),
    }
}

#[test]
fn the_framework_families_pass_the_validators() {
    let _ = exposed(0);
    let _ = exposed(1);
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| exposed(9)));
    let registry = Registry::new();
    registry
        .register(obs_runtime::observed::framework_families())
        .unwrap();
    let text = registry.encode(Format::Text);
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let om = registry.encode(Format::OpenMetrics);
    let families = openmetrics_parse(&om).unwrap_or_else(|e| panic!("{e}\n{om}"));
    let calls = family(&families, "obs_function_calls");
    let labels = |outcome| {
        [
            ("function", "exposed"),
            ("module", module_path!()),
            ("outcome", outcome),
        ]
    };
    for outcome in ["ok", "error", "panic"] {
        assert_eq!(
            calls.value("obs_function_calls_total", &labels(outcome)),
            Some(1.0),
            "{outcome}"
        );
    }
    assert_eq!(
        calls.value("obs_function_calls_total", &labels("cancelled")),
        Some(0.0)
    );
    let duration = family(&families, "obs_function_duration_seconds");
    assert_eq!(duration.unit, "seconds");
    let in_flight = family(&families, "obs_function_in_flight");
    assert_eq!(
        in_flight.value(
            "obs_function_in_flight",
            &[("function", "exposed"), ("module", module_path!())]
        ),
        Some(0.0)
    );
    let errors = family(&families, "obs_function_errors");
    assert_eq!(
        errors.value(
            "obs_function_errors_total",
            &[("function", "exposed"), ("kind", "rate_limited")]
        ),
        Some(1.0)
    );
}

/// Every sample line of `text` (name and labels) that occurs more than once.
fn duplicate_samples(text: &str) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series))
        .filter(|series| !seen.insert(*series))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Functions with equal labels

struct Alpha;
struct Beta;

impl Alpha {
    #[observed]
    fn get(&self, fail: bool) -> AppResult<u8> {
        if fail { Err(AppError::NotFound) } else { Ok(1) }
    }
}

impl Beta {
    #[observed]
    fn get(&self) -> u8 {
        2
    }
}

/// `Alpha::get` and `Beta::get` are two call sites with the same `function` and `module`: the
/// exposition sums them into one series instead of showing the same series twice (which
/// Prometheus would silently keep only one of).
#[test]
fn same_named_methods_in_one_module_are_one_series() {
    Alpha.get(false).unwrap();
    Alpha.get(true).unwrap_err();
    for _ in 0..3 {
        Beta.get();
    }
    let registry = Registry::new();
    registry
        .register(obs_runtime::observed::framework_families())
        .unwrap();
    let om = registry.encode(Format::OpenMetrics);
    let families = openmetrics_parse(&om).unwrap_or_else(|e| panic!("{e}\n{om}"));
    assert_eq!(duplicate_samples(&om), Vec::<&str>::new(), "{om}");
    let text = registry.encode(Format::Text);
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(duplicate_samples(&text), Vec::<&str>::new());

    let site = [("function", "get"), ("module", module_path!())];
    let with = |extra: (&'static str, &'static str)| {
        let mut labels = site.to_vec();
        labels.push(extra);
        labels
    };
    let calls = family(&families, "obs_function_calls");
    assert_eq!(
        calls.value("obs_function_calls_total", &with(("outcome", "ok"))),
        Some(4.0)
    );
    assert_eq!(
        calls.value("obs_function_calls_total", &with(("outcome", "error"))),
        Some(1.0)
    );
    let duration = family(&families, "obs_function_duration_seconds");
    assert_eq!(
        duration.value("obs_function_duration_seconds_count", &site),
        Some(5.0)
    );
    assert_eq!(
        duration.value(
            "obs_function_duration_seconds_bucket",
            &with(("le", "+Inf"))
        ),
        Some(5.0)
    );
    let in_flight = family(&families, "obs_function_in_flight");
    assert_eq!(in_flight.value("obs_function_in_flight", &site), Some(0.0));
}

// ---------------------------------------------------------------------------------------------
// Latency buckets

/// The `le` bounds of `function`'s latency histogram in `families`, `+Inf` excluded.
fn latency_bounds(families: &[obs_tests::ParsedFamily], function: &str) -> Vec<(f64, f64)> {
    family(families, "obs_function_duration_seconds")
        .samples
        .iter()
        .filter(|s| {
            s.name == "obs_function_duration_seconds_bucket"
                && s.labels.get("function").map(String::as_str) == Some(function)
                && s.labels["le"] != "+Inf"
        })
        .map(|s| (s.labels["le"].parse().unwrap(), s.value))
        .collect()
}

#[observed]
fn default_layout() {}

/// Calls of LLMs take tens of seconds: the default layout counts them below `+Inf`, up to 300 s.
#[test]
fn the_default_latency_buckets_reach_past_two_minutes() {
    default_layout();
    let om = Registry::global().encode(Format::OpenMetrics);
    let families = openmetrics_parse(&om).unwrap_or_else(|e| panic!("{e}\n{om}"));
    let bounds: Vec<f64> = latency_bounds(&families, "default_layout")
        .into_iter()
        .map(|(le, _)| le)
        .collect();
    assert_eq!(
        bounds,
        obs_runtime::observed::DEFAULT_LATENCY_BUCKETS,
        "{om}"
    );
    assert!(bounds.contains(&120.0));
}

/// A function with its own latency layout.
#[observed(span = false, buckets(0.001, 3600))]
fn custom_layout() -> u8 {
    // At least 2 ms: over the first bound whatever the machine.
    std::thread::sleep(Duration::from_millis(2));
    7
}

#[test]
fn a_custom_layout_is_exposed_with_its_own_bounds() {
    assert_eq!(custom_layout(), 7);
    let om = Registry::global().encode(Format::OpenMetrics);
    let families = openmetrics_parse(&om).unwrap_or_else(|e| panic!("{e}\n{om}"));
    assert_eq!(
        latency_bounds(&families, "custom_layout"),
        [(0.001, 0.0), (3600.0, 1.0)],
        "{om}"
    );
    let duration = family(&families, "obs_function_duration_seconds");
    let inf = [("function", "custom_layout"), ("le", "+Inf")];
    assert_eq!(
        duration.value("obs_function_duration_seconds_bucket", &inf),
        Some(1.0)
    );
}

// ---------------------------------------------------------------------------------------------
// Stream items

/// An error with `Debug` only.
#[derive(Debug)]
struct Opaque;

#[observed(stream, name = "result_items")]
fn result_items(items: Vec<AppResult<u32>>) -> impl futures_util::Stream<Item = AppResult<u32>> {
    futures_util::stream::iter(items)
}

#[observed(stream, name = "opaque_items")]
fn opaque_items(
    items: Vec<Result<u32, Opaque>>,
) -> impl futures_util::Stream<Item = Result<u32, Opaque>> {
    futures_util::stream::iter(items)
}

#[observed(stream, name = "plain_items")]
fn plain_items(n: u32) -> impl futures_util::Stream<Item = u32> {
    futures_util::stream::iter(0..n)
}

/// A stream of `Result`s that yields an `Err` is `error`, whether it is read to its end or
/// dropped at the error (as `?` does); its later items still arrive; its span records the error
/// and closes when the call ends. Other streams are `ok` when they end.
#[test]
fn a_stream_that_yields_an_err_is_an_error() {
    let spans = spans_of(|| {
        current_thread().block_on(async {
            let all: Vec<_> = result_items(vec![Ok(1), Err(AppError::NotFound), Ok(3)])
                .collect()
                .await;
            assert_eq!(all.len(), 3);
            assert!(matches!(all[2], Ok(3)));

            let mut stopped = Box::pin(result_items(vec![Ok(1), Err(AppError::NotFound), Ok(3)]));
            let mut read = 0;
            while let Some(item) = stopped.next().await {
                read += 1;
                if item.is_err() {
                    break;
                }
            }
            assert_eq!(read, 2);
            // The call ended at the error: its span is closed though the stream is still alive.
            drop(stopped);

            let ok: Vec<_> = result_items(vec![Ok(1), Ok(2)]).collect().await;
            assert_eq!(ok.len(), 2);
            let mut partial = Box::pin(result_items(vec![Ok(1), Ok(2)]));
            assert!(partial.next().await.is_some());
            drop(partial);

            let opaque: Vec<_> = opaque_items(vec![Err(Opaque)]).collect().await;
            assert_eq!(opaque.len(), 1);
            assert_eq!(plain_items(3).collect::<Vec<_>>().await, [0, 1, 2]);
        });
    });
    assert_eq!(outcomes("result_items"), [1, 2, 0, 1]);
    assert_eq!(outcomes("opaque_items"), [0, 1, 0, 0]);
    assert_eq!(outcomes("plain_items"), [1, 0, 0, 0]);

    let failed: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "result_items" && s.fields.contains_key("error"))
        .collect();
    assert_eq!(failed.len(), 2, "{spans:#?}");
    for span in failed {
        assert_eq!(span.fields["error"], "app error: NotFound");
        assert_eq!(span.fields["otel.status_code"], "ERROR");
    }
    let opaque = span_named(&spans, "opaque_items");
    assert_eq!(opaque.fields["error"], "Opaque");
    let open: Vec<_> = spans.iter().filter(|s| !s.closed).collect();
    assert!(open.is_empty(), "spans never closed: {open:#?}");
}

/// A chunk of a streamed completion, as an LLM client might yield it.
#[derive(Debug)]
struct Chunk {
    usage: Option<u32>,
}

/// What an `#[llm_call]` stream hook needs: timings of each chunk and usage from the last one.
#[derive(Debug, Default, Clone)]
struct Seen {
    timings: Vec<obs_runtime::observed::ItemTiming>,
    usage: Option<u32>,
    ends: Vec<(Outcome, Option<u32>)>,
}

#[derive(Clone, Default)]
struct Record(Arc<Mutex<Seen>>);

impl<E> obs_runtime::observed::ItemHook<Result<Chunk, E>> for Record {
    const TIMED: bool = true;
    fn on_item(&mut self, item: &Result<Chunk, E>, timing: obs_runtime::observed::ItemTiming) {
        let mut seen = self.0.lock().unwrap();
        seen.timings.push(timing);
        if let Ok(Chunk { usage: Some(u) }) = item {
            seen.usage = Some(*u);
        }
    }
    fn on_end(&mut self, outcome: Outcome, _: u64, _: &tracing::Span) {
        let mut seen = self.0.lock().unwrap();
        let usage = seen.usage;
        seen.ends.push((outcome, usage));
    }
}

/// The stream of `chunks`, observed with `hook` beside the item classification, as
/// `#[llm_call]` is to emit it.
fn chunks(
    chunks: Vec<AppResult<Chunk>>,
    hook: Record,
) -> impl futures_util::Stream<Item = AppResult<Chunk>> {
    use obs_runtime::__private as p;
    #[allow(unused_imports)]
    use p::{ItemsErr as _, ItemsErrDebug as _, ItemsErrDisplay as _, ItemsOther as _};
    static SITE: p::CallSite = p::CallSite::new("chunks", module_path!());
    let stream = futures_util::stream::iter(chunks).then(|c| async move {
        tokio::task::yield_now().await;
        c
    });
    let items = (&&&p::ItemProbe::of(&stream)).obs_item_hook();
    p::ObservedStream::with_item_hook(
        stream,
        p::Call::pending_with(Some(&SITE), p::NoHook),
        tracing::Span::none(),
        (items, hook),
    )
}

/// The item hook sees each chunk with its time since the start and since the previous chunk, and
/// ends exactly once, with the usage of the final chunk, on each path: ended, errored mid-way,
/// dropped after some chunks, dropped before the first.
#[test]
fn the_item_hook_times_each_chunk_and_ends_once() {
    let chunk = |usage| Ok(Chunk { usage });
    let run = |items: Vec<AppResult<Chunk>>, take: Option<usize>| {
        let hook = Record::default();
        current_thread().block_on(async {
            let mut stream = Box::pin(chunks(items, hook.clone()));
            let mut n = 0;
            while take.is_none_or(|t| n < t) {
                if stream.next().await.is_none() {
                    break;
                }
                n += 1;
            }
        });
        hook.0.lock().unwrap().clone()
    };

    let ended = run(vec![chunk(None), chunk(None), chunk(Some(42))], None);
    assert_eq!(ended.ends, [(Outcome::Ok, Some(42))]);
    let t = &ended.timings;
    assert_eq!(t.iter().map(|t| t.index()).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(t[0].since_previous_nanos(), t[0].since_start_nanos());
    assert!(
        t.windows(2)
            .all(|w| w[0].since_start_nanos() <= w[1].since_start_nanos())
    );
    assert!(
        t.iter()
            .all(|t| t.since_previous_nanos() <= t.since_start_nanos())
    );

    let errored = run(
        vec![chunk(Some(1)), Err(AppError::NotFound), chunk(Some(9))],
        None,
    );
    assert_eq!(errored.ends, [(Outcome::Error, Some(1))]);
    assert_eq!(
        errored.timings.len(),
        1,
        "the Err item and later items are not chunks"
    );

    let dropped = run(vec![chunk(Some(5)), chunk(None), chunk(Some(7))], Some(2));
    assert_eq!(dropped.ends, [(Outcome::Cancelled, Some(5))]);
    assert_eq!(dropped.timings.len(), 2);

    let never_read = run(vec![chunk(Some(5))], Some(0));
    assert!(
        never_read.ends.is_empty(),
        "a stream never polled never began"
    );

    let hook = Record::default();
    let mut waiting = Box::pin(chunks(vec![chunk(Some(5))], hook.clone()));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(waiting.as_mut().poll_next(&mut cx).is_pending());
    drop(waiting);
    let seen = hook.0.lock().unwrap().clone();
    assert_eq!(seen.ends, [(Outcome::Cancelled, None)]);
    assert!(seen.timings.is_empty());
    assert_eq!(outcomes("chunks"), [1, 1, 0, 2]);
}
