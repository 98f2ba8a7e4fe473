//! Removing the oldest rotated segments per the [`Retention`](super::Retention) policy, after a
//! `retention` record names each one with its seq range and last hash (synced first), so that
//! the remaining chain still verifies from its new start.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::{Arc, PoisonError};
use std::time::SystemTime;

use serde_json::{Map, Value};

use super::error::AuditError;
use super::record::{RecordKind, SegmentName, field, hex};
use super::segment::{self, Lines, SegmentFile, sync_dir};
use super::stats::{self, Count};
use super::writer::Writer;

impl Writer {
    /// Applies the retention policy now (failures are counted, and nothing is removed unless
    /// its `retention` record was synced).
    pub(super) fn retention(&mut self) {
        if self.retain == super::Retention::default() {
            return;
        }
        if self.remove_old_segments().is_err() {
            stats::add(Count::Errors, 1);
        }
    }

    fn remove_old_segments(&mut self) -> Result<(), AuditError> {
        let files = Arc::clone(&self.files);
        let _files = files.lock().unwrap_or_else(PoisonError::into_inner);
        let all = segment::list(&self.dir, false)?;
        let active = self
            .segment
            .as_ref()
            .map(|s| (s.first_seq, s.len, s.records));
        let closed: Vec<&SegmentFile> = all
            .iter()
            .filter(|s| Some(s.name.first_seq) != active.map(|a| a.0))
            .collect();
        // The current segment counts, also when the retention record is about to create it.
        let mut count = closed.len() + 1;
        let mut bytes = closed.iter().map(|s| s.bytes).sum::<u64>() + active.map_or(0, |a| a.1);
        let cutoff = self
            .retain
            .max_age
            .and_then(|age| SystemTime::now().checked_sub(age));
        let mut n = 0;
        for s in &closed {
            let too_many = self.retain.max_count.is_some_and(|max| count > max);
            let too_big = self.retain.max_bytes.is_some_and(|max| bytes > max);
            let too_old = cutoff.is_some_and(|c| s.modified < c);
            if !(too_many || too_big || too_old) {
                break;
            }
            count -= 1;
            bytes -= s.bytes;
            n += 1;
        }
        if n == 0 {
            return Ok(());
        }
        let mut removed = Vec::with_capacity(n);
        for (i, s) in closed[..n].iter().enumerate() {
            let (last_seq, last_hash) = match (closed.get(i + 1), &self.segment) {
                (Some(next), _) => (
                    next.name.first_seq - 1,
                    first_prev(&next.path, next.name.gzip)?,
                ),
                (None, Some(a)) if a.records > 0 => (a.first_seq - 1, first_prev(&a.path, false)?),
                (None, _) => (self.chain.last_seq(), hex(&self.chain.prev)),
            };
            let mut entry = Map::new();
            entry.insert(field::SEGMENT.into(), s.name.file_name().into());
            entry.insert(field::FIRST_SEQ.into(), s.name.first_seq.into());
            entry.insert(field::LAST_SEQ.into(), last_seq.into());
            entry.insert(field::LAST_HASH.into(), last_hash.into());
            removed.push(Value::Object(entry));
        }
        let mut body = Map::new();
        body.insert(field::REMOVED.into(), Value::Array(removed));
        self.write_own(RecordKind::Retention, body)?;
        for s in &closed[..n] {
            for gzip in [false, true] {
                let name = SegmentName { gzip, ..s.name }.file_name();
                remove_if_present(&self.dir.join(name))?;
            }
        }
        sync_dir(&self.dir)
    }
}

/// The `prev` of the first record of the segment at `path`.
fn first_prev(path: &Path, gzip: bool) -> Result<String, AuditError> {
    let mut lines = Lines::open(path, gzip)?;
    let mut buf = Vec::new();
    let corrupt = || AuditError::Corrupt {
        segment: path.to_owned(),
        line: 1,
        what: "no first record with a `prev` to chain the removed segment to".into(),
    };
    lines.next_line(&mut buf)?.ok_or_else(corrupt)?;
    let value: Value = serde_json::from_slice(&buf).map_err(|_| corrupt())?;
    value
        .get(field::PREV)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(corrupt)
}

fn remove_if_present(path: &Path) -> Result<(), AuditError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(AuditError::io(path, e)),
        _ => Ok(()),
    }
}
