//! How a call's return value is classified, by type rather than by spelling: anything that is a
//! `Result` (through any alias, such as `io::Result<T>`) is an error when it is `Err`; every other
//! type is `ok`. Resolved at the annotated function by method lookup on references (autoref
//! specialization), so generic return types fall back to `ok`.

use tracing::Span;

use super::callsite::Outcome;
use super::error_kind::ErrorKind;

/// Wraps a return value for outcome classification: `(&Probe(&value)).obs_outcome()`.
#[derive(Debug)]
pub struct Probe<'a, T>(pub &'a T);

/// The `Result` case of [`Probe`].
pub trait ResultOutcome {
    /// `Error` for `Err`, else `Ok`.
    fn obs_outcome(&self) -> Outcome;
}

impl<T, E> ResultOutcome for Probe<'_, Result<T, E>> {
    #[inline(always)]
    fn obs_outcome(&self) -> Outcome {
        match self.0 {
            Ok(_) => Outcome::Ok,
            Err(_) => Outcome::Error,
        }
    }
}

/// The fallback case of [`Probe`]: every other type.
pub trait OtherOutcome {
    /// Always `Ok`.
    fn obs_outcome(&self) -> Outcome;
}

impl<T> OtherOutcome for &Probe<'_, T> {
    #[inline(always)]
    fn obs_outcome(&self) -> Outcome {
        Outcome::Ok
    }
}

/// Wraps a return value to record its error on a span: `(&&ErrorProbe(&value)).obs_record(&span)`.
/// Records the error with `Display` when it has it, else with `Debug`, else only the status.
#[derive(Debug)]
pub struct ErrorProbe<'a, T>(pub &'a T);

/// `Err` whose error is `Display`.
pub trait RecordDisplay {
    /// Records `error` and `otel.status_code = "ERROR"` on `span` when the value is `Err`.
    fn obs_record(&self, span: &Span);
}

impl<T, E: std::fmt::Display> RecordDisplay for &ErrorProbe<'_, Result<T, E>> {
    fn obs_record(&self, span: &Span) {
        if let Err(e) = self.0 {
            span.record("error", tracing::field::display(e));
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// `Err` whose error is only `Debug`.
pub trait RecordDebug {
    /// Records `error` and `otel.status_code = "ERROR"` on `span` when the value is `Err`.
    fn obs_record(&self, span: &Span);
}

impl<T, E: std::fmt::Debug> RecordDebug for &&ErrorProbe<'_, Result<T, E>> {
    fn obs_record(&self, span: &Span) {
        if let Err(e) = self.0 {
            span.record("error", tracing::field::debug(e));
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// Any other value: records nothing, except the status for an `Err` of an unprintable error.
pub trait RecordNothing {
    /// Records nothing.
    fn obs_record(&self, span: &Span);
}

impl<T> RecordNothing for ErrorProbe<'_, T> {
    fn obs_record(&self, _: &Span) {}
}

/// The error kind of an `Err` whose error implements [`ErrorKind`]: `(index, names)`.
pub fn error_kind_of<T, E: ErrorKind>(
    result: &Result<T, E>,
) -> Option<(usize, &'static [&'static str])> {
    match result {
        Err(e) => Some((e.kind_index(), E::KINDS)),
        Ok(_) => None,
    }
}
