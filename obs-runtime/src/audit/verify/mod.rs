//! The verifier: reads a log's segments (plain and gzip) in order and checks framing, sequence,
//! hash chain, MACs and signed checkpoints, naming the first bad record and what is wrong with
//! it. The command-line program `obs-audit-verify` (feature `audit-verify`) is a thin shell
//! around [`verify_dir`].
//!
//! ```no_run
//! use obs_runtime::audit::MacKey;
//! use obs_runtime::audit::verify::{VerifyOptions, verify_dir};
//!
//! let key = MacKey::from_env("OBS_AUDIT_HMAC_KEY", "k1")?;
//! let report = verify_dir("/var/log/gateway/audit", &VerifyOptions::new().mac_key(key))?;
//! if let Some(problem) = &report.problem {
//!     eprintln!("{problem}"); // audit-…01.jsonl line 17 seq 17: deleted: seq 17 is missing: …
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is checked
//!
//! Every line must be one JSON object ending in `\n`, whose `hash` is the SHA-256 of its
//! canonical encoding without `hash` and `mac` — recomputed from the parsed value through the
//! writer's own [`record_hash`](crate::audit::record::record_hash), so a record re-spaced but
//! unchanged still verifies. Records must link: `seq` one more than the previous record's,
//! `prev` equal to its `hash`, from seq 1 (with `prev` all zeros) or from the first record left
//! by retention, which a later `retention` record must name (the removed range ending just before
//! it, with its `prev` as `last_hash`). With a MAC key every record's `mac` must match; with a
//! public key every checkpoint's signature must verify, the log's record at each checkpoint's
//! seq must have the signed hash, and the log must reach the last checkpoint's seq.
//!
//! # How the first bad record is classified
//!
//! The walk accepts records while they link. At the first line that does not, the evidence of
//! that line, the accepted records before it and the lines after it is read in this order:
//!
//! | evidence | problem | record named |
//! |---|---|---|
//! | the line is not JSON, not an object, lacks a field, is over-long | [`Framing`](ProblemKind::Framing) | the line |
//! | its content does not hash to its `hash` | [`Modified`](ProblemKind::Modified) | the line |
//! | either of those, but the next record links where this line should | [`Inserted`](ProblemKind::Inserted) | the line |
//! | a valid record identical to a recent one | `Inserted` (a replay) | the copy |
//! | links to the last record but has the wrong `seq` | `Modified` (changed and re-hashed), or `Inserted` if the next record takes its place | the line |
//! | links to an earlier record, with that record's seq + 1: a fork | `Inserted` | the branch the chain does not go on from |
//! | `seq` skips ahead, and the skipped seq appears later | [`Reordered`](ProblemKind::Reordered) | the line |
//! | `seq` skips ahead, and the skipped seqs appear nowhere | [`Deleted`](ProblemKind::Deleted) | the first missing seq, where it should be |
//! | … at a segment boundary, the segment before ending with a `rotate` record to a file that is not there | [`MissingSegment`](ProblemKind::MissingSegment) | the missing file |
//! | … at a segment boundary, the segment before ending without its `rotate` record | `Deleted` (its tail) | the line after its last |
//! | the right `seq` but another `prev`, and the next record is this seq and links | `Inserted` | the line |
//! | the right `seq` but another `prev` otherwise: the last record was changed and re-hashed | `Modified` | the last accepted record |
//! | `seq` goes back, matching nothing near | `Inserted` | the line |
//! | the last line of the newest segment has no `\n` | [`TornTail`](ProblemKind::TornTail), or [`Truncated`](ProblemKind::Truncated) when a checkpoint signs a seq at or past it | the line |
//! | a segment other than the newest ends in a line without `\n`, or a gzip stream ends early | `Truncated` | the line |
//! | the log ends before the last checkpoint's seq | `Truncated` | the first missing seq |
//! | … and ends with a `rotate` record | `MissingSegment` | the file it names |
//! | the log starts after seq 1 and no retention record accounts for it | `MissingSegment` | the first line |
//!
//! A bad MAC ([`BadMac`](ProblemKind::BadMac)) and a checkpoint that does not verify or signs
//! another hash ([`BadCheckpoint`](ProblemKind::BadCheckpoint)) are found as the walk goes; the
//! problem reported is the one with the lowest seq, the chain's evidence first on a tie (so a
//! forged record without a valid MAC is reported as inserted, which says more).
//!
//! What cannot be told from a log alone: records cut from the end at a line boundary, the newest
//! segment removed (the writer starts a segment with its first record, so a log that ends with a
//! `rotate` record is normal), or a whole log replaced by a shorter valid chain. The signed checkpoints catch both up to the last
//! checkpoint — keep a copy of them off the host
//! ([`FileSink`](crate::audit::sign::FileSink), or any
//! [`CheckpointSink`](crate::audit::CheckpointSink)) and point the verifier at it. A fork or a
//! replay is recognised within the last 64 records; further back it is reported as an inserted
//! record with a stale seq.

mod checkpoints;
mod classify;
mod error;
mod parsed;
mod problem;
mod report;
mod segments;
mod stream;
mod walk;

#[cfg(test)]
mod tests;

use std::path::Path;
#[cfg(feature = "audit-sign")]
use std::path::PathBuf;

pub use error::VerifyError;
pub use problem::{Problem, ProblemKind};
pub use report::{Repair, Report};

use super::MacKey;
#[cfg(feature = "audit-sign")]
use super::sign::CheckpointKey;
use checkpoints::Checkpoints;
use stream::Stream;
use walk::Walk;

/// What to check beyond the chain itself. Start from [`VerifyOptions::new`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Check every record's `mac` with this key.
    pub mac_key: Option<MacKey>,
    /// Check the signed checkpoints with this public key.
    #[cfg(feature = "audit-sign")]
    #[cfg_attr(docsrs, doc(cfg(feature = "audit-sign")))]
    pub public_key: Option<CheckpointKey>,
    /// Where the checkpoints are (default: `checkpoints.jsonl` in the log's directory); point it
    /// at the copy kept off the host.
    #[cfg(feature = "audit-sign")]
    #[cfg_attr(docsrs, doc(cfg(feature = "audit-sign")))]
    pub checkpoints_file: Option<PathBuf>,
}

impl VerifyOptions {
    /// Only the chain: no MAC key, no public key.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks MACs with `key`.
    pub fn mac_key(mut self, key: MacKey) -> Self {
        self.mac_key = Some(key);
        self
    }

    /// Checks checkpoints with `key`.
    #[cfg(feature = "audit-sign")]
    #[cfg_attr(docsrs, doc(cfg(feature = "audit-sign")))]
    pub fn public_key(mut self, key: CheckpointKey) -> Self {
        self.public_key = Some(key);
        self
    }

    /// Reads the checkpoints from `path` instead of the log's directory.
    #[cfg(feature = "audit-sign")]
    #[cfg_attr(docsrs, doc(cfg(feature = "audit-sign")))]
    pub fn checkpoints_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.checkpoints_file = Some(path.into());
        self
    }
}

/// Verifies the log in `dir`. `Err` only when it cannot be read; a log found bad is an `Ok`
/// [`Report`] whose [`problem`](Report::problem) names the first bad record.
pub fn verify_dir(dir: impl AsRef<Path>, options: &VerifyOptions) -> Result<Report, VerifyError> {
    let dir = dir.as_ref();
    let segments = segments::list(dir)?;
    let checkpoints = load_checkpoints(dir, options)?;
    let report = Report {
        segments: segments.len(),
        macs_checked: options.mac_key.is_some(),
        checkpoints_file: checkpoints.as_ref().map(|c| c.file.clone()),
        checkpoints_signed: checkpoints.as_ref().map_or(0, |c| c.signed),
        checkpointed_through: checkpoints.as_ref().and_then(Checkpoints::max_seq),
        ..Report::default()
    };
    let walk = Walk::new(
        &segments,
        options.mac_key.as_ref(),
        checkpoints.as_ref(),
        report,
    );
    walk.run(&mut Stream::new(&segments))
}

#[cfg(feature = "audit-sign")]
fn load_checkpoints(
    dir: &Path,
    options: &VerifyOptions,
) -> Result<Option<Checkpoints>, VerifyError> {
    let Some(key) = &options.public_key else {
        return Ok(None);
    };
    let path = match &options.checkpoints_file {
        Some(path) => path.clone(),
        None => dir.join(super::record::CHECKPOINTS_FILE),
    };
    Checkpoints::load(&path, key).map(Some)
}

#[cfg(not(feature = "audit-sign"))]
fn load_checkpoints(_: &Path, _: &VerifyOptions) -> Result<Option<Checkpoints>, VerifyError> {
    Ok(None)
}
