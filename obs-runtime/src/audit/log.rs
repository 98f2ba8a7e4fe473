//! [`AuditLog`]: the handle callers record through. The writing itself happens on one dedicated
//! thread (`writer.rs`).

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use super::checkpointer::Checkpointer;
use super::completion::Completion;
use super::config::{AuditConfig, Delivery};
use super::encode::Encoder;
use super::error::AuditError;
use super::event::{AuditEvent, is_valid_action};
use super::id::uuid_v7;
use super::queue::{Pending, Queue};
use super::record::{LOCK_FILE, RecordKind};
use super::recover::recover;
use super::stats;
use super::writer::{Setup, Writer};

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
    queue: Arc<Queue>,
    thread: Mutex<Option<JoinHandle<Result<(), AuditError>>>>,
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
    /// `repair` record), applies retention, and starts the writer thread. Damage before the tail
    /// is [`AuditError::Corrupt`], naming the segment and line.
    pub fn open(config: AuditConfig) -> Result<Self, AuditError> {
        config.validate()?;
        let dir = config.dir.clone();
        fs::create_dir_all(&dir).map_err(|e| AuditError::io(&dir, e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| AuditError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(AuditError::Locked { dir }),
            Err(std::fs::TryLockError::Error(e)) => return Err(AuditError::io(&lock_path, e)),
        }
        stats::ensure_registered();
        let recovered = recover(&dir)?;
        let queue = Arc::new(Queue::new(
            config.delivery.capacity(),
            config.delivery.when_full(),
        ));
        let mut writer = Writer::new(Setup {
            queue: Arc::clone(&queue),
            dir: dir.clone(),
            sync: config.sync,
            rotate: config.rotate,
            retain: config.retain,
            checkpoints: config.checkpoint.map(|c| Checkpointer::new(&dir, c)),
            encoder: Encoder::new(config.service, config.mac_key),
            chain: recovered.chain,
            segment: recovered.active,
            lock,
        })?;
        if let Some(body) = recovered.repair {
            writer.write_own(RecordKind::Repair, body)?;
        }
        writer.retention();
        let thread = std::thread::Builder::new()
            .name("obs-audit-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| AuditError::Stopped(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                delivery: config.delivery,
                queue,
                thread: Mutex::new(Some(thread)),
            }),
        })
    }

    fn pending(event: AuditEvent, done: Option<Arc<Completion>>) -> Result<Pending, AuditError> {
        if !is_valid_action(&event.action) {
            return Err(AuditError::InvalidEvent(format!(
                "the action `{}` is not a dotted lower-case verb (such as `config.update`)",
                event.action
            )));
        }
        let id = uuid_v7(event.start);
        Ok(Pending::Event { event, id, done })
    }

    /// Queues `event` without waiting for it to be written. When the queue is full this waits
    /// for room or drops and counts the event ([`AuditError::QueueFull`]), per
    /// [`WhenFull`](super::WhenFull).
    pub fn append(&self, event: AuditEvent) -> Result<Ticket, AuditError> {
        self.inner.queue.submit(Self::pending(event, None)?)?;
        Ok(Ticket {})
    }

    /// Writes `event` and returns once it is durable under the sync policy; any failure to
    /// write or sync it is returned (fail closed).
    pub fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        let done = Completion::new();
        self.inner
            .queue
            .submit(Self::pending(event, Some(Arc::clone(&done)))?)?;
        done.wait()
    }

    /// [`record`](Self::record) without blocking the thread: the future completes once the
    /// record is durable. (No async runtime is needed; the writer thread wakes the task.)
    pub async fn record_async(&self, event: AuditEvent) -> Result<(), AuditError> {
        let done = Completion::new();
        self.inner
            .queue
            .submit(Self::pending(event, Some(Arc::clone(&done)))?)?;
        done.wait_async().await
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
        let done = Completion::new();
        self.inner.queue.submit(Pending::Flush(Arc::clone(&done)))?;
        done.wait()
    }

    /// Writes what is queued, syncs, makes a final checkpoint and stops the writer thread. Every
    /// clone of this log is closed too (their calls return [`AuditError::Closed`]); a second
    /// shutdown returns `Ok`.
    pub fn shutdown(self) -> Result<(), AuditError> {
        self.inner.shutdown()
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }
}

impl Inner {
    fn shutdown(&self) -> Result<(), AuditError> {
        self.queue.close();
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match thread {
            None => Ok(()),
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(AuditError::Stopped("the writer thread panicked".into()))),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: write and sync what is queued. Errors have nobody to go to
        // but the self-metrics, which counted them.
        let _ = self.shutdown();
    }
}
