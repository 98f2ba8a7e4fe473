//! Reopening a log: where the chain stands, and the repair of a torn tail.
//!
//! Only the last segment can hold a torn write, so it is read whole and every record in it
//! checked (seq, `prev`, `hash`). What a crash leaves at the end of it (an unterminated last line,
//! or lines that are not JSON at all, such as the zeros of unwritten blocks) is a torn tail: it
//! is cut, and the writer's first record says so. A record that parses but does not fit the
//! chain, or a valid-looking record after damage, is not something a crash does: that is
//! [`AuditError::Corrupt`], and the log is not opened for writing. Earlier segments are left to
//! the verifier (only the one before an empty last segment is read, for the chain's head).

use std::path::Path;

use serde_json::{Map, Value};

use super::encode::Chain;
use super::error::AuditError;
use super::record::{RecordKind, field, hex, record_hash, unhex};
use super::segment::{self, Lines, Segment, SegmentFile};
use super::stats::{self, Count};

/// What reopening found.
pub(crate) struct Recovered {
    /// Where the chain continues.
    pub chain: Chain,
    /// The last segment, to append to (absent when there is none, or it ends with `rotate` or
    /// is compressed).
    pub active: Option<Segment>,
    /// The body of the `repair` record to write first, when a torn tail was cut.
    pub repair: Option<Map<String, Value>>,
}

/// The last record of a scanned segment.
struct Last {
    seq: u64,
    hash: [u8; 32],
    kind: RecordKind,
}

/// What reading a segment found.
struct Scan {
    records: u64,
    last: Option<Last>,
    /// Bytes of whole, valid records from the start.
    valid_len: u64,
    /// Bytes after them that a torn write explains (0 when none).
    torn: u64,
}

/// Reopens the log in `dir` (cutting a torn tail).
pub(crate) fn recover(dir: &Path) -> Result<Recovered, AuditError> {
    let segments = segment::list(dir, true)?;
    let Some(last) = segments.last() else {
        return Ok(Recovered {
            chain: Chain::GENESIS,
            active: None,
            repair: None,
        });
    };
    let scan = scan(last)?;
    let chain = match &scan.last {
        Some(l) => Chain {
            next_seq: l.seq + 1,
            prev: l.hash,
        },
        None => {
            let before = match segments.len().checked_sub(2) {
                Some(i) => head_of(&segments[i])?,
                None => Chain::GENESIS,
            };
            if before.next_seq != last.name.first_seq {
                return Err(corrupt(
                    last,
                    1,
                    format!(
                        "the segment is named for seq {} but the log before it ends at seq {}",
                        last.name.first_seq,
                        before.last_seq()
                    ),
                ));
            }
            before
        }
    };
    if last.name.gzip {
        return Ok(Recovered {
            chain,
            active: None,
            repair: None,
        });
    }
    let repair = (scan.torn > 0).then(|| {
        stats::add(Count::Repairs, 1);
        let mut body = Map::new();
        body.insert(field::TRUNCATED_BYTES.into(), scan.torn.into());
        body.insert(field::SEGMENT.into(), last.name.file_name().into());
        body.insert(field::LAST_GOOD_SEQ.into(), chain.last_seq().into());
        body
    });
    let active = Segment::reopen(last, scan.valid_len, scan.records)?;
    let ended = scan
        .last
        .as_ref()
        .is_some_and(|l| l.kind == RecordKind::Rotate);
    Ok(Recovered {
        chain,
        active: (!ended).then_some(active),
        repair,
    })
}

/// The chain after the last record of `seg`, which must be whole.
fn head_of(seg: &SegmentFile) -> Result<Chain, AuditError> {
    let scan = scan(seg)?;
    match scan.last {
        Some(l) if scan.torn == 0 => Ok(Chain {
            next_seq: l.seq + 1,
            prev: l.hash,
        }),
        _ => Err(corrupt(
            seg,
            scan.records + 1,
            "an empty or torn segment before the last one".into(),
        )),
    }
}

fn corrupt(seg: &SegmentFile, line: u64, what: String) -> AuditError {
    AuditError::Corrupt {
        segment: seg.path.clone(),
        line,
        what,
    }
}

/// Why a line is not the next record.
enum Bad {
    /// Not JSON (or not terminated): what a torn write leaves.
    Torn(&'static str),
    /// JSON, but not the record that belongs here.
    Wrong(String),
}

/// Reads and checks every record of `seg`.
fn scan(seg: &SegmentFile) -> Result<Scan, AuditError> {
    let mut lines = Lines::open(&seg.path, seg.name.gzip)?;
    let mut buf = Vec::new();
    let mut out = Scan {
        records: 0,
        last: None,
        valid_len: 0,
        torn: 0,
    };
    let mut torn_from: Option<(u64, u64, &'static str)> = None;
    let mut line_no = 0u64;
    let mut total = 0u64;
    while let Some(at) = lines.next_line(&mut buf)? {
        line_no += 1;
        total = at + buf.len() as u64;
        if let Some((bad_line, _, what)) = torn_from {
            // Past damage, only more damage is a torn tail; a record is damage in the middle.
            if buf.ends_with(b"\n") && serde_json::from_slice::<Value>(&buf).is_ok() {
                return Err(corrupt(
                    seg,
                    bad_line,
                    format!("{what}, followed by more records at line {line_no}"),
                ));
            }
            continue;
        }
        let expected = out.last.as_ref().map_or(seg.name.first_seq, |l| l.seq + 1);
        match check(&buf, expected, out.last.as_ref().map(|l| &l.hash)) {
            Ok(last) => {
                out.records += 1;
                out.valid_len = total;
                out.last = Some(last);
            }
            Err(Bad::Torn(what)) => torn_from = Some((line_no, at, what)),
            Err(Bad::Wrong(what)) => return Err(corrupt(seg, line_no, what)),
        }
    }
    if let Some((bad_line, at, what)) = torn_from {
        if seg.name.gzip {
            return Err(corrupt(
                seg,
                bad_line,
                format!("{what} in a compressed segment"),
            ));
        }
        out.torn = total - at;
    }
    Ok(out)
}

/// Checks that `line` is the record with seq `expected` after the record with hash `prev`
/// (`None`: the first of its segment, whose `prev` is taken as it is).
fn check(line: &[u8], expected: u64, prev: Option<&[u8; 32]>) -> Result<Last, Bad> {
    let Some(body) = line.strip_suffix(b"\n") else {
        return Err(Bad::Torn("an unterminated last line"));
    };
    let value: Value =
        serde_json::from_slice(body).map_err(|_| Bad::Torn("a line that is not JSON"))?;
    let wrong = |what: String| Err(Bad::Wrong(what));
    let seq = value.get(field::SEQ).and_then(Value::as_u64);
    if seq != Some(expected) {
        return wrong(format!("seq {seq:?} where {expected} was expected"));
    }
    let hash = match record_hash(&value) {
        Ok(h) => h,
        Err(e) => return wrong(format!("seq {expected}: {e}")),
    };
    let stored = value.get(field::HASH).and_then(Value::as_str);
    if stored != Some(hex(&hash).as_str()) {
        return wrong(format!(
            "seq {expected}: its hash does not match its content"
        ));
    }
    let stored_prev = value
        .get(field::PREV)
        .and_then(Value::as_str)
        .and_then(unhex);
    match (prev, stored_prev) {
        (_, None) => return wrong(format!("seq {expected}: no valid `prev`")),
        (Some(p), Some(s)) if s.as_slice() != p.as_slice() => {
            return wrong(format!(
                "seq {expected}: its `prev` is not the previous record's hash"
            ));
        }
        _ => {}
    }
    let Some(kind) = value
        .get(field::KIND)
        .and_then(Value::as_str)
        .and_then(RecordKind::parse)
    else {
        return wrong(format!("seq {expected}: an unknown `kind`"));
    };
    Ok(Last {
        seq: expected,
        hash,
        kind,
    })
}
