//! The walk along the chain: every record in order, linked to the one before it by `seq` and
//! `prev`, its MAC and the checkpoints checked as it is accepted; at the first record that does
//! not link, [`classify`](super::classify) names what happened.

use std::collections::VecDeque;

use serde_json::Value;

use super::checkpoints::Checkpoints;
use super::error::VerifyError;
use super::parsed::{Parsed, Rec};
use super::problem::{Problem, ProblemKind};
use super::report::{Repair, Report};
use super::segments::Segment;
use super::stream::{Item, Loc, Stream};
use crate::audit::MacKey;
use crate::audit::record::{self, GENESIS_PREV, RecordKind, field};

/// How many of the last accepted records are kept to recognise a fork or a duplicate.
pub(super) const RECENT: usize = 64;

/// An accepted record, as far as later checks need it.
#[derive(Debug, Clone)]
pub(super) struct Verified {
    pub seq: u64,
    pub hash: String,
    pub loc: Loc,
    pub kind: RecordKind,
    /// A `rotate` record's `next_segment`.
    pub next_segment: Option<String>,
}

/// A log that starts after seq 1: its first record, waiting for a retention record that
/// accounts for what came before.
#[derive(Debug)]
struct Anchor {
    seq: u64,
    prev: String,
    loc: Loc,
    resolved: bool,
}

/// The state of the walk.
pub(super) struct Walk<'a> {
    pub segments: &'a [Segment],
    mac_key: Option<&'a MacKey>,
    checkpoints: Option<&'a Checkpoints>,
    /// The last accepted records, oldest first.
    pub recent: VecDeque<Verified>,
    /// Lines seen so far in each segment.
    pub lines_in: Vec<u64>,
    anchor: Option<Anchor>,
    /// The highest `last_seq` any retention record named.
    retention_through: Option<u64>,
    /// The incomplete last line of the last segment.
    torn: Option<Loc>,
    structural: Option<Problem>,
    mac: Option<Problem>,
    checkpoint: Option<Problem>,
    report: Report,
}

impl<'a> Walk<'a> {
    /// A walk over `segments`, checking MACs with `mac_key` and the hashes `checkpoints` sign.
    pub fn new(
        segments: &'a [Segment],
        mac_key: Option<&'a MacKey>,
        checkpoints: Option<&'a Checkpoints>,
        report: Report,
    ) -> Self {
        Walk {
            segments,
            mac_key,
            checkpoints,
            recent: VecDeque::with_capacity(RECENT),
            lines_in: vec![0; segments.len()],
            anchor: None,
            retention_through: None,
            torn: None,
            structural: None,
            mac: None,
            checkpoint: None,
            report,
        }
    }

    /// A segment's file name.
    pub fn file(&self, segment: usize) -> String {
        self.segments[segment].name.clone()
    }

    /// A problem at `loc`.
    pub fn problem(
        &self,
        kind: ProblemKind,
        loc: Loc,
        seq: Option<u64>,
        detail: String,
    ) -> Problem {
        Problem {
            kind,
            file: self.file(loc.segment),
            line: Some(loc.line),
            seq,
            detail,
        }
    }

    /// `file line N`, for details.
    pub fn at(&self, loc: Loc) -> String {
        format!("{} line {}", self.segments[loc.segment].name, loc.line)
    }

    /// Walks the whole log and returns the report.
    pub fn run(mut self, stream: &mut Stream<'_>) -> Result<Report, VerifyError> {
        // After a MAC or checkpoint problem, a structural one can still name an earlier record
        // (a fork is recognised up to RECENT records later); past that, nothing can come first.
        let mut budget: Option<usize> = None;
        let mut cut = false;
        while let Some(item) = stream.next_item()? {
            match item {
                Item::SegmentStart => {}
                Item::Line(loc, parsed) => {
                    self.lines_in[loc.segment] = loc.line;
                    let found = match parsed {
                        Parsed::Record(rec) => self.judge(loc, rec, stream)?,
                        other => Some(self.classify_bad_line(loc, other, stream)?),
                    };
                    if found.is_some() {
                        self.structural = found;
                        break;
                    }
                }
                Item::Torn(loc) => {
                    if loc.segment + 1 == self.segments.len() {
                        self.torn = Some(loc);
                    } else {
                        let seq = self.expected_seq();
                        let detail = format!(
                            "the segment's last line is incomplete and the log goes on in {}",
                            self.file(loc.segment + 1)
                        );
                        self.structural =
                            Some(self.problem(ProblemKind::Truncated, loc, seq, detail));
                        break;
                    }
                }
                Item::BadGzip {
                    loc,
                    ended_early,
                    message,
                } => {
                    let seq = self.expected_seq();
                    let (kind, what) = if ended_early {
                        (ProblemKind::Truncated, "the gzip stream ends early")
                    } else {
                        (ProblemKind::Framing, "the gzip stream is corrupt")
                    };
                    let detail = format!("{what} ({message})");
                    self.structural = Some(self.problem(kind, loc, seq, detail));
                    break;
                }
            }
            if self.mac.is_some() || self.checkpoint.is_some() {
                let left = budget.get_or_insert(RECENT + 1);
                *left -= 1;
                if *left == 0 {
                    cut = true;
                    break;
                }
            }
        }
        let mut found: Vec<Problem> = Vec::new();
        match self.structural.take() {
            Some(p) => found.push(p),
            None if !cut => found.extend(self.end_checks()),
            None => {}
        }
        found.extend(self.mac.take());
        found.extend(self.checkpoint.take());
        if let Some(cps) = self.checkpoints {
            found.extend(cps.problems.clone());
        }
        // The first bad record: the lowest sequence number; on a tie, the order above (what the
        // chain shows before what the MAC shows before what a checkpoint shows).
        let first = found
            .into_iter()
            .enumerate()
            .min_by_key(|(i, p)| (p.seq.unwrap_or(0), *i))
            .map(|(_, p)| p);
        let mut report = self.report;
        report.problem = first;
        Ok(report)
    }

    /// The seq the next record must have, when known.
    pub fn expected_seq(&self) -> Option<u64> {
        match self.recent.back() {
            Some(last) => Some(last.seq + 1),
            None => self.segments.first().map(|s| s.first_seq),
        }
    }

    /// Judges a record whose content matches its hash: accepts it, or names what is wrong.
    fn judge(
        &mut self,
        loc: Loc,
        rec: Rec,
        stream: &mut Stream<'_>,
    ) -> Result<Option<Problem>, VerifyError> {
        match self.recent.back() {
            Some(last) if rec.seq == last.seq + 1 && rec.prev == last.hash => {}
            Some(last) => return self.classify_link(loc, &rec, last, stream).map(Some),
            None => {
                if let Some(p) = self.judge_first(loc, &rec) {
                    return Ok(Some(p));
                }
            }
        }
        self.accept(loc, rec);
        Ok(None)
    }

    /// The log's first record: seq 1 linked to the zero hash, or a later one that a retention
    /// record must account for.
    fn judge_first(&mut self, loc: Loc, rec: &Rec) -> Option<Problem> {
        let named = self.segments[loc.segment].first_seq;
        if rec.seq == 1 {
            if rec.prev != GENESIS_PREV {
                let detail = "seq 1 does not link to the zero hash".to_owned();
                return Some(self.problem(ProblemKind::Modified, loc, Some(1), detail));
            }
            return None;
        }
        if named < rec.seq {
            let detail = format!(
                "the segment is named for seq {named} but its first record is seq {}: seq {named}..{} are missing",
                rec.seq,
                rec.seq - 1
            );
            return Some(self.problem(ProblemKind::Deleted, loc, Some(named), detail));
        }
        self.anchor = Some(Anchor {
            seq: rec.seq,
            prev: rec.prev.clone(),
            loc,
            resolved: false,
        });
        None
    }

    /// Takes `rec` into the chain: checks its MAC and any checkpoint at its seq, notes repairs,
    /// retention and rotation.
    fn accept(&mut self, loc: Loc, rec: Rec) {
        if let Some(key) = self.mac_key {
            self.check_mac(key, loc, &rec);
        }
        if let Some(cps) = self.checkpoints {
            for cp in cps.at(rec.seq) {
                if cp.hash == rec.hash {
                    self.report.checkpoints_matched += 1;
                } else if self.checkpoint.is_none() {
                    let detail = format!(
                        "its hash {} is not the {} that the checkpoint at {} line {} signs: the chain was rewritten at or before this record",
                        short(&rec.hash),
                        short(&cp.hash),
                        cps.file,
                        cp.line
                    );
                    self.checkpoint =
                        Some(self.problem(ProblemKind::BadCheckpoint, loc, Some(rec.seq), detail));
                }
            }
        }
        let mut next_segment = None;
        match rec.kind {
            RecordKind::Event => {}
            RecordKind::Repair => self.report.repairs.push(Repair {
                file: self.file(loc.segment),
                line: loc.line,
                seq: rec.seq,
                truncated_bytes: rec
                    .value
                    .get(field::TRUNCATED_BYTES)
                    .and_then(Value::as_u64),
            }),
            RecordKind::Retention => self.note_retention(&rec),
            RecordKind::Rotate => {
                next_segment = rec
                    .value
                    .get(field::NEXT_SEGMENT)
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
        }
        let report = &mut self.report;
        report.records += 1;
        report.first_seq.get_or_insert(rec.seq);
        report.last_seq = Some(rec.seq);
        report.last_hash = Some(rec.hash.clone());
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Verified {
            seq: rec.seq,
            hash: rec.hash,
            loc,
            kind: rec.kind,
            next_segment,
        });
    }

    fn check_mac(&mut self, key: &MacKey, loc: Loc, rec: &Rec) {
        let expected = record::hex(&record::record_mac(key.bytes(), &rec.hash));
        let detail = match rec.value.get(field::MAC).and_then(Value::as_str) {
            Some(mac) if mac == expected => {
                self.report.macs_verified += 1;
                return;
            }
            Some(_) => {
                let key_id = rec.value.get(field::KEY_ID).and_then(Value::as_str);
                format!(
                    "the mac does not match under the given key (the record names key `{}`)",
                    key_id.unwrap_or("?")
                )
            }
            None => "no `mac`, but a key was given".to_owned(),
        };
        if self.mac.is_none() {
            self.mac = Some(self.problem(ProblemKind::BadMac, loc, Some(rec.seq), detail));
        }
    }

    fn note_retention(&mut self, rec: &Rec) {
        let Some(removed) = rec.value.get(field::REMOVED).and_then(Value::as_array) else {
            return;
        };
        for entry in removed {
            let last_seq = entry.get(field::LAST_SEQ).and_then(Value::as_u64);
            let last_hash = entry.get(field::LAST_HASH).and_then(Value::as_str);
            let Some(last_seq) = last_seq else { continue };
            self.retention_through = self.retention_through.max(Some(last_seq));
            self.report.removed_through = self.retention_through;
            if let Some(anchor) = &mut self.anchor
                && last_seq.checked_add(1) == Some(anchor.seq)
                && last_hash == Some(anchor.prev.as_str())
            {
                anchor.resolved = true;
            }
        }
    }

    /// What can only be judged at the end of the log.
    fn end_checks(&mut self) -> Vec<Problem> {
        let mut found = Vec::new();
        let checkpointed = self.checkpoints.and_then(|c| c.max_seq());
        let last = self.recent.back().cloned();
        let next_seq = self.expected_seq();
        if self.segments.is_empty() {
            found.push(Problem {
                kind: ProblemKind::MissingSegment,
                file: record::segment_file_name(1),
                line: None,
                seq: None,
                detail: "there are no segment files in the directory".into(),
            });
        }
        if let Some(loc) = self.torn {
            let (kind, detail) = match checkpointed {
                Some(cp) if next_seq.is_some_and(|n| cp >= n) => (
                    ProblemKind::Truncated,
                    format!("the last line is incomplete, and a checkpoint signs seq {cp}"),
                ),
                _ => (
                    ProblemKind::TornTail,
                    "the last line is incomplete (a write cut short; the writer repairs this when it reopens the log)".into(),
                ),
            };
            found.push(self.problem(kind, loc, next_seq, detail));
        }
        if let Some(anchor) = &self.anchor
            && !anchor.resolved
        {
            let detail = format!(
                "the log starts at seq {}, and no retention record names removed segments ending at seq {} with hash {}",
                anchor.seq,
                anchor.seq - 1,
                short(&anchor.prev)
            );
            let first_missing = self.retention_through.map_or(1, |t| t.saturating_add(1));
            found.push(self.problem(
                ProblemKind::MissingSegment,
                anchor.loc,
                Some(first_missing.min(anchor.seq - 1)),
                detail,
            ));
        }
        if let Some(cp) = checkpointed {
            let end = last.as_ref().map_or(0, |l| l.seq);
            if cp > end && self.torn.is_none() {
                found.push(self.cut_short(last.as_ref(), end, cp));
            }
        }
        found
    }
}

impl Walk<'_> {
    /// The log ends at seq `end` but a checkpoint signs seq `cp`: the segment a final `rotate`
    /// record names is missing, or the last segment was cut short.
    fn cut_short(&self, last: Option<&Verified>, end: u64, cp: u64) -> Problem {
        let next_exists = self.segments.iter().any(|s| s.first_seq == end + 1);
        if let Some(last) = last
            && last.kind == RecordKind::Rotate
            && !next_exists
        {
            let name = last
                .next_segment
                .clone()
                .unwrap_or_else(|| record::segment_file_name(end + 1));
            return Problem {
                kind: ProblemKind::MissingSegment,
                file: name.clone(),
                line: None,
                seq: Some(end + 1),
                detail: format!(
                    "the log ends with a rotation to {name} at {}, but a checkpoint signs seq {cp}: {name} is missing",
                    self.at(last.loc)
                ),
            };
        }
        let segment = self.segments.len().saturating_sub(1);
        let (file, line) = match self.segments.get(segment) {
            Some(s) => (s.name.clone(), Some(self.lines_in[segment] + 1)),
            None => (record::segment_file_name(end + 1), None),
        };
        Problem {
            kind: ProblemKind::Truncated,
            file,
            line,
            seq: Some(end + 1),
            detail: format!(
                "the log ends at seq {end}, but a checkpoint signs seq {cp}: records {}..{cp} are gone",
                end + 1
            ),
        }
    }
}

/// The first 12 hex digits of a hash, for messages.
pub(super) fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
