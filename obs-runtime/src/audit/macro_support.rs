//! What `#[audited]` expands to, reached through `__private::audit`: not a public API.
//!
//! When the call starts, [`AuditCall::start`] builds the event from the arguments (owned values:
//! ids formatted, fields converted, hashed values digested) and notes the time and the trace.
//! The step after the body writes the event of a call that returned, with the outcome read from
//! the return value ([`EndProbe`]): [`AuditCall::append`] (buffered), or [`AuditCall::record`] /
//! [`AuditCall::record_async`] (durable), whose error the function returns
//! ([`durable_failed`]). A call that panicked or was cancelled never reaches that step: its
//! `AuditCall` writes the event when dropped. Either way the event is written once.

use std::borrow::Cow;
use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use tracing::Span;

use super::stats::{self, Count};
use super::{AuditError, AuditEvent, AuditLog, AuditOutcome, FieldValue, global};
use crate::observed::ErrorKind;

/// The reason of a call that panicked.
pub const PANIC: &str = "panic";
/// The reason of a call whose future was dropped before it completed.
pub const CANCELLED: &str = "cancelled";
/// The reason of a call that returned an `Err` whose type has no [`ErrorKind`].
pub const ERROR: &str = "error";

/// The installed global log, if any.
pub fn global_log() -> Option<AuditLog> {
    global().cloned()
}

/// The log given with `log = ...`.
pub fn given_log(log: &AuditLog) -> Option<AuditLog> {
    Some(log.clone())
}

/// An actor or resource id, as text.
pub fn id<T: Display + ?Sized>(value: &T) -> String {
    value.to_string()
}

/// Implements `$trait` for references, `Box` and `Arc` of its implementors.
macro_rules! forward_through_pointers {
    ($trait:ident, $method:ident -> $ret:ty) => {
        impl<T: $trait + ?Sized> $trait for &T {
            fn $method(&self) -> $ret {
                (**self).$method()
            }
        }

        impl<T: $trait + ?Sized> $trait for &mut T {
            fn $method(&self) -> $ret {
                (**self).$method()
            }
        }

        impl<T: $trait + ?Sized> $trait for Box<T> {
            fn $method(&self) -> $ret {
                (**self).$method()
            }
        }

        impl<T: $trait + ?Sized> $trait for Arc<T> {
            fn $method(&self) -> $ret {
                (**self).$method()
            }
        }
    };
}

/// A value `#[audited(fields(...))]` can record: text, an integer or a bool.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as an audit field",
    label = "an audit field is text, an integer or a bool",
    note = "record a `Display` value as text with `name = value.to_string()`, or a part of it with `name = value.field`"
)]
pub trait AuditField {
    /// The field's value.
    fn audit_value(&self) -> FieldValue;
}

impl AuditField for str {
    fn audit_value(&self) -> FieldValue {
        FieldValue::from(self)
    }
}

impl AuditField for String {
    fn audit_value(&self) -> FieldValue {
        FieldValue::from(self.as_str())
    }
}

impl AuditField for Cow<'_, str> {
    fn audit_value(&self) -> FieldValue {
        FieldValue::from(&**self)
    }
}

impl AuditField for bool {
    fn audit_value(&self) -> FieldValue {
        FieldValue::from(*self)
    }
}

macro_rules! audit_field_int {
    ($($t:ty),*) => {$(
        impl AuditField for $t {
            fn audit_value(&self) -> FieldValue {
                FieldValue::from(*self)
            }
        }
    )*};
}
audit_field_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

forward_through_pointers!(AuditField, audit_value -> FieldValue);

/// The value of a field, converted when the call starts.
pub fn field_value<T: AuditField + ?Sized>(value: &T) -> FieldValue {
    value.audit_value()
}

/// A value `#[audited(hash(...))]` can digest: its bytes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be hashed into an audit field",
    label = "`hash(...)` digests text or bytes",
    note = "hash the value's text with `name = value.to_string()`, or its bytes with `name = value.as_bytes()`"
)]
pub trait HashInput {
    /// The bytes to digest.
    fn audit_bytes(&self) -> &[u8];
}

impl HashInput for str {
    fn audit_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl HashInput for String {
    fn audit_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl HashInput for Cow<'_, str> {
    fn audit_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl HashInput for [u8] {
    fn audit_bytes(&self) -> &[u8] {
        self
    }
}

impl<const N: usize> HashInput for [u8; N] {
    fn audit_bytes(&self) -> &[u8] {
        self
    }
}

impl HashInput for Vec<u8> {
    fn audit_bytes(&self) -> &[u8] {
        self
    }
}

forward_through_pointers!(HashInput, audit_bytes -> &[u8]);

/// The bytes of a value to hash (digested when the call starts; only the digest is kept).
pub fn hash_input<T: HashInput + ?Sized>(value: &T) -> &[u8] {
    value.audit_bytes()
}

/// How a call ended, for its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallEnd {
    outcome: AuditOutcome,
    reason: Option<&'static str>,
}

impl CallEnd {
    const SUCCESS: Self = Self {
        outcome: AuditOutcome::Success,
        reason: None,
    };

    fn failure(reason: &'static str) -> Self {
        Self {
            outcome: AuditOutcome::Failure,
            reason: Some(reason),
        }
    }

    fn unknown(reason: &'static str) -> Self {
        Self {
            outcome: AuditOutcome::Unknown,
            reason: Some(reason),
        }
    }
}

/// Wraps a return value to read its event's outcome: `(&&EndProbe(&value)).obs_audit_end()`.
/// `Err` is a failure whose reason is the error's [`ErrorKind`] when it has one, else `error`;
/// anything else is a success.
#[derive(Debug)]
pub struct EndProbe<'a, T>(pub &'a T);

/// A `Result` whose error has an [`ErrorKind`].
pub trait EndOfErrorKind {
    /// The call's end.
    fn obs_audit_end(&self) -> CallEnd;
}

impl<T, E: ErrorKind> EndOfErrorKind for &EndProbe<'_, Result<T, E>> {
    fn obs_audit_end(&self) -> CallEnd {
        match self.0 {
            Ok(_) => CallEnd::SUCCESS,
            Err(e) => CallEnd::failure(e.kind()),
        }
    }
}

/// Any other `Result`.
pub trait EndOfResult {
    /// The call's end.
    fn obs_audit_end(&self) -> CallEnd;
}

impl<T, E> EndOfResult for &&EndProbe<'_, Result<T, E>> {
    fn obs_audit_end(&self) -> CallEnd {
        match self.0 {
            Ok(_) => CallEnd::SUCCESS,
            Err(_) => CallEnd::failure(ERROR),
        }
    }
}

/// Every other value: a success.
pub trait EndOfOther {
    /// The call's end.
    fn obs_audit_end(&self) -> CallEnd;
}

impl<T> EndOfOther for EndProbe<'_, T> {
    fn obs_audit_end(&self) -> CallEnd {
        CallEnd::SUCCESS
    }
}

/// Wraps a return value to find how a durable call returns an audit failure:
/// `(&CarrierProbe(&value)).obs_audit_carrier()` is `Converts` for a `Result` whose error
/// converts from [`AuditError`], else `CannotCarry`, which [`durable_failed`] refuses.
#[derive(Debug)]
pub struct CarrierProbe<'a, T>(pub &'a T);

/// Returns an audit failure as the `Result`'s error.
#[derive(Debug, Clone, Copy)]
pub struct Converts;

/// A return type that cannot carry an audit failure.
#[derive(Debug, Clone, Copy)]
pub struct CannotCarry;

/// A `Result` whose error converts from [`AuditError`].
pub trait CarrierOfResult {
    /// `Converts`.
    fn obs_audit_carrier(&self) -> Converts {
        Converts
    }
}

impl<T, E: From<AuditError>> CarrierOfResult for CarrierProbe<'_, Result<T, E>> {}

/// Any other value.
pub trait CarrierOfOther {
    /// `CannotCarry`.
    fn obs_audit_carrier(&self) -> CannotCarry {
        CannotCarry
    }
}

impl<T> CarrierOfOther for &CarrierProbe<'_, T> {}

/// Puts an audit failure into a durable call's return value `R`.
#[diagnostic::on_unimplemented(
    message = "a durable `#[audited]` call returns an audit failure as its error, so its return type `{R}` must be a `Result` whose error implements `From<obs_runtime::audit::AuditError>`",
    label = "`{R}` cannot carry an audit failure",
    note = "implement `From<obs_runtime::audit::AuditError>` for the error type, or choose `mode = \"buffered\"` (the call then completes when its record is queued)"
)]
pub trait Carry<R> {
    /// `result` with the audit failure `error` in it.
    fn carry(result: R, error: AuditError) -> R;
}

// Not offered as a fix: the message says what to do.
#[diagnostic::do_not_recommend]
impl<T, E: From<AuditError>> Carry<Result<T, E>> for Converts {
    /// An `Ok` becomes the audit failure; an `Err` stays the call's own error (the caller sees
    /// a failure either way, and the one that explains the call).
    fn carry(result: Result<T, E>, error: AuditError) -> Result<T, E> {
        match result {
            Ok(_) => Err(E::from(error)),
            Err(e) => Err(e),
        }
    }
}

/// A durable call's `result`, after its record failed with `error`.
pub fn durable_failed<R, C: Carry<R>>(result: R, error: AuditError, _carrier: C) -> R {
    C::carry(result, error)
}

/// The event of a call in progress.
// One per call, `Open` but for the moments after it is written: boxing the event would add an
// allocation per call for nothing.
#[allow(clippy::large_enum_variant)]
enum State {
    /// Built when the call started, not yet written.
    Open {
        log: AuditLog,
        event: AuditEvent,
        start: SystemTime,
    },
    /// No log to write to.
    NoLog,
    /// Written (or handed to the log).
    Ended,
}

impl State {
    /// The finished event, or the error of a call with no log (`None`: already written).
    fn finish(self, end: CallEnd) -> Option<Result<(AuditLog, AuditEvent), AuditError>> {
        match self {
            Self::Open { log, event, start } => {
                let event = event
                    .outcome(end.outcome, end.reason)
                    .times(start, SystemTime::now());
                Some(Ok((log, event)))
            }
            Self::NoLog => Some(Err(no_log())),
            Self::Ended => None,
        }
    }

    /// Queues the finished event; what cannot be queued is counted as dropped (a full queue
    /// under `WhenFull::DropAndCount` is counted by the log itself).
    fn append(self, end: CallEnd) {
        match self.finish(end) {
            Some(Ok((log, event))) => match log.append(event) {
                Ok(_) | Err(AuditError::QueueFull) => {}
                Err(_) => stats::add(Count::Dropped, 1),
            },
            Some(Err(_)) => stats::add(Count::Dropped, 1),
            None => {}
        }
    }
}

/// The error of a durable call with no log to write to.
fn no_log() -> AuditError {
    AuditError::Config(
        "no audit log to write to: install one with `obs_runtime::audit::install` at start-up \
         (or give `#[audited(log = ...)]`)"
            .to_owned(),
    )
}

/// One call of an `#[audited]` function, from its start until its event is written: a local of
/// the function's body (or of the future it returns), so that it is dropped however the call
/// ends. The step after the body writes the event of a call that returned; dropping it first
/// writes the event of a call that panicked (dropped while unwinding, also when the panic is
/// caught by an executor that drops the future later: a future's locals are dropped as the
/// panic unwinds through its poll) or was cancelled (its future dropped unfinished, or, for a
/// function returning a future, never polled: the function itself ran).
pub struct AuditCall {
    state: State,
}

impl std::fmt::Debug for AuditCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditCall").finish_non_exhaustive()
    }
}

impl AuditCall {
    /// Starts a call: the event from `event` (built only when there is a log), with the trace of
    /// `span` when known.
    pub fn start(log: Option<AuditLog>, span: &Span, event: impl FnOnce() -> AuditEvent) -> Self {
        let state = match log {
            Some(log) => {
                let start = SystemTime::now();
                let mut event = event();
                if let Some((trace_id, span_id)) = trace_of(span) {
                    event = event.trace(trace_id, span_id);
                }
                State::Open { log, event, start }
            }
            None => State::NoLog,
        };
        Self { state }
    }

    fn take(&mut self) -> State {
        std::mem::replace(&mut self.state, State::Ended)
    }

    /// Buffered: queues the event of a call that returned.
    pub fn append(&mut self, end: CallEnd) {
        self.take().append(end);
    }

    /// Durable: writes the event of a call that returned and waits until it is durable.
    pub fn record(&mut self, end: CallEnd) -> Result<(), AuditError> {
        match self.take().finish(end) {
            Some(Ok((log, event))) => log.record(event),
            Some(Err(e)) => Err(e),
            None => Ok(()),
        }
    }

    /// Durable: [`record`](Self::record), waiting without blocking the thread.
    pub fn record_async(
        &mut self,
        end: CallEnd,
    ) -> impl Future<Output = Result<(), AuditError>> + Send + 'static {
        let finished = self.take().finish(end);
        async move {
            match finished {
                Some(Ok((log, event))) => log.record_async(event).await,
                Some(Err(e)) => Err(e),
                None => Ok(()),
            }
        }
    }
}

impl Drop for AuditCall {
    /// A call that did not return: written as panicked or cancelled, buffered (nothing could
    /// receive an error here).
    fn drop(&mut self) {
        let state = self.take();
        if !matches!(state, State::Ended) {
            let reason = if std::thread::panicking() {
                PANIC
            } else {
                CANCELLED
            };
            state.append(CallEnd::unknown(reason));
        }
    }
}

/// The W3C trace and span ids of `span` (through OpenTelemetry, feature `otlp`), else of the
/// sampled span entered on this thread (as exemplars track them), if any.
fn trace_of(span: &Span) -> Option<([u8; 16], [u8; 8])> {
    #[cfg(feature = "otlp")]
    if let Some(id) = span.id()
        && let Some(ids) = tracing::dispatcher::get_default(|d| otel_ids(&id, d))
    {
        return Some(ids);
    }
    #[cfg(not(feature = "otlp"))]
    let _ = span;
    crate::metrics::current_trace_context()
        .map(|(trace_id, span_id)| (trace_id.to_be_bytes(), span_id.to_be_bytes()))
}

/// The OpenTelemetry ids of span `id`, when spans go through OpenTelemetry.
#[cfg(feature = "otlp")]
fn otel_ids(id: &tracing::span::Id, dispatch: &tracing::Dispatch) -> Option<([u8; 16], [u8; 8])> {
    use opentelemetry::trace::TraceContextExt;
    let cx = tracing_opentelemetry::get_otel_context(id, dispatch)?;
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid()
        .then(|| (sc.trace_id().to_bytes(), sc.span_id().to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::ErrorKind;

    #[derive(Debug)]
    enum Kinded {
        RateLimited,
    }

    impl ErrorKind for Kinded {
        const KINDS: &'static [&'static str] = &["rate_limited"];
        fn kind_index(&self) -> usize {
            match self {
                Self::RateLimited => 0,
            }
        }
    }

    #[derive(Debug, PartialEq)]
    struct Carried(bool);

    impl From<AuditError> for Carried {
        fn from(_: AuditError) -> Self {
            Self(true)
        }
    }

    // Borrowed as the generated code does, whatever the type.
    #[allow(clippy::needless_borrow)]
    #[test]
    fn the_end_is_read_from_the_value_by_type() {
        let kinded: Result<(), Kinded> = Err(Kinded::RateLimited);
        assert_eq!(
            (&&EndProbe(&kinded)).obs_audit_end(),
            CallEnd::failure("rate_limited")
        );
        let plain: Result<(), String> = Err("no".into());
        assert_eq!(
            (&&EndProbe(&plain)).obs_audit_end(),
            CallEnd::failure(ERROR)
        );
        let ok: Result<u8, String> = Ok(1);
        assert_eq!((&&EndProbe(&ok)).obs_audit_end(), CallEnd::SUCCESS);
        assert_eq!((&&EndProbe(&7u32)).obs_audit_end(), CallEnd::SUCCESS);
    }

    #[test]
    fn an_audit_failure_replaces_an_ok_and_keeps_an_err() {
        let ok: Result<u8, Carried> = Ok(1);
        assert_eq!(
            durable_failed(ok, AuditError::Closed, Converts),
            Err(Carried(true))
        );
        let failed: Result<u8, Carried> = Err(Carried(false));
        assert_eq!(
            durable_failed(failed, AuditError::Closed, Converts),
            Err(Carried(false))
        );
    }

    #[test]
    fn without_a_log_a_durable_call_fails_and_a_buffered_one_is_counted_as_dropped() {
        let mut built = false;
        let mut call = AuditCall::start(None, &Span::none(), || {
            built = true;
            AuditEvent::new("config.update")
        });
        assert!(!built, "no event is built without a log");
        assert!(matches!(
            call.record(CallEnd::SUCCESS),
            Err(AuditError::Config(_))
        ));

        let before = stats::get(Count::Dropped);
        AuditCall::start(None, &Span::none(), || AuditEvent::new("config.update"))
            .append(CallEnd::SUCCESS);
        // Dropped without an end (cancelled): counted too.
        drop(AuditCall::start(None, &Span::none(), || {
            AuditEvent::new("config.update")
        }));
        assert!(stats::get(Count::Dropped) >= before + 2);
    }

    #[test]
    fn values_convert_and_hash_inputs_are_bytes() {
        assert_eq!(field_value(&"a"), FieldValue::Str("a".into()));
        assert_eq!(field_value(&String::from("b")), FieldValue::Str("b".into()));
        assert_eq!(field_value(&&3u16), FieldValue::UInt(3));
        assert_eq!(field_value(&-3i64), FieldValue::Int(-3));
        assert_eq!(field_value(&true), FieldValue::Bool(true));
        assert_eq!(hash_input(&"key"), b"key");
        assert_eq!(hash_input(&vec![1u8, 2]), [1, 2]);
        assert_eq!(id(&42), "42");
    }
}
