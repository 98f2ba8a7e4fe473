//! gzip of rotated segments, on a thread of its own so the writer never waits for it.
//!
//! Each segment is compressed to `<name>.gz.tmp`, synced, renamed to `<name>.gz`, and only then
//! is the plain file removed (each step followed by a directory sync), so a crash at any point
//! leaves one complete copy; [`segment::list`](super::segment::list) clears the leftovers. The
//! rename and removal happen under the log's file lock, which retention also takes, so a segment
//! retention removes is never brought back as a `.gz`.

use std::fs::{self, File};
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::error::AuditError;
use super::segment::sync_dir;
use super::stats::{self, Count};

/// The compression thread.
pub(crate) struct Compressor {
    jobs: Option<Sender<PathBuf>>,
    thread: Option<JoinHandle<()>>,
}

impl Compressor {
    /// Starts the thread; `files` is the lock shared with retention.
    pub(crate) fn start(files: Arc<Mutex<()>>) -> Result<Self, AuditError> {
        let (jobs, rx) = mpsc::channel::<PathBuf>();
        let thread = std::thread::Builder::new()
            .name("obs-audit-gzip".into())
            .spawn(move || {
                for path in rx {
                    if compress(&path, &files).is_err() {
                        stats::add(Count::Errors, 1);
                    }
                }
            })
            .map_err(|e| AuditError::Stopped(format!("cannot start the gzip thread: {e}")))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Queues the rotated segment at `path`.
    pub(crate) fn compress(&self, path: PathBuf) {
        if let Some(jobs) = &self.jobs
            && jobs.send(path).is_err()
        {
            stats::add(Count::Errors, 1);
        }
    }

    /// Finishes the queued segments and stops the thread.
    pub(crate) fn finish(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Compresses the segment at `path` in place of it.
pub(crate) fn compress(path: &Path, files: &Mutex<()>) -> Result<(), AuditError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut gz = path.as_os_str().to_owned();
    gz.push(".gz");
    let gz = PathBuf::from(gz);
    let mut tmp = gz.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let written = (|| -> io::Result<()> {
        let mut input = BufReader::new(File::open(path)?);
        let mut out = GzEncoder::new(File::create(&tmp)?, Compression::default());
        io::copy(&mut input, &mut out)?;
        let file = out.finish()?;
        file.sync_all()?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(AuditError::io(path, e));
    }
    let _files = files.lock().unwrap_or_else(PoisonError::into_inner);
    if !path.exists() {
        // Removed by retention meanwhile.
        let _ = fs::remove_file(&tmp);
        return Ok(());
    }
    fs::rename(&tmp, &gz).map_err(|e| AuditError::io(&gz, e))?;
    sync_dir(dir)?;
    fs::remove_file(path).map_err(|e| AuditError::io(path, e))?;
    sync_dir(dir)?;
    Ok(())
}
