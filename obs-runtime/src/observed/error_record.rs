//! What an `Err` return value records on the call's span (the error, with `Display` when it has
//! it, else with `Debug`, else only the status), and its bounded kind. Chosen by type at the
//! annotated function, by method lookup on references (autoref specialization), like the
//! outcome (see `outcome.rs`).

use tracing::Span;

use super::error_kind::ErrorKind;

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
