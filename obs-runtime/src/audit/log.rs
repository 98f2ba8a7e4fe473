//! [`AuditLog`]: the handle callers record through. The writing itself happens on one dedicated
//! thread (see `writer.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::config::{AuditConfig, Delivery};
use super::error::AuditError;
use super::event::AuditEvent;

/// Proof that a buffered event was queued. [`AuditLog::flush`] waits until it, and everything
/// queued before, is durable.
#[derive(Debug)]
#[non_exhaustive]
pub struct Ticket {}

/// An open audit log: a cheap-to-clone handle (an `Arc`) onto the writer thread of one
/// directory.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    delivery: Delivery,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens (or creates) the log in `config.dir`: takes its lock, repairs a torn tail (writing a
    /// `repair` record), and starts the writer thread. Damage before the tail is
    /// [`AuditError::Corrupt`], naming the segment and line.
    pub fn open(config: AuditConfig) -> Result<Self, AuditError> {
        config.validate()?;
        let _ = Inner {
            dir: config.dir,
            delivery: config.delivery,
        };
        Err(AuditError::Stopped(
            "the writer is not implemented yet".into(),
        ))
    }

    /// Queues `event` without waiting for it to be written. When the queue is full this waits
    /// for room or drops and counts the event ([`AuditError::QueueFull`]), per
    /// [`WhenFull`](super::WhenFull).
    pub fn append(&self, event: AuditEvent) -> Result<Ticket, AuditError> {
        let _ = event;
        Err(AuditError::Closed)
    }

    /// Writes `event` and returns once it is durable under the sync policy; any failure to
    /// write or sync it is returned (fail closed).
    pub fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        let _ = event;
        Err(AuditError::Closed)
    }

    /// [`record`](Self::record) without blocking the thread: the future completes once the
    /// record is durable. (No async runtime is needed; the writer thread wakes the task.)
    pub async fn record_async(&self, event: AuditEvent) -> Result<(), AuditError> {
        let _ = event;
        Err(AuditError::Closed)
    }

    /// Delivers `event` as the configured [`Delivery`] says: [`record`](Self::record) when
    /// durable, [`append`](Self::append) when buffered.
    pub fn submit(&self, event: AuditEvent) -> Result<(), AuditError> {
        match self.inner.delivery {
            Delivery::Durable => self.record(event),
            Delivery::Buffered { .. } => self.append(event).map(drop),
        }
    }

    /// Waits until every event queued before this call is written and synced; returns the error
    /// that kept one from it, if any.
    pub fn flush(&self) -> Result<(), AuditError> {
        Err(AuditError::Closed)
    }

    /// Writes what is queued, syncs, makes a final checkpoint and stops the writer thread. Every
    /// clone of this log is closed too (their calls return [`AuditError::Closed`]).
    pub fn shutdown(self) -> Result<(), AuditError> {
        Err(AuditError::Closed)
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }
}
