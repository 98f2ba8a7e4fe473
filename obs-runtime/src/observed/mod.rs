//! Runtime of `#[observed]`: per-function call sites, the call guard, the future and stream
//! wrappers, outcome classification and the framework families.
//!
//! `#[observed]` gives a function, from one attribute, a `tracing` span per call and three
//! framework families, each call counted exactly once by outcome:
//!
//! - `obs_function_calls_total{function, module, outcome}`: `ok`, `error` (it returned `Err`,
//!   detected by type, so `io::Result<T>` and a crate's own `Result<T>` alias work), `panic`, or
//!   `cancelled` (its future was dropped before completing);
//! - `obs_function_duration_seconds{function, module}`: latency, every outcome included, in
//!   [`DEFAULT_LATENCY_BUCKETS`] (5 ms to 300 s, fit for LLM calls) unless the function names
//!   its own;
//! - `obs_function_in_flight{function, module}`: calls started and not finished, back to its
//!   previous value on every path;
//! - with `error_kind`, `obs_function_errors_total{function, module, kind}`.
//!
//! Each annotated function owns a `static` [`CallSite`], registered on its first call: recording
//! is a few relaxed atomics and two TSC reads, with no hashing, locking or allocation.
//!
//! ```
//! use obs_runtime::observed;
//!
//! #[observed(record(model), err)]
//! async fn complete(model: &str, prompt: &str) -> std::io::Result<String> {
//!     // `prompt` is not recorded: arguments are recorded only when named.
//!     Ok(format!("{model}: {}", prompt.len()))
//! }
//! ```
//!
//! Arguments, all optional:
//!
//! | argument | effect |
//! |---|---|
//! | `name = "..."`, `level = "debug"`, `target = "..."` | the span's name (default: the function's path), level (default `info`) and target |
//! | `kind = "client"` | the OpenTelemetry span kind (`server`, `client`, `producer`, `consumer`, `internal`), as the span's `otel.kind`; unset, exporters take `internal` |
//! | `fields(k = %expr, k2 = ?expr)` | extra span fields, as in `#[tracing::instrument]` |
//! | `record(arg, ...)` | record these arguments (with `Debug`; not one named `error`, the field an `Err` goes to); none are recorded otherwise |
//! | `ret`, `ret(Display)`, `err`, `err(Debug)` | an event with the return value / the error |
//! | `span = false`, `metrics = false` | turn the span or the framework families off |
//! | `stream` | for a function returning `impl Stream`: observe the stream until it ends, yields an `Err` item (`error`), or is dropped (`cancelled`) |
//! | `error_kind` | count errors by [`ErrorKind`] |
//! | `buckets(0.5, 1, 10, 60)` | this function's latency bucket bounds in seconds (positive, increasing), instead of [`DEFAULT_LATENCY_BUCKETS`] |
//! | `duration = GROUP.family`, `calls = GROUP.family`, `labels(expr, ...)` | also record into your own `metrics!` families (a histogram, and a counter whose last label is [`Outcome`]), with label values evaluated when the call starts |
//! | `crate = "path"` | path of this crate, for a renamed dependency |
//!
//! Two annotated functions with the same name in one module (methods `get` of two types) share
//! their labels, so they are counted as one function: their series are summed when read, never
//! exposed twice.
//!
//! On `Err`, the span records `error` and `otel.status_code = "ERROR"`. The span is entered only
//! while the function's future is polled, so nested calls nest.

mod buckets;
pub(crate) mod call;
mod callsite;
pub(crate) mod error_kind;
pub(crate) mod error_record;
mod families;
pub(crate) mod future;
pub(crate) mod item_outcome;
pub(crate) mod outcome;
mod site_shard;
pub(crate) mod span;
pub(crate) mod stream;
pub(crate) mod sync;

pub use buckets::{DEFAULT_LATENCY_BUCKETS, LatencyBuckets};
pub use call::{Call, CallHook, NoHook};
pub use callsite::{CallSite, CallSiteSnapshot};
pub use error_kind::ErrorKind;
pub use families::framework_families;
pub use future::ObservedFuture;
pub use outcome::Outcome;
pub use stream::{ItemHook, ItemTiming, NoItemHook, ObservedStream};
