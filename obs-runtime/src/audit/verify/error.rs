//! Why a log could not be verified at all (as opposed to a log that verified and was found bad,
//! which is a [`Problem`](super::Problem) in the [`Report`](super::Report)).

use std::fmt;
use std::path::PathBuf;

/// Why a log could not be verified: a file could not be read, or an option is unusable. A log
/// that was read and found tampered with or corrupt is not an error but a
/// [`Report`](super::Report) with a [`Problem`](super::Problem).
#[derive(Debug)]
#[non_exhaustive]
pub enum VerifyError {
    /// A directory or file could not be read.
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key or an option given to the verifier is unusable.
    Options(String),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Io { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            VerifyError::Options(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VerifyError::Io { source, .. } => Some(source),
            VerifyError::Options(_) => None,
        }
    }
}
