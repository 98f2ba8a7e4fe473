//! The first bad record of a log, and what is wrong with it.

use std::fmt;

/// What is wrong with the first bad record. See the [module docs](super) for the evidence that
/// leads to each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The record's content no longer matches its own hash (or a record was re-hashed after an
    /// edit, so the next record no longer links to it).
    Modified,
    /// Records are missing from the middle of the chain: the sequence skips and the missing
    /// numbers appear nowhere later.
    Deleted,
    /// A record that is not part of the chain: the chain continues past it (a forged record, a
    /// replayed duplicate, a line between two records that link to each other).
    Inserted,
    /// Records out of order: the sequence skips, and the skipped number appears later.
    Reordered,
    /// A segment cut short (its last line incomplete, or followed by a gap), or a log that ends
    /// before the last signed checkpoint.
    Truncated,
    /// The last line of the newest segment is incomplete, as a crash during a write leaves it (the
    /// writer repairs this when it reopens the log).
    TornTail,
    /// A whole segment file is missing (at the start of the log: without a retention record that
    /// accounts for it).
    MissingSegment,
    /// A record's MAC is missing or wrong for the given key.
    BadMac,
    /// A checkpoint's signature is wrong, or the log's record at the checkpoint's sequence number
    /// has another hash, or there is no checkpoint to check.
    BadCheckpoint,
    /// A line that is not one canonical record: not JSON, not an object, a missing or mistyped
    /// field, an over-long line, a corrupt gzip stream.
    Framing,
}

impl ProblemKind {
    /// The name used in the verifier's output: `modified`, `deleted`, `torn_tail`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Modified => "modified",
            ProblemKind::Deleted => "deleted",
            ProblemKind::Inserted => "inserted",
            ProblemKind::Reordered => "reordered",
            ProblemKind::Truncated => "truncated",
            ProblemKind::TornTail => "torn_tail",
            ProblemKind::MissingSegment => "missing_segment",
            ProblemKind::BadMac => "bad_mac",
            ProblemKind::BadCheckpoint => "bad_checkpoint",
            ProblemKind::Framing => "framing",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first bad record of a log: where it is and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// The file it is in: a segment's file name, the checkpoints file's path for a bad signature,
    /// or the name a missing segment would have.
    pub file: String,
    /// The line (from 1) in that file; for records that are missing, the line where the first of
    /// them should be. `None` for a missing segment.
    pub line: Option<u64>,
    /// The sequence number of the bad record: the one found there, or for [`Deleted`],
    /// [`MissingSegment`] and [`Truncated`] the first one missing. `None` when it cannot be known
    /// (a line at the very start of the log that is not a record).
    ///
    /// [`Deleted`]: ProblemKind::Deleted
    /// [`MissingSegment`]: ProblemKind::MissingSegment
    /// [`Truncated`]: ProblemKind::Truncated
    pub seq: Option<u64>,
    /// The evidence, in a sentence.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(seq) = self.seq {
            write!(f, " seq {seq}")?;
        }
        write!(f, ": {}: {}", self.kind, self.detail)
    }
}
