//! How a call ended, and how a return value is classified into an outcome: by type rather than
//! by spelling. Anything that is a `Result` (through any alias, such as `io::Result<T>`) is an
//! error when it is `Err`; every other type is `ok`. Resolved at the annotated function by method
//! lookup on references (autoref specialization), so generic return types fall back to `ok`.

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::LabelValue)]
#[label(crate = "crate")]
pub enum Outcome {
    /// Returned normally (anything but `Err`); a stream that ended without an `Err` item.
    Ok,
    /// Returned `Err`; a stream that yielded an `Err` item.
    Error,
    /// Panicked.
    Panic,
    /// A future or stream dropped before it completed.
    Cancelled,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    // Borrowed as the generated code does, whatever the type.
    #[allow(clippy::needless_borrow)]
    fn classify_alias(r: &std::io::Result<u8>) -> Outcome {
        (&Probe(r)).obs_outcome()
    }

    #[test]
    fn results_are_errors_when_err_and_everything_else_is_ok() {
        assert_eq!(classify_alias(&Ok(1)), Outcome::Ok);
        assert_eq!(
            classify_alias(&Err(std::io::Error::other("x"))),
            Outcome::Error
        );
        assert_eq!((&Probe(&Some(1))).obs_outcome(), Outcome::Ok);
        assert_eq!((&Probe(&())).obs_outcome(), Outcome::Ok);
    }
}
