//! Segment files: listing them, creating, appending, syncing and cutting the one being written,
//! syncing the directory, and reading records back (plain or gzip).

use std::fs::{self, File, OpenOptions};
#[cfg(not(test))]
use std::io::Write;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use flate2::read::GzDecoder;

use super::error::AuditError;
use super::record::{SegmentName, segment_file_name};

/// Syncs the directory `dir`, so that files created, renamed or removed in it stay so.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AuditError::io(dir, e))
}

/// A segment file found in the directory.
#[derive(Debug, Clone)]
pub(crate) struct SegmentFile {
    /// Its name, read back.
    pub name: SegmentName,
    /// Its path.
    pub path: PathBuf,
    /// Its size on disk.
    pub bytes: u64,
    /// When it was last written.
    pub modified: SystemTime,
}

/// The segments in `dir`, by first seq. With `cleanup` (when no compression can be running),
/// leftovers of an interrupted compression are cleared: a `.gz.tmp` is removed, and when a
/// segment exists both plain and compressed, the plain one (complete: it is removed only after
/// the `.gz` is in place) is kept and the `.gz` removed.
pub(crate) fn list(dir: &Path, cleanup: bool) -> Result<Vec<SegmentFile>, AuditError> {
    let mut found: Vec<SegmentFile> = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| AuditError::io(dir, e))?;
    let mut removed = false;
    for entry in entries {
        let entry = entry.map_err(|e| AuditError::io(dir, e))?;
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        let path = entry.path();
        if cleanup && name.starts_with("audit-") && name.ends_with(".gz.tmp") {
            fs::remove_file(&path).map_err(|e| AuditError::io(&path, e))?;
            removed = true;
            continue;
        }
        let Some(parsed) = SegmentName::parse(name) else {
            continue;
        };
        let meta = entry.metadata().map_err(|e| AuditError::io(&path, e))?;
        found.push(SegmentFile {
            name: parsed,
            path,
            bytes: meta.len(),
            modified: meta.modified().unwrap_or_else(|_| SystemTime::now()),
        });
    }
    found.sort_by_key(|s| (s.name.first_seq, s.name.gzip));
    let mut segments: Vec<SegmentFile> = Vec::with_capacity(found.len());
    for s in found {
        match segments.last() {
            Some(plain) if plain.name.first_seq == s.name.first_seq => {
                if cleanup {
                    fs::remove_file(&s.path).map_err(|e| AuditError::io(&s.path, e))?;
                    removed = true;
                }
            }
            _ => segments.push(s),
        }
    }
    if removed {
        sync_dir(dir)?;
    }
    Ok(segments)
}

/// Reads the lines of a segment (plain or gzip), each with its byte offset in the plain text;
/// the last one may lack its `\n`.
pub(crate) struct Lines {
    reader: Box<dyn BufRead>,
    offset: u64,
    path: PathBuf,
}

impl Lines {
    /// The lines of the segment at `path`.
    pub(crate) fn open(path: &Path, gzip: bool) -> Result<Self, AuditError> {
        let file = File::open(path).map_err(|e| AuditError::io(path, e))?;
        let reader: Box<dyn BufRead> = if gzip {
            Box::new(BufReader::with_capacity(1 << 16, GzDecoder::new(file)))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, file))
        };
        Ok(Self {
            reader,
            offset: 0,
            path: path.to_owned(),
        })
    }

    /// The next line (its offset, and its bytes with the `\n` if it has one), or `None` at the end.
    pub(crate) fn next_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<u64>, AuditError> {
        buf.clear();
        let n = self
            .reader
            .read_until(b'\n', buf)
            .map_err(|e| AuditError::io(&self.path, e))?;
        if n == 0 {
            return Ok(None);
        }
        let at = self.offset;
        self.offset += n as u64;
        Ok(Some(at))
    }
}

/// The segment being written.
pub(crate) struct Segment {
    /// Its path.
    pub path: PathBuf,
    /// The seq of its first record.
    pub first_seq: u64,
    file: File,
    /// Bytes written (and not cut back).
    pub len: u64,
    /// Records written into it.
    pub records: u64,
    /// When it was started (for rotation by age).
    pub started: Instant,
}

impl Segment {
    /// Creates the segment whose first record has `first_seq` in `dir` (and syncs `dir`).
    pub(crate) fn create(dir: &Path, first_seq: u64) -> Result<Self, AuditError> {
        let path = dir.join(segment_file_name(first_seq));
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| AuditError::io(&path, e))?;
        sync_dir(dir)?;
        Ok(Self {
            path,
            first_seq,
            file,
            len: 0,
            records: 0,
            started: Instant::now(),
        })
    }

    /// Opens the existing segment `found` for appending, after its first `len` bytes (which hold
    /// `records` records); what follows is cut off (and the cut synced).
    pub(crate) fn reopen(found: &SegmentFile, len: u64, records: u64) -> Result<Self, AuditError> {
        let path = found.path.clone();
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| AuditError::io(&path, e))?;
        if found.bytes != len {
            file.set_len(len).map_err(|e| AuditError::io(&path, e))?;
            file.sync_all().map_err(|e| AuditError::Fsync {
                segment: path.clone(),
                source: e,
            })?;
        }
        let age = SystemTime::now()
            .duration_since(file_started(&file))
            .unwrap_or_default();
        Ok(Self {
            path,
            first_seq: found.name.first_seq,
            file,
            len,
            records,
            started: Instant::now().checked_sub(age).unwrap_or_else(Instant::now),
        })
    }

    /// Appends `bytes`; on an error, cuts the file back to where it was (so no partial record
    /// stays) and returns the write error, or [`AuditError::Stopped`] when the cut failed too.
    pub(crate) fn append(&mut self, bytes: &[u8]) -> Result<(), AuditError> {
        #[cfg(test)]
        let bytes_result = faults::write(&self.path, &mut self.file, bytes);
        #[cfg(not(test))]
        let bytes_result = self.file.write_all(bytes);
        match bytes_result {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(write) => match self.file.set_len(self.len) {
                Ok(()) => Err(AuditError::io(&self.path, write)),
                Err(cut) => Err(AuditError::Stopped(format!(
                    "writing {} failed ({write}) and cutting the partial record back failed ({cut})",
                    self.path.display()
                ))),
            },
        }
    }

    /// `fdatasync`s the segment (the size is data for this purpose); how long it took.
    pub(crate) fn sync(&mut self) -> Result<Duration, AuditError> {
        let t = Instant::now();
        #[cfg(test)]
        let synced = faults::sync(&self.path, &self.file);
        #[cfg(not(test))]
        let synced = self.file.sync_data();
        synced.map_err(|e| AuditError::Fsync {
            segment: self.path.clone(),
            source: e,
        })?;
        Ok(t.elapsed())
    }
}

/// When a file was created (its birth time where the file system records it, else its last
/// change).
fn file_started(file: &File) -> SystemTime {
    file.metadata()
        .and_then(|m| m.created().or_else(|_| m.modified()))
        .unwrap_or_else(|_| SystemTime::now())
}

/// Injected write and sync failures for the writer's unit tests, per log directory.
#[cfg(test)]
pub(crate) mod faults {
    use std::fs::File;
    use std::io::{self, Write};
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// What fails.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Fault {
        /// Writes store half their bytes, then fail (a disk filling up).
        Write,
        /// Syncs fail.
        Sync,
    }

    static ON: Mutex<Vec<(PathBuf, Fault)>> = Mutex::new(Vec::new());
    /// Syncs attempted, by segment path.
    static SYNCS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    /// Turns `fault` on or off for the segments in `dir`.
    pub(crate) fn set(dir: &Path, fault: Fault, on: bool) {
        let mut all = ON.lock().unwrap();
        all.retain(|(d, f)| !(d == dir && *f == fault));
        if on {
            all.push((dir.to_owned(), fault));
        }
    }

    fn on(path: &Path, fault: Fault) -> bool {
        ON.lock()
            .unwrap()
            .iter()
            .any(|(d, f)| Some(d.as_path()) == path.parent() && *f == fault)
    }

    /// How many syncs of the segment at `path` were attempted.
    pub(crate) fn syncs(path: &Path) -> usize {
        SYNCS.lock().unwrap().iter().filter(|p| *p == path).count()
    }

    pub(super) fn write(path: &Path, file: &mut File, bytes: &[u8]) -> io::Result<()> {
        if on(path, Fault::Write) {
            file.write_all(&bytes[..bytes.len() / 2])?;
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        file.write_all(bytes)
    }

    pub(super) fn sync(path: &Path, file: &File) -> io::Result<()> {
        SYNCS.lock().unwrap().push(path.to_owned());
        if on(path, Fault::Sync) {
            return Err(io::Error::from_raw_os_error(5)); // EIO
        }
        file.sync_data()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn listing_orders_by_seq_and_clears_compression_leftovers() {
        let dir = tempdir("list");
        for name in [
            "audit-00000000000000000010.jsonl",
            "audit-00000000000000000001.jsonl.gz",
            "audit-00000000000000000005.jsonl",
            "audit-00000000000000000005.jsonl.gz",
            "audit-00000000000000000010.jsonl.gz.tmp",
            "checkpoints.jsonl",
            "notes.txt",
        ] {
            fs::write(dir.join(name), b"x\n").unwrap();
        }
        let names: Vec<String> = list(&dir, true)
            .unwrap()
            .iter()
            .map(|s| s.name.file_name())
            .collect();
        assert_eq!(
            names,
            [
                "audit-00000000000000000001.jsonl.gz",
                "audit-00000000000000000005.jsonl",
                "audit-00000000000000000010.jsonl"
            ]
        );
        assert!(!dir.join("audit-00000000000000000005.jsonl.gz").exists());
        assert!(!dir.join("audit-00000000000000000010.jsonl.gz.tmp").exists());
        assert!(dir.join("checkpoints.jsonl").exists());
    }

    #[test]
    fn append_sync_and_lines_with_offsets() {
        let dir = tempdir("append");
        let mut seg = Segment::create(&dir, 1).unwrap();
        seg.append(b"one\ntwo\nthr").unwrap();
        seg.sync().unwrap();
        assert_eq!(seg.len, 11);
        let mut lines = Lines::open(&seg.path, false).unwrap();
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some(at) = lines.next_line(&mut buf).unwrap() {
            got.push((at, String::from_utf8(buf.clone()).unwrap()));
        }
        assert_eq!(
            got,
            [(0, "one\n".into()), (4, "two\n".into()), (8, "thr".into())]
        );
        assert!(matches!(
            Segment::create(&dir, 1),
            Err(AuditError::Io { .. })
        ));
    }

    pub(crate) fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "obs-audit-unit-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
