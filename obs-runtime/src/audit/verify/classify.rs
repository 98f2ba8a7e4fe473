//! What happened at the first record that does not link: the evidence of `seq`, `prev` and
//! `hash` (this record, the accepted ones before it, the ones after it) read as one of the
//! problem kinds. The rules, in the order they are tried, are in the [module docs](super).

use super::error::VerifyError;
use super::parsed::{Parsed, Rec};
use super::problem::{Problem, ProblemKind};
use super::stream::{Loc, Stream};
use super::walk::{Verified, Walk, short};
use crate::audit::record::{GENESIS_PREV, RecordKind, SegmentName};

impl Walk<'_> {
    /// A record whose content matches its hash but which does not follow the last accepted one.
    pub(super) fn classify_link(
        &self,
        loc: Loc,
        rec: &Rec,
        last: &Verified,
        stream: &mut Stream<'_>,
    ) -> Result<Problem, VerifyError> {
        let expected = last.seq + 1;
        // A copy of a record already in the chain.
        if let Some(copy) = self.recent.iter().find(|v| v.hash == rec.hash) {
            let detail = format!("a copy of seq {} at {}", copy.seq, self.at(copy.loc));
            return Ok(self.problem(ProblemKind::Inserted, loc, Some(rec.seq), detail));
        }
        // It links to the last record but has the wrong seq: written so, then re-hashed.
        if rec.prev == last.hash {
            if stream.next_links(expected, &last.hash)? {
                let detail = format!(
                    "seq {} links to seq {}, but the next record is seq {expected} and links there too",
                    rec.seq, last.seq
                );
                return Ok(self.problem(ProblemKind::Inserted, loc, Some(rec.seq), detail));
            }
            let detail = format!(
                "seq {} where seq {expected} belongs, with a hash that matches: changed and re-hashed",
                rec.seq
            );
            return Ok(self.problem(ProblemKind::Modified, loc, Some(expected), detail));
        }
        // A fork: it links to an earlier accepted record, past the ones after that.
        if let Some(j) = self.recent.iter().rposition(|v| v.hash == rec.prev)
            && rec.seq == self.recent[j].seq + 1
        {
            let base = &self.recent[j];
            if stream.next_links(expected, &last.hash)? {
                // The chain goes on from the last record: this one is the extra branch.
                let detail = format!(
                    "it links to seq {} at {}, as seq {} at {} does, and the chain goes on from seq {}",
                    base.seq,
                    self.at(base.loc),
                    rec.seq,
                    self.at(self.recent[j + 1].loc),
                    last.seq
                );
                return Ok(self.problem(ProblemKind::Inserted, loc, Some(rec.seq), detail));
            }
            let first = &self.recent[j + 1];
            let count = self.recent.len() - j - 1;
            let detail = format!(
                "not part of the chain: seq {} at {} links to seq {} at {}, past the {count} record(s) from here",
                rec.seq,
                self.at(loc),
                base.seq,
                self.at(base.loc)
            );
            return Ok(self.problem(ProblemKind::Inserted, first.loc, Some(first.seq), detail));
        }
        if rec.seq > expected {
            return self.classify_gap(loc, rec, last, stream);
        }
        if rec.seq == expected {
            // The right seq but another `prev`: either this record is an extra whose place the
            // next one takes, or the last record was changed and re-hashed.
            if stream.next_links(expected, &last.hash)? {
                let detail = format!(
                    "it does not link to seq {}, and the next record is seq {expected} and does",
                    last.seq
                );
                return Ok(self.problem(ProblemKind::Inserted, loc, Some(rec.seq), detail));
            }
            let detail = format!(
                "its hash {} is not the {} that seq {expected} at {} links to: changed and re-hashed",
                short(&last.hash),
                short(&rec.prev),
                self.at(loc)
            );
            return Ok(self.problem(ProblemKind::Modified, last.loc, Some(last.seq), detail));
        }
        let detail = format!(
            "seq {} again after seq {}, linked to no record near it",
            rec.seq, last.seq
        );
        Ok(self.problem(ProblemKind::Inserted, loc, Some(rec.seq), detail))
    }

    /// The sequence skips ahead from `expected` to `rec.seq`: reordered, deleted, or a segment
    /// (or its head or tail) missing.
    fn classify_gap(
        &self,
        loc: Loc,
        rec: &Rec,
        last: &Verified,
        stream: &mut Stream<'_>,
    ) -> Result<Problem, VerifyError> {
        let expected = last.seq + 1;
        let missing = if rec.seq - 1 == expected {
            format!("seq {expected} is")
        } else {
            format!("seq {expected}..{} are", rec.seq - 1)
        };
        if let Some(found) = stream.find_seq(expected)? {
            let detail = format!(
                "seq {} where seq {expected} belongs; seq {expected} is later, at {}",
                rec.seq,
                self.at(found)
            );
            return Ok(self.problem(ProblemKind::Reordered, loc, Some(rec.seq), detail));
        }
        if last.loc.segment == loc.segment {
            let detail = format!("{missing} missing: this line holds seq {}", rec.seq);
            return Ok(self.problem(ProblemKind::Deleted, loc, Some(expected), detail));
        }
        // The gap is at the start of a segment.
        let previous = last.loc.segment;
        let this = &self.segments[loc.segment];
        if this.first_seq == expected {
            let detail = format!(
                "{missing} missing from the start of the segment (named for seq {expected}, it begins with seq {})",
                rec.seq
            );
            return Ok(self.problem(ProblemKind::Deleted, loc, Some(expected), detail));
        }
        match (last.kind, &last.next_segment) {
            (RecordKind::Rotate, Some(next))
                if SegmentName::parse(next).map(|n| n.first_seq) != Some(this.first_seq) =>
            {
                Ok(Problem {
                    kind: ProblemKind::MissingSegment,
                    file: next.clone(),
                    line: None,
                    seq: Some(expected),
                    detail: format!(
                        "{} ends with a rotation to {next}, which is missing; the log goes on at seq {} in {}",
                        self.file(previous),
                        rec.seq,
                        this.name
                    ),
                })
            }
            (RecordKind::Rotate, _) => {
                let detail = format!(
                    "{missing} missing between {} and {}",
                    self.file(previous),
                    this.name
                );
                Ok(self.problem(ProblemKind::Deleted, loc, Some(expected), detail))
            }
            _ => {
                // The previous segment does not end with its rotation record: its tail is gone.
                let line = Loc {
                    segment: previous,
                    line: self.lines_in[previous] + 1,
                };
                let detail = format!(
                    "{missing} missing from the end of the segment (it stops at seq {} without a rotation record; {} begins with seq {})",
                    last.seq, this.name, rec.seq
                );
                Ok(self.problem(ProblemKind::Deleted, line, Some(expected), detail))
            }
        }
    }

    /// A line that is not a record with a matching hash: an extra line if the next record takes
    /// up the chain where it should have, otherwise a changed record or a framing error.
    pub(super) fn classify_bad_line(
        &self,
        loc: Loc,
        parsed: Parsed,
        stream: &mut Stream<'_>,
    ) -> Result<Problem, VerifyError> {
        let expected = self.expected_seq();
        let expected_prev = match self.recent.back() {
            Some(last) => Some(last.hash.as_str()),
            None if expected == Some(1) => Some(GENESIS_PREV),
            None => None,
        };
        let next = stream.next_record()?;
        if let Some((_, n)) = &next
            && Some(n.seq) == expected
            && expected_prev.is_none_or(|p| n.prev == p)
        {
            let detail = format!(
                "{}; the next record is seq {} and links where this line should",
                describe(&parsed),
                n.seq
            );
            let seq = claimed_seq(&parsed).or(expected);
            return Ok(self.problem(ProblemKind::Inserted, loc, seq, detail));
        }
        Ok(match parsed {
            Parsed::HashMismatch {
                seq,
                claimed,
                actual,
                ..
            } => {
                let detail = format!(
                    "its content hashes to {}, not to the {} it claims",
                    short(&actual),
                    short(&claimed)
                );
                self.problem(ProblemKind::Modified, loc, expected.or(seq), detail)
            }
            other => self.problem(ProblemKind::Framing, loc, expected, describe(&other)),
        })
    }
}

/// The seq a bad line claims, if it has one.
fn claimed_seq(parsed: &Parsed) -> Option<u64> {
    match parsed {
        Parsed::HashMismatch { seq, .. } => *seq,
        Parsed::Record(rec) => Some(rec.seq),
        Parsed::NotARecord(_) => None,
    }
}

/// A bad line in words.
fn describe(parsed: &Parsed) -> String {
    match parsed {
        Parsed::HashMismatch { .. } => "its content does not match its hash".into(),
        Parsed::NotARecord(why) => format!("not a record: {why}"),
        Parsed::Record(_) => "a record".into(),
    }
}
