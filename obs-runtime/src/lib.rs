//! Runtime for `obs`, instrumentation for services that call LLMs. Re-exports the macros, so a
//! service depends on this one crate.
//!
//! | module | what | feature |
//! |---|---|---|
//! | [`metrics`](mod@metrics) | statically-typed families (counters striped per CPU, gauges, histograms), label types and interning, registries, the framework's own self-metrics | always |
//! | [`expose`] | Prometheus text 0.0.4 and OpenMetrics 1.0 encoders | always |
//! | [`observed`](mod@observed) | what `#[observed]` records into: call sites, the call guard, the future and stream wrappers (with a per-item hook), latency buckets, the `obs_function_*` families | always |
//! | `serve`, `health` | `/metrics` and `/health` endpoints on axum; the HTTP server layer (a tower layer: server spans continuing W3C trace context, `http.server.*` metrics by route template, request ids, panics answered 500); health checks on demand or on a schedule, with thresholds, an aggregate rule and state-set metrics | `serve` |
//! | `export` | OTLP export of spans and metrics, W3C trace-context propagation (and a tower layer that injects it into an HTTP client's requests) | `otlp` |
//! | `logs` | JSON logs with trace ids and redaction | `logs` |
//! | `init` | one-call set-up from a config file and `OTEL_*` variables | `init` |
//! | `interop` | plugging obs into a `prometheus` registry | `prometheus` |
//! | `audit` | durable, tamper-evident audit events: hash-chained JSON-lines segments, group commit, crash repair, rotation and retention, the typed API, the global log | `audit` (`audit-sign`: signed checkpoints, `audit-verify`: the verifier program) |
//! | `llm` | `#[llm_call]`'s runtime: GenAI semantic-convention names, token usage from provider responses and streams, pricing (a dated default table), content capture with redaction, the GenAI families | `llm` (`async-openai`: usage from that crate's types) |
//!
//! Generated code reaches the runtime only through the hidden `__private` module.
//!
//! ```
//! use obs_runtime::{metrics, LabelValue, Bounded, Registry, Format};
//!
//! #[derive(Clone, Copy, LabelValue)]
//! pub enum Provider { OpenAi, Anthropic }
//!
//! metrics! {
//!     /// Gateway metrics.
//!     pub GATEWAY in "doc_gateway" {
//!         /// Requests handled, by provider.
//!         requests_total: Counter { provider: Provider },
//!         /// Request latency, by provider and model.
//!         #[buckets(0.1, 0.5, 1, 5)]
//!         request_duration_seconds: Histogram { provider: Provider, model: Bounded<32> },
//!     }
//! }
//!
//! GATEWAY.requests_total.with(Provider::OpenAi).inc();
//! GATEWAY.request_duration_seconds.with((Provider::Anthropic, "claude")).observe(0.3);
//! let text = Registry::global().encode(Format::Text);
//! assert!(text.contains("doc_gateway_requests_total{provider=\"open_ai\"} 1"));
//! ```
//!
//! Over OTLP, `#[otlp(name = "gen_ai.client.token.usage", unit = "{token}")]` on a family and
//! `#[otlp(key = "gen_ai.token.type")]` on a label push them under a semantic convention's name,
//! unit and attribute key; the exposition keeps the Prometheus names.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

// Lets the derive macros, which name `::obs_runtime`, be used inside this crate too.
extern crate self as obs_runtime;

pub mod expose;
pub mod metrics;
pub mod observed;
#[cfg(any(feature = "serve", feature = "logs", feature = "audit"))]
mod time;

#[cfg(feature = "audit")]
#[cfg_attr(docsrs, doc(cfg(feature = "audit")))]
pub mod audit;

#[cfg(feature = "otlp")]
#[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
pub mod export;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod health;
#[cfg(feature = "init")]
#[cfg_attr(docsrs, doc(cfg(feature = "init")))]
pub mod init;
#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
pub mod interop;
#[cfg(feature = "llm")]
#[cfg_attr(docsrs, doc(cfg(feature = "llm")))]
pub mod llm;
#[cfg(feature = "logs")]
#[cfg_attr(docsrs, doc(cfg(feature = "logs")))]
pub mod logs;
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub mod serve;

pub use expose::Format;
#[cfg(feature = "init")]
#[cfg_attr(docsrs, doc(cfg(feature = "init")))]
pub use init::{Config, init};
pub use metrics::{
    Bounded, Counter, CounterFamily, FloatCounter, FloatCounterFamily, FloatGauge,
    FloatGaugeFamily, Gauge, GaugeFamily, Histogram, HistogramFamily, LabelValue, Registry,
};
/// `#[audited]` is `#[observed]` (its span and `obs_function_*` families) plus one audit event per
/// call, written to the [installed](audit::install) log, on every exit path and never sampled:
/// `success` when it returns (anything but `Err`), `failure` on `Err` (reason: the error's
/// [`ErrorKind`](trait@ErrorKind) when it has one, else `error`), `unknown` with reason `panic` or `cancelled`
/// when it panics or its future is dropped unfinished (a function returning a future has run
/// once it returns it: dropped unpolled, it is `cancelled`; an `async fn` never polled has not
/// run and writes nothing). The event carries the call's start and end times, its span's trace
/// and span ids (spans exported through OpenTelemetry, or a sampled span entered with the
/// exemplar layer), and what the arguments name:
///
/// | argument | records |
/// |---|---|
/// | `action = "config.update"` | the action: dot-separated lowercase words, at least two (required) |
/// | `actor = ctx.user`, `actor_type = "service"` | the actor's id (any `Display`) and type (default `user`); without `actor`, the current actor ([`audit::with_actor`], [`audit::scope_actor`]) |
/// | `resource(type = "config_key", id = key)` | the resource: a literal type and an id (any `Display`) |
/// | `fields(key, model = req.model)` | fields: a parameter by its name, or `name = expr`; text, integers and bools (`.to_string()` for other values) |
/// | `redact(value)` | the field as `"[REDACTED]"`: the value is never read |
/// | `hash(api_key, sig = req.signature)` | the field as `"sha256:<hex>"` of its bytes (text or bytes); for guessable secrets (passwords) prefer `redact` |
/// | `mode = "buffered"` | return once the event is queued (default `"durable"`: see below) |
/// | `log = expr` | write to this [`AuditLog`](audit::AuditLog) (or a reference to one) instead of the installed one |
///
/// and every argument of [`#[observed]`](macro@observed) but `fields` (record span fields with
/// `record(...)`). Values are taken when the call starts, before the body can move the arguments;
/// a hashed value is digested then and only the digest kept. Recording a parameter or field
/// whose name looks like a secret (`password`, `token`, `api_key`, `secret`, `authorization`,
/// `credential`, `private_key`, ...) in `fields` is a compile error: `redact` or `hash` it.
///
/// **Durable** (the default, since an audit trail fails closed): the call returns only once its
/// event is durable under the log's [`SyncPolicy`](audit::SyncPolicy), and when the event cannot
/// be written (the disk is full, the log is shut down, no log is installed) an `Ok` becomes
/// `Err(AuditError)` converted into the function's error type, which must therefore be a
/// `Result` whose error implements `From<AuditError>` (a compile error says so otherwise). A
/// call that already failed keeps its own error. The commit is part of the observed call: its
/// wait counts in the call's duration, and a call that returned the audit failure counts as an
/// `error` in `obs_function_*`, as the caller saw it. An `async fn` (or returned future) waits
/// without blocking its thread; a sync function blocks until the group commit (5 ms by default):
/// in async code, audit async functions. The body has run either way: the event records what
/// happened, after it happened. **Buffered**: the call returns once the event is queued (the
/// queue blocks when full, or drops and counts per [`WhenFull`](audit::WhenFull)); events of
/// panicked or cancelled calls are always buffered, as nothing could receive their error.
///
/// ```no_run
/// use obs_runtime::audit::{self, AuditConfig, AuditError, AuditLog};
/// use obs_runtime::{ErrorKind, audited};
///
/// #[derive(Debug, ErrorKind)]
/// enum ConfigError {
///     NotFound,
///     Audit(AuditError),
/// }
///
/// impl From<AuditError> for ConfigError {
///     fn from(e: AuditError) -> Self {
///         Self::Audit(e)
///     }
/// }
///
/// struct Ctx {
///     user: String,
/// }
///
/// #[audited(action = "config.update", actor = ctx.user, resource(type = "config_key", id = key), redact(value))]
/// async fn update_config(ctx: &Ctx, key: &str, value: &str) -> Result<(), ConfigError> {
///     let _ = value;
///     Ok(())
/// }
///
/// audit::install(AuditLog::open(AuditConfig::new("/var/log/gateway/audit", "gateway"))?)?;
/// # Ok::<(), AuditError>(())
/// ```
#[cfg(feature = "audit")]
#[cfg_attr(docsrs, doc(cfg(feature = "audit")))]
pub use obs_macros::audited;
#[cfg(feature = "llm")]
#[cfg_attr(docsrs, doc(cfg(feature = "llm")))]
pub use obs_macros::llm_call;
pub use obs_macros::{ErrorKind, LabelValue, metrics, observed};
pub use observed::{ErrorKind, Outcome};

#[doc(hidden)]
pub mod __private {
    //! What the code generated by this crate's macros uses. Not a public API, and not stable: any
    //! item may change or go in any release, in step with `obs-macros` (which is pinned with `=`).
    //!
    //! Generated code may use these paths and no others:
    //!
    //! - `metrics!` and the derives: [`Collector`], [`FamilyView`], [`Group`], [`Interner`],
    //!   [`LabelDesc`], [`LabelSet`], [`LabelType`], [`LabelValue`], [`LabelValues`], [`NoLabels`],
    //!   [`series_product`], [`histogram`], [`ErrorKind`];
    //! - `#[observed]` (and the attributes built on it), the call: [`CallSite`] (`new`,
    //!   `with_buckets`), [`LatencyBuckets`], [`Call`] (`pending_with`), [`CallHook`], [`NoHook`],
    //!   [`Outcome`], [`observe_sync`], [`ObservedFuture`], [`with_output`], [`ObservedStream`] (`new`,
    //!   `with_item_hook`), [`ItemHook`], [`ItemTiming`], [`NoItemHook`];
    //! - its classification by type: [`Probe`] with [`ResultOutcome`] / [`OtherOutcome`],
    //!   [`ErrorProbe`] with [`RecordDisplay`] / [`RecordDebug`] / [`RecordNothing`],
    //!   [`error_kind_of`], and for stream items [`ItemProbe`] with [`ItemsErrDisplay`] /
    //!   [`ItemsErrDebug`] / [`ItemsErr`] / [`ItemsOther`] (giving a [`ResultItems`] or
    //!   [`NoItemHook`]);
    //! - its span: [`span_no_values`], [`span_enabled`], [`span_new`], and [`tracing`] itself;
    //! - `#[llm_call]` (feature `llm`), under [`llm`](mod@llm): `LlmSite` (`new`, `start`),
    //!   `Recording` (`push`, `error_type`, `capture_input`, `capture_output`), `CaptureMode`, `LlmCall`, `LlmItems` (`new`, `error_kinds`), `OkProbe` with
    //!   `OkOfResult` / `OkOfOther`, `HasUsage`, `record_request`, `semconv::attr`;
    //! - `#[audited]` (feature `audit`), under [`audit`](mod@audit): `AuditEvent` (`new`, `actor`,
    //!   `resource`, `field`, `redacted`, `hashed`), `AuditCall` (`start`, `append`, `record`,
    //!   `record_async`), `global_log`, `given_log`, `id`, `field_value`
    //!   (`AuditField`), `hash_input` (`HashInput`), `EndProbe` with `EndOfErrorKind` /
    //!   `EndOfResult` / `EndOfOther`, `CarrierProbe` with `CarrierOfResult` / `CarrierOfOther`,
    //!   and `durable_failed`.

    pub use crate::metrics::{
        Collector, FamilyView, Group, Interner, LabelDesc, LabelSet, LabelType, LabelValue,
        LabelValues, NoLabels, histogram_or_default as histogram, series_product,
    };
    pub use crate::observed::call::{Call, CallHook, NoHook};
    pub use crate::observed::error_kind::ErrorKind;
    pub use crate::observed::error_record::{
        ErrorProbe, RecordDebug, RecordDisplay, RecordNothing, error_kind_of,
    };
    pub use crate::observed::future::{ObservedFuture, with_output};
    pub use crate::observed::item_outcome::{
        ErrDebug, ErrDisplay, ErrStatus, ItemProbe, ItemsErr, ItemsErrDebug, ItemsErrDisplay,
        ItemsOther, ResultItems,
    };
    pub use crate::observed::outcome::{OtherOutcome, Outcome, Probe, ResultOutcome};
    pub use crate::observed::span::{span_enabled, span_new, span_no_values};
    pub use crate::observed::stream::{ItemHook, ItemTiming, NoItemHook, ObservedStream};
    pub use crate::observed::sync::observe_sync;
    pub use crate::observed::{CallSite, LatencyBuckets};
    pub use tracing;

    /// What `#[llm_call]` uses.
    #[cfg(feature = "llm")]
    pub mod llm {
        pub use crate::llm::content::CaptureMode;
        pub use crate::llm::semconv::attr;
        pub use crate::llm::{
            HasUsage, LlmCall, LlmItems, LlmSite, OkOfOther, OkOfResult, OkProbe, Recording,
            record_request,
        };
    }

    /// What `#[audited]` uses.
    #[cfg(feature = "audit")]
    pub mod audit {
        pub use crate::audit::AuditEvent;
        pub use crate::audit::macro_support::{
            AuditCall, CarrierOfOther, CarrierOfResult, CarrierProbe, EndOfErrorKind, EndOfOther,
            EndOfResult, EndProbe, durable_failed, field_value, given_log, global_log, hash_input,
            id,
        };
    }
}
