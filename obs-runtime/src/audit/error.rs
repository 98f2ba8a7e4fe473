//! The one error type of the audit log.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why an audit operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuditError {
    /// Reading or writing a file or directory failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// `fsync` of a segment failed: the segment is closed and never written or synced again;
    /// records not yet acknowledged as durable are reported failed, and writing goes on in a
    /// new segment.
    Fsync {
        /// The segment file.
        segment: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The log was shut down (or its writer thread is gone).
    Closed,
    /// A buffered append found the queue full under [`WhenFull::DropAndCount`](super::WhenFull):
    /// the event was dropped and counted in `obs_audit_dropped_total`.
    QueueFull,
    /// The log on disk is damaged before its tail (or in a way a torn write cannot explain):
    /// nothing is appended until an operator looks.
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// The line (from 1) of the first bad record.
        line: u64,
        /// What is wrong with it.
        what: String,
    },
    /// The configuration is unusable.
    Config(String),
    /// Another writer holds the directory's lock file.
    Locked {
        /// The log directory.
        dir: PathBuf,
    },
    /// The event cannot be written as built (an action that is not a dotted lower-case verb).
    InvalidEvent(String),
    /// [`install`](super::install) was called a second time.
    AlreadyInstalled,
    /// The writer stopped after an error it cannot recover from in this process (a partial write
    /// it could not cut back); reopening the log repairs the tail.
    Stopped(String),
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => {
                write!(f, "audit log I/O error on {}: {source}", path.display())
            }
            Self::Fsync { segment, source } => write!(
                f,
                "fsync of audit segment {} failed (segment closed): {source}",
                segment.display()
            ),
            Self::Closed => f.write_str("the audit log is shut down"),
            Self::QueueFull => {
                f.write_str("the audit queue is full; the event was dropped and counted")
            }
            Self::Corrupt {
                segment,
                line,
                what,
            } => write!(
                f,
                "audit segment {} is corrupt at line {line}: {what}; appending stopped",
                segment.display()
            ),
            Self::Config(why) => write!(f, "invalid audit configuration: {why}"),
            Self::Locked { dir } => write!(
                f,
                "another process is writing the audit log in {}",
                dir.display()
            ),
            Self::InvalidEvent(why) => write!(f, "invalid audit event: {why}"),
            Self::AlreadyInstalled => f.write_str("a global audit log is already installed"),
            Self::Stopped(why) => write!(f, "the audit writer stopped: {why}"),
        }
    }
}

impl std::error::Error for AuditError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } | Self::Fsync { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl AuditError {
    /// An [`AuditError::Io`] on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// The same error again, for each of several callers waiting on one failed write (`io::Error`
    /// is not `Clone`: the OS error code is kept, otherwise the kind and message).
    pub(crate) fn duplicate(&self) -> Self {
        fn again(e: &io::Error) -> io::Error {
            match e.raw_os_error() {
                Some(code) => io::Error::from_raw_os_error(code),
                None => io::Error::new(e.kind(), e.to_string()),
            }
        }
        match self {
            Self::Io { path, source } => Self::Io {
                path: path.clone(),
                source: again(source),
            },
            Self::Fsync { segment, source } => Self::Fsync {
                segment: segment.clone(),
                source: again(source),
            },
            Self::Closed => Self::Closed,
            Self::QueueFull => Self::QueueFull,
            Self::Corrupt {
                segment,
                line,
                what,
            } => Self::Corrupt {
                segment: segment.clone(),
                line: *line,
                what: what.clone(),
            },
            Self::Config(s) => Self::Config(s.clone()),
            Self::Locked { dir } => Self::Locked { dir: dir.clone() },
            Self::InvalidEvent(s) => Self::InvalidEvent(s.clone()),
            Self::AlreadyInstalled => Self::AlreadyInstalled,
            Self::Stopped(s) => Self::Stopped(s.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keeps_the_os_error_and_the_path() {
        let e = AuditError::io("/x/audit", io::Error::from_raw_os_error(28));
        let d = e.duplicate();
        let AuditError::Io { path, source } = &d else {
            panic!("{d:?}")
        };
        assert_eq!(path, &PathBuf::from("/x/audit"));
        assert_eq!(source.raw_os_error(), Some(28));
        assert_eq!(d.to_string(), e.to_string());
    }
}
