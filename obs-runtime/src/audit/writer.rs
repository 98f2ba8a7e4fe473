//! The writer thread: takes what callers queued, encodes and chains it into one buffer, writes
//! it with one `write`, syncs per the policy, acknowledges durable callers, and rotates, removes
//! old segments and makes checkpoints.
//!
//! Failures: a failed write is cut back (no partial record stays) and the chain rewound; the
//! durable callers in it get the error, buffered events are kept and written again later (after
//! a back-off, so a full disk applies back-pressure rather than losing events). A failed `fsync`
//! closes its segment for good (it is never synced again); the durable callers written since the
//! last sync get the error and the next record starts a new segment, continuing the chain. A
//! write that cannot be cut back stops the writer ([`AuditError::Stopped`]); reopening repairs.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::checkpointer::Checkpointer;
use super::completion::Completion;
use super::compress::Compressor;
use super::config::{Retention, Rotation, SyncPolicy};
use super::encode::{Chain, Encoder};
use super::error::AuditError;
use super::queue::{Pending, Queue};
use super::record::{RecordKind, field, segment_file_name};
use super::segment::Segment;
use super::stats::{self, Count};

/// Above this many encoded bytes a batch is written before more are encoded.
const MAX_WRITE: usize = 1 << 20;
/// Waits before writing held buffered events again after a failure: from, to.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(20), Duration::from_secs(2));

/// Everything the writer thread owns.
pub(crate) struct Writer {
    pub(super) queue: Arc<Queue>,
    pub(super) dir: PathBuf,
    pub(super) sync: SyncPolicy,
    pub(super) rotate: Rotation,
    pub(super) retain: Retention,
    pub(super) checkpoints: Option<Checkpointer>,
    pub(super) encoder: Encoder,
    /// Where the chain stands after everything written (or encoded into `buf`).
    pub(super) chain: Chain,
    /// The segment being written; `None` until the next write creates one.
    pub(super) segment: Option<Segment>,
    /// Encoded records not yet written, and the chain before them.
    buf: Vec<u8>,
    chain_at_buf: Chain,
    /// The events encoded into `buf`.
    in_buf: Vec<Pending>,
    /// Durable callers written and waiting for the next sync.
    unsynced: Vec<Arc<Completion>>,
    /// Records written since the last sync.
    dirty: bool,
    /// When the group commit syncs next.
    sync_due: Option<Instant>,
    /// The last synced record (seq, hash).
    pub(super) synced: (u64, [u8; 32]),
    /// Buffered events a failed write left, to write again at `retry_at`.
    held: Vec<Pending>,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// Why the held events could not be written.
    held_error: Option<AuditError>,
    /// Buffered events written since the queue was last told.
    released: usize,
    pub(super) compressor: Option<Compressor>,
    /// Taken by retention and by the compressor's rename.
    pub(super) files: Arc<Mutex<()>>,
    /// The directory's lock, held while the writer lives.
    _lock: File,
}

/// How the writer is set up.
pub(crate) struct Setup {
    pub queue: Arc<Queue>,
    pub dir: PathBuf,
    pub sync: SyncPolicy,
    pub rotate: Rotation,
    pub retain: Retention,
    pub checkpoints: Option<Checkpointer>,
    pub encoder: Encoder,
    pub chain: Chain,
    pub segment: Option<Segment>,
    pub lock: File,
}

impl Writer {
    pub(crate) fn new(setup: Setup) -> Result<Self, AuditError> {
        let files = Arc::new(Mutex::new(()));
        let compressor = if setup.rotate.gzip {
            Some(Compressor::start(Arc::clone(&files))?)
        } else {
            None
        };
        Ok(Self {
            queue: setup.queue,
            dir: setup.dir,
            sync: setup.sync,
            rotate: setup.rotate,
            retain: setup.retain,
            checkpoints: setup.checkpoints,
            encoder: setup.encoder,
            chain: setup.chain,
            segment: setup.segment,
            buf: Vec::with_capacity(64 << 10),
            chain_at_buf: setup.chain,
            in_buf: Vec::new(),
            unsynced: Vec::new(),
            dirty: false,
            sync_due: None,
            synced: (setup.chain.last_seq(), setup.chain.prev),
            held: Vec::new(),
            retry_at: None,
            backoff: BACKOFF.0,
            held_error: None,
            released: 0,
            compressor,
            files,
            _lock: setup.lock,
        })
    }

    /// The writer thread's body: until shutdown (or a stop), then a final sync and checkpoint.
    pub(crate) fn run(mut self) -> Result<(), AuditError> {
        // Swapped with the queue's vector each time, so both keep their capacity.
        let mut batch = Vec::new();
        loop {
            let closing = self.queue.take(self.next_deadline(), &mut batch);
            let retry = self.retry_at.is_some_and(|t| t <= Instant::now());
            if !self.held.is_empty() && (retry || closing || !batch.is_empty()) {
                // Held events were submitted first: they go first.
                self.retry_at = None;
                let mut held = std::mem::take(&mut self.held);
                held.append(&mut batch);
                batch = held;
            }
            let result = self.process(&mut batch, closing);
            self.tell_queue();
            if let Err(AuditError::Stopped(why)) = result {
                return Err(self.stop(why));
            }
            if closing {
                return self.finish();
            }
            self.on_timers();
        }
    }

    /// The earliest of: the group-commit sync, the retry of held events, a checkpoint due by
    /// time, rotation by age.
    fn next_deadline(&self) -> Option<Instant> {
        let checkpoint = self
            .checkpoints
            .as_ref()
            .and_then(|c| c.due_at(self.chain.last_seq()));
        let age = match (&self.segment, self.rotate.max_age) {
            (Some(s), Some(max)) if s.records > 0 => Some(s.started + max),
            _ => None,
        };
        [self.sync_due, self.retry_at, checkpoint, age]
            .into_iter()
            .flatten()
            .min()
    }

    /// What is due by time: the group-commit sync, a checkpoint, rotation by age.
    fn on_timers(&mut self) {
        let now = Instant::now();
        if self.sync_due.is_some_and(|t| t <= now) {
            let _ = self.sync_now();
        }
        let checkpoint_due = self
            .checkpoints
            .as_ref()
            .and_then(|c| c.due_at(self.chain.last_seq()))
            .is_some_and(|t| t <= now);
        if checkpoint_due {
            // Checkpoints cover synced records only; the timer restarts either way.
            let _ = self.sync_now();
            self.checkpoint();
        }
        let old = match (&self.segment, self.rotate.max_age) {
            (Some(s), Some(max)) => s.records > 0 && s.started + max <= now,
            _ => false,
        };
        if old {
            if self.rotate_segment().is_ok() {
                self.retention();
            } else if let Some(s) = &mut self.segment {
                // Try again a period later rather than at once.
                s.started = now;
            }
        }
    }

    /// Writes `work` (events in order; flush markers), then syncs as the policy says. Returns
    /// the first error (the callers concerned have been told).
    fn process(&mut self, work: &mut Vec<Pending>, closing: bool) -> Result<(), AuditError> {
        let mut flushes = Vec::new();
        let mut failed: Option<AuditError> = None;
        for p in work.drain(..) {
            if let Some(e) = &failed {
                self.fail_or_hold(p, e);
                continue;
            }
            let Pending::Event { event, id, .. } = &p else {
                if let Pending::Flush(done) = p {
                    flushes.push(done);
                }
                continue;
            };
            if self.buf.is_empty() {
                self.chain_at_buf = self.chain;
            }
            self.encoder
                .event(&mut self.chain, event, id, &mut self.buf);
            self.in_buf.push(p);
            let segment_len = self.segment.as_ref().map_or(0, |s| s.len);
            let full = segment_len + self.buf.len() as u64 >= self.rotate.max_bytes;
            if full || self.buf.len() >= MAX_WRITE {
                if let Err(e) = self.write_buf() {
                    failed = Some(e);
                } else if full && let Err(e) = self.rotate_segment() {
                    failed = Some(e);
                } else if full {
                    self.retention();
                }
            }
        }
        if failed.is_none()
            && let Err(e) = self.write_buf()
        {
            failed = Some(e);
        }
        if let Some(AuditError::Stopped(why)) = &failed {
            let why = why.clone();
            for done in flushes {
                done.complete(Err(AuditError::Stopped(why.clone())));
            }
            return Err(AuditError::Stopped(why));
        }
        let must_sync = matches!(self.sync, SyncPolicy::Always) || !flushes.is_empty() || closing;
        let synced = if must_sync {
            self.sync_now()
        } else {
            if let SyncPolicy::GroupCommit(every) = self.sync
                && self.dirty
                && self.sync_due.is_none()
            {
                self.sync_due = Some(Instant::now() + every);
            }
            Ok(())
        };
        if let Ok(()) = &synced
            && self
                .checkpoints
                .as_ref()
                .is_some_and(|c| c.due_by_count(self.synced.0))
        {
            self.checkpoint();
        }
        for done in flushes {
            let result = match (&failed, &synced, &self.held_error) {
                (Some(e), _, _) | (None, Err(e), _) | (None, Ok(()), Some(e)) => Err(e.duplicate()),
                (None, Ok(()), None) => Ok(()),
            };
            done.complete(result);
        }
        match (failed, synced) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(()),
        }
    }

    /// Tells a caller of `p` about `error`; a buffered event is held to be written again.
    fn fail_or_hold(&mut self, p: Pending, error: &AuditError) {
        match p {
            Pending::Event {
                done: Some(done), ..
            } => {
                stats::queue_depth_add(-1);
                done.complete(Err(error.duplicate()));
            }
            Pending::Flush(done) => done.complete(Err(error.duplicate())),
            held @ Pending::Event { done: None, .. } => {
                if self.held.is_empty() {
                    self.retry_at = Some(Instant::now() + self.backoff);
                    self.backoff = (self.backoff * 2).min(BACKOFF.1);
                }
                self.held_error = Some(error.duplicate());
                self.held.push(held);
            }
        }
    }

    /// Writes `buf` with one `write`. On failure the chain is rewound to before it and the
    /// events in it are failed or held.
    fn write_buf(&mut self) -> Result<(), AuditError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let records = self.chain.next_seq - self.chain_at_buf.next_seq;
        let written = self.append_buf(records);
        let bytes = self.buf.len() as u64;
        self.buf.clear();
        let in_buf = std::mem::take(&mut self.in_buf);
        match written {
            Ok(()) => {
                stats::add(Count::Events, records);
                stats::add(Count::Bytes, bytes);
                self.dirty = true;
                self.backoff = BACKOFF.0;
                self.held_error = None;
                for p in in_buf {
                    match p {
                        Pending::Event {
                            done: Some(done), ..
                        } => {
                            stats::queue_depth_add(-1);
                            if matches!(self.sync, SyncPolicy::Never) {
                                done.complete(Ok(()));
                            } else {
                                self.unsynced.push(done);
                            }
                        }
                        Pending::Event { done: None, .. } => {
                            stats::queue_depth_add(-1);
                            self.released += 1;
                        }
                        Pending::Flush(_) => {}
                    }
                }
                Ok(())
            }
            Err(e) => {
                stats::add(Count::Errors, 1);
                self.chain = self.chain_at_buf;
                for p in in_buf {
                    self.fail_or_hold(p, &e);
                }
                Err(e)
            }
        }
    }

    /// Appends `buf` (holding `records` records) to the segment, creating it first if there is
    /// none (named for the seq of the first record in `buf`).
    fn append_buf(&mut self, records: u64) -> Result<(), AuditError> {
        if self.segment.is_none() {
            self.segment = Some(Segment::create(&self.dir, self.chain_at_buf.next_seq)?);
        }
        if let Some(s) = &mut self.segment {
            s.append(&self.buf)?;
            s.records += records;
        }
        Ok(())
    }

    /// Syncs the segment; acknowledges (or fails) the durable callers written since the last
    /// sync. A failed sync retires the segment.
    pub(super) fn sync_now(&mut self) -> Result<(), AuditError> {
        self.sync_due = None;
        if !self.dirty {
            return Ok(());
        }
        self.dirty = false;
        let Some(segment) = &mut self.segment else {
            return Ok(());
        };
        match segment.sync() {
            Ok(took) => {
                stats::fsync_took(took);
                self.synced = (self.chain.last_seq(), self.chain.prev);
                for done in self.unsynced.drain(..) {
                    done.complete(Ok(()));
                }
                Ok(())
            }
            Err(e) => {
                stats::add(Count::Errors, 1);
                // Never synced again: the next record starts a new segment.
                self.segment = None;
                for done in self.unsynced.drain(..) {
                    done.complete(Err(e.duplicate()));
                }
                Err(e)
            }
        }
    }

    /// Writes one of the log's own records and syncs it.
    pub(super) fn write_own(
        &mut self,
        kind: RecordKind,
        body: Map<String, Value>,
    ) -> Result<(), AuditError> {
        self.write_buf()?;
        self.chain_at_buf = self.chain;
        self.encoder.own(&mut self.chain, kind, body, &mut self.buf);
        self.write_buf()?;
        self.sync_now()
    }

    /// Closes the current segment with a `rotate` record naming the next one (synced), hands it
    /// to the compressor, and makes a checkpoint. The next record starts the next segment.
    fn rotate_segment(&mut self) -> Result<(), AuditError> {
        if self.segment.as_ref().is_none_or(|s| s.records == 0) {
            return Ok(());
        }
        let mut body = Map::new();
        // The rotate record takes the next seq; the segment after it starts one later.
        body.insert(
            field::NEXT_SEGMENT.into(),
            segment_file_name(self.chain.next_seq + 1).into(),
        );
        let written = self.write_own(RecordKind::Rotate, body);
        if let Err(e) = written {
            stats::add(Count::Errors, 1);
            return Err(e);
        }
        if let Some(done) = self.segment.take()
            && let Some(c) = &self.compressor
        {
            c.compress(done.path);
        }
        self.checkpoint();
        Ok(())
    }

    /// A checkpoint of the last synced record, if checkpoints are configured (failures are
    /// counted).
    fn checkpoint(&mut self) {
        let (seq, hash) = self.synced;
        if let Some(c) = &mut self.checkpoints {
            let _ = c.make(&self.dir, seq, &hash);
        }
    }

    /// Lets the queue know how many buffered events left it.
    fn tell_queue(&mut self) {
        self.queue.release(std::mem::take(&mut self.released));
    }

    /// After a stop: refuses everything, fails what waits, counts what is lost.
    fn stop(&mut self, why: String) -> AuditError {
        self.queue.stop(why.clone());
        let mut left = Vec::new();
        let _ = self.queue.take(Some(Instant::now()), &mut left);
        left.append(&mut self.held);
        let error = AuditError::Stopped(why);
        for done in self.unsynced.drain(..) {
            done.complete(Err(error.duplicate()));
        }
        let mut dropped = 0;
        for p in left {
            match p {
                Pending::Event {
                    done: Some(done), ..
                }
                | Pending::Flush(done) => done.complete(Err(error.duplicate())),
                Pending::Event { done: None, .. } => dropped += 1,
            }
        }
        stats::add(Count::Dropped, dropped as u64);
        self.queue.release(dropped);
        error
    }

    /// At shutdown: one more try for held events, a final sync and checkpoint, and the gzip
    /// thread finished.
    fn finish(mut self) -> Result<(), AuditError> {
        let mut result = Ok(());
        if !self.held.is_empty() {
            let mut held = std::mem::take(&mut self.held);
            let _ = self.process(&mut held, true);
            self.tell_queue();
            if !self.held.is_empty() {
                let lost = self.held.len();
                stats::add(Count::Dropped, lost as u64);
                stats::queue_depth_add(-(lost as i64));
                self.queue.release(lost);
                self.held.clear();
                result = Err(self.held_error.take().unwrap_or(AuditError::Closed));
            }
        }
        if let Err(e) = self.sync_now() {
            result = result.and(Err(e));
        }
        self.checkpoint();
        if let Some(mut c) = self.compressor.take() {
            c.finish();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    use crate::audit::segment::faults::{self, Fault};
    use crate::audit::segment::tests::tempdir;
    use crate::audit::{AuditConfig, AuditError, AuditEvent, AuditLog, SyncPolicy, WhenFull};

    fn event(n: u64) -> AuditEvent {
        AuditEvent::new("config.update").field("n", n)
    }

    /// (file name, seq, n) of every record, segment by segment.
    fn records(dir: &Path) -> Vec<(String, u64, Option<u64>)> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".jsonl") && n.starts_with("audit-"))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            for line in std::fs::read_to_string(dir.join(&name)).unwrap().lines() {
                let v: Value = serde_json::from_str(line).unwrap();
                out.push((
                    name.clone(),
                    v["seq"].as_u64().unwrap(),
                    v["fields"]["n"].as_u64(),
                ));
            }
        }
        out
    }

    fn open(dir: &Path, buffered: bool) -> AuditLog {
        let mut c = AuditConfig::new(dir, "svc");
        c.sync = SyncPolicy::Always;
        if buffered {
            c.delivery = crate::audit::Delivery::Buffered {
                capacity: 100,
                when_full: WhenFull::Block,
            };
        }
        AuditLog::open(c).unwrap()
    }

    #[test]
    fn a_failed_write_is_cut_back_failing_durable_calls_and_holding_buffered_events() {
        let dir = tempdir("write-fault");
        let log = open(&dir, true);
        log.record(event(0)).unwrap();
        faults::set(&dir, Fault::Write, true);
        let e = log.record(event(1)).unwrap_err();
        assert!(
            matches!(&e, AuditError::Io { source, .. } if source.raw_os_error() == Some(28)),
            "{e}"
        );
        for n in 2..5 {
            log.append(event(n)).unwrap();
        }
        assert!(log.flush().is_err());
        // Nothing partial on disk: only the first record.
        assert_eq!(records(&dir).len(), 1);
        faults::set(&dir, Fault::Write, false);
        log.flush().unwrap();
        log.record(event(5)).unwrap();
        log.shutdown().unwrap();
        let got = records(&dir);
        let ns: Vec<Option<u64>> = got.iter().map(|r| r.2).collect();
        assert_eq!(ns, [Some(0), Some(2), Some(3), Some(4), Some(5)]);
        let seqs: Vec<u64> = got.iter().map(|r| r.1).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        // The log reopens cleanly: no damage.
        open(&dir, false).shutdown().unwrap();
    }

    #[test]
    fn a_failed_sync_retires_its_segment_for_good_and_the_chain_goes_on_in_a_new_one() {
        let dir = tempdir("sync-fault");
        let log = open(&dir, false);
        log.record(event(0)).unwrap();
        faults::set(&dir, Fault::Sync, true);
        let e = log.record(event(1)).unwrap_err();
        assert!(
            matches!(&e, AuditError::Fsync { segment, .. } if segment.ends_with("audit-00000000000000000001.jsonl")),
            "{e}"
        );
        let first = dir.join("audit-00000000000000000001.jsonl");
        let tries = faults::syncs(&first);
        faults::set(&dir, Fault::Sync, false);
        log.record(event(2)).unwrap();
        log.shutdown().unwrap();
        // Never synced again after its failure.
        assert_eq!(faults::syncs(&first), tries);
        let got = records(&dir);
        let first_name = "audit-00000000000000000001.jsonl".to_owned();
        let next_name = "audit-00000000000000000003.jsonl".to_owned();
        assert_eq!(
            got,
            [
                (first_name.clone(), 1, Some(0)),
                (first_name, 2, Some(1)),
                (next_name, 3, Some(2)),
            ]
        );
        open(&dir, false).shutdown().unwrap();
    }
}
