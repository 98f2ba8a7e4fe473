//! The signed checkpoints a log is checked against: read from `checkpoints.jsonl` (or an
//! off-host copy), each signature verified with the public key; the ones that verify are kept by
//! sequence number for the walk, the first one that does not becomes a problem.
//!
//! Without `audit-sign` nothing loads checkpoints, and the walk's are always `None`.
#![cfg_attr(not(feature = "audit-sign"), allow(dead_code))]

use std::collections::BTreeMap;
#[cfg(feature = "audit-sign")]
use std::path::Path;

use super::problem::Problem;
#[cfg(feature = "audit-sign")]
use {
    super::error::VerifyError,
    super::problem::ProblemKind,
    super::segments::{Next, Reader},
    crate::audit::sign::CheckpointKey,
    crate::audit::{Checkpoint, checkpoint_field},
};

/// A checkpoint whose signature verified.
#[derive(Debug, Clone)]
pub(super) struct Signed {
    /// The hash it signs for its seq.
    pub hash: String,
    /// Its line in the checkpoints file.
    pub line: u64,
}

/// The checkpoints of a log.
#[derive(Debug)]
pub(super) struct Checkpoints {
    /// The file they were read from, as given.
    pub file: String,
    by_seq: BTreeMap<u64, Vec<Signed>>,
    /// The first (lowest seq) checkpoint that is unreadable or does not verify, or the absence
    /// of any checkpoint.
    pub problems: Option<Problem>,
    /// How many verified.
    pub signed: u64,
}

impl Checkpoints {
    /// Reads the checkpoints in `path` and verifies each with `key`. A missing file is a problem
    /// (an attacker can delete it), not an error; an unreadable one is an error. An incomplete
    /// last line (a crash while it was written) is skipped.
    #[cfg(feature = "audit-sign")]
    pub fn load(path: &Path, key: &CheckpointKey) -> Result<Self, VerifyError> {
        let mut cps = Checkpoints {
            file: path.display().to_string(),
            by_seq: BTreeMap::new(),
            problems: None,
            signed: 0,
        };
        if !path.exists() {
            cps.problems = Some(Problem {
                kind: ProblemKind::BadCheckpoint,
                file: cps.file.clone(),
                line: None,
                seq: None,
                detail: "the checkpoints file is missing, but a public key was given".into(),
            });
            return Ok(cps);
        }
        let mut reader = Reader::open_path(path, false)?;
        loop {
            let line = match reader.next_line()? {
                Next::Line(line) if line.terminated => line,
                Next::Line(_) | Next::End | Next::BadGzip { .. } => break,
            };
            let value: Option<serde_json::Value> = serde_json::from_slice(&line.bytes).ok();
            let Some(cp) = value.as_ref().and_then(Checkpoint::from_value) else {
                let seq = value
                    .as_ref()
                    .and_then(|v| v.get(checkpoint_field::SEQ))
                    .and_then(serde_json::Value::as_u64);
                cps.note(
                    line.number,
                    seq,
                    "not a checkpoint (JSON with seq, hash, time, key_id, sig)".into(),
                );
                continue;
            };
            match key.verify(&cp) {
                Ok(()) => {
                    cps.signed += 1;
                    cps.by_seq.entry(cp.seq).or_default().push(Signed {
                        hash: cp.hash,
                        line: line.number,
                    });
                }
                Err(e) => cps.note(
                    line.number,
                    Some(cp.seq),
                    format!("the checkpoint by key `{}` does not verify: {e}", cp.key_id),
                ),
            }
        }
        if cps.signed == 0 && cps.problems.is_none() {
            cps.note(
                0,
                None,
                "no checkpoint in the file, but a public key was given".into(),
            );
        }
        Ok(cps)
    }

    /// Keeps the problem with the lowest seq.
    #[cfg(feature = "audit-sign")]
    fn note(&mut self, line: u64, seq: Option<u64>, detail: String) {
        if self
            .problems
            .as_ref()
            .is_some_and(|p| p.seq.unwrap_or(0) <= seq.unwrap_or(0))
        {
            return;
        }
        self.problems = Some(Problem {
            kind: ProblemKind::BadCheckpoint,
            file: self.file.clone(),
            line: (line > 0).then_some(line),
            seq,
            detail,
        });
    }

    /// The verified checkpoints for `seq`.
    pub fn at(&self, seq: u64) -> &[Signed] {
        self.by_seq.get(&seq).map_or(&[], Vec::as_slice)
    }

    /// The highest seq a verified checkpoint signs.
    pub fn max_seq(&self) -> Option<u64> {
        self.by_seq.keys().next_back().copied()
    }
}
