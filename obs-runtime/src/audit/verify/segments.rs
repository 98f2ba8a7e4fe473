//! Finding a log's segment files and reading them line by line (plain or gzip), with the line
//! numbers and the framing facts the verifier judges: whether each line ended with `\n`, whether
//! it was longer than any record may be, whether a gzip stream broke off.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::error::VerifyError;
use crate::audit::AuditError;
use crate::audit::segment;

/// The longest line the verifier reads into memory; longer ones are framing errors (a record is a
/// few hundred bytes to a few kilobytes).
pub(super) const MAX_LINE: usize = 16 * 1024 * 1024;

/// A segment file of the log.
#[derive(Clone, Debug)]
pub(super) struct Segment {
    /// Its path.
    pub path: PathBuf,
    /// Its file name (what problems name).
    pub name: String,
    /// The sequence number its name says it starts at.
    pub first_seq: u64,
    /// Whether it is gzip-compressed (`.jsonl.gz`).
    pub gzip: bool,
}

/// The segment files in `dir`, in order of the first sequence number in their names (the
/// writer's own listing: a segment present both plain and compressed, as a crash during
/// compression leaves it, is read plain).
pub(super) fn list(dir: &Path) -> Result<Vec<Segment>, VerifyError> {
    let found = segment::list(dir, false).map_err(|e| match e {
        AuditError::Io { path, source } => VerifyError::Io { path, source },
        other => VerifyError::Io {
            path: dir.to_path_buf(),
            source: io::Error::other(other.to_string()),
        },
    })?;
    Ok(found
        .into_iter()
        .map(|s| Segment {
            name: s.name.file_name(),
            first_seq: s.name.first_seq,
            gzip: s.name.gzip,
            path: s.path,
        })
        .collect())
}

/// One line of a segment.
#[derive(Debug)]
pub(super) struct Line {
    /// Its number in the segment, from 1.
    pub number: u64,
    /// Its bytes without the `\n` (empty when it was too long).
    pub bytes: Vec<u8>,
    /// Whether it ended with `\n` (only the last line of a file can end without).
    pub terminated: bool,
    /// Whether it was longer than [`MAX_LINE`] (its bytes are then dropped).
    pub too_long: bool,
}

/// What reading the next line gave.
#[derive(Debug)]
pub(super) enum Next {
    /// A line.
    Line(Line),
    /// The gzip stream is corrupt or ends early after `lines` lines: a framing problem of the
    /// segment, not an I/O error.
    BadGzip {
        /// Lines read before the break.
        lines: u64,
        /// Whether the stream ended early (rather than holding bad data).
        ended_early: bool,
        /// The decoder's message.
        message: String,
    },
    /// The end of the segment.
    End,
}

/// Reads a segment line by line.
pub(super) struct Reader {
    inner: BufReader<Box<dyn Read>>,
    path: PathBuf,
    gzip: bool,
    lines: u64,
    done: bool,
}

impl Reader {
    /// Opens a segment.
    pub fn open(segment: &Segment) -> Result<Self, VerifyError> {
        Self::open_path(&segment.path, segment.gzip)
    }

    /// Opens the file at `path`, gzip-compressed or not.
    pub fn open_path(path: &Path, gzip: bool) -> Result<Self, VerifyError> {
        let file = File::open(path).map_err(|source| VerifyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let inner: Box<dyn Read> = if gzip {
            Box::new(MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        Ok(Reader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            path: path.to_path_buf(),
            gzip,
            lines: 0,
            done: false,
        })
    }

    /// The next line, the end, or a broken gzip stream (after which it only returns `End`).
    pub fn next_line(&mut self) -> Result<Next, VerifyError> {
        if self.done {
            return Ok(Next::End);
        }
        let mut bytes = Vec::new();
        let mut too_long = false;
        let terminated = loop {
            let chunk = match self.inner.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if self.gzip && is_decode_error(&e) => {
                    self.done = true;
                    return Ok(Next::BadGzip {
                        lines: self.lines,
                        ended_early: e.kind() == io::ErrorKind::UnexpectedEof,
                        message: e.to_string(),
                    });
                }
                Err(source) => {
                    return Err(VerifyError::Io {
                        path: self.path.clone(),
                        source,
                    });
                }
            };
            if chunk.is_empty() {
                break false;
            }
            let (take, found) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                if bytes.len() + take > MAX_LINE {
                    too_long = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(&chunk[..take]);
                }
            }
            self.inner.consume(take + usize::from(found));
            if found {
                break true;
            }
        };
        if !terminated && bytes.is_empty() && !too_long {
            self.done = true;
            return Ok(Next::End);
        }
        self.lines += 1;
        if !terminated {
            self.done = true;
        }
        Ok(Next::Line(Line {
            number: self.lines,
            bytes,
            terminated,
            too_long,
        }))
    }
}

/// Whether a read error from a gzip decoder means the data is bad (rather than the disk).
fn is_decode_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    )
}
