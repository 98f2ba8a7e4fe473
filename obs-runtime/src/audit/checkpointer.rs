//! Making checkpoints: when they are due, signing, `checkpoints.jsonl`, the sinks.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use super::checkpoint::{Checkpoint, CheckpointConfig};
use super::error::AuditError;
use super::record::{CHECKPOINTS_FILE, hex};
use super::segment::sync_dir;
use super::stats::{self, Count};

/// The writer's checkpoint state.
pub(crate) struct Checkpointer {
    config: CheckpointConfig,
    path: PathBuf,
    file: Option<File>,
    /// The seq of the last checkpoint made by this writer (0: none yet).
    last_seq: u64,
    last_at: Instant,
}

impl Checkpointer {
    /// The checkpoint state of the log in `dir`, continuing after the last checkpoint in its
    /// `checkpoints.jsonl`, if any.
    pub(crate) fn new(dir: &Path, config: CheckpointConfig) -> Self {
        let path = dir.join(CHECKPOINTS_FILE);
        let last_seq = std::fs::read(&path)
            .ok()
            .and_then(|text| {
                let line = text.split(|&b| b == b'\n').rev().find(|l| !l.is_empty())?;
                let value: serde_json::Value = serde_json::from_slice(line).ok()?;
                Checkpoint::from_value(&value)
            })
            .map_or(0, |c| c.seq);
        Self {
            config,
            path,
            file: None,
            last_seq,
            last_at: Instant::now(),
        }
    }

    /// Whether a checkpoint of the synced record `seq` is due by count.
    pub(crate) fn due_by_count(&self, seq: u64) -> bool {
        self.config
            .every_records
            .is_some_and(|n| seq >= self.last_seq.saturating_add(n))
    }

    /// When a checkpoint is next due by time, if records came since the last one (`head`:
    /// the last record written).
    pub(crate) fn due_at(&self, head: u64) -> Option<Instant> {
        let every = self.config.every?;
        (head > self.last_seq).then(|| self.last_at + every)
    }

    /// Makes a checkpoint of the synced record `seq` with hash `hash`, unless one covers it
    /// already. Errors are counted; a failed `checkpoints.jsonl` write is returned.
    pub(crate) fn make(&mut self, dir: &Path, seq: u64, hash: &[u8; 32]) -> Result<(), AuditError> {
        // Also when there is nothing new to cover: the timer waits another period.
        self.last_at = Instant::now();
        if seq <= self.last_seq {
            return Ok(());
        }
        let mut time = Vec::with_capacity(32);
        crate::time::push_rfc3339_nanos(SystemTime::now(), &mut time);
        let signer = &self.config.signer;
        let mut checkpoint = Checkpoint {
            seq,
            hash: hex(hash),
            time: String::from_utf8(time).unwrap_or_default(),
            key_id: signer.key_id().to_owned(),
            sig: String::new(),
        };
        checkpoint.sig = hex(&signer.sign(&checkpoint.message()));
        self.last_seq = seq;
        if let Err(e) = self.append(dir, &checkpoint) {
            stats::add(Count::Errors, 1);
            self.file = None;
            return Err(e);
        }
        for sink in &self.config.sinks {
            if sink.put(&checkpoint).is_err() {
                stats::add(Count::Errors, 1);
            }
        }
        Ok(())
    }

    fn append(&mut self, dir: &Path, checkpoint: &Checkpoint) -> Result<(), AuditError> {
        let path = &self.path;
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                let created = !path.exists();
                let f = OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(path)
                    .map_err(|e| AuditError::io(path, e))?;
                if created {
                    sync_dir(dir)?;
                }
                self.file.insert(f)
            }
        };
        file.write_all(&checkpoint.to_line())
            .map_err(|e| AuditError::io(path, e))?;
        file.sync_data().map_err(|e| AuditError::Fsync {
            segment: path.clone(),
            source: e,
        })
    }
}
