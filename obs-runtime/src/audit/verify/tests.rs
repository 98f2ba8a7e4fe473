//! The classification rules, each on a log built record by record with the writer's own sealing
//! function and then changed as an attacker or a crash would.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Map, Value, json};

use super::*;
use crate::audit::record::{self, GENESIS_PREV, segment_file_name};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "obs-verify-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A chain of sealed records, cut into segments.
struct Chain {
    /// Segments: (first seq, lines without `\n`).
    segments: Vec<(u64, Vec<String>)>,
    prev: String,
    seq: u64,
    mac: bool,
}

impl Chain {
    fn new(mac: bool) -> Self {
        Chain {
            segments: vec![(1, Vec::new())],
            prev: GENESIS_PREV.into(),
            seq: 0,
            mac,
        }
    }

    /// A chain that starts after retention removed seq 1..=`removed` (whose last hash was
    /// `prev`).
    fn starting_at(first: u64, prev: &str, mac: bool) -> Self {
        Chain {
            segments: vec![(first, Vec::new())],
            prev: prev.into(),
            seq: first - 1,
            mac,
        }
    }

    fn push(&mut self, kind: &str, extra: Value) -> String {
        self.seq += 1;
        let mut map = Map::new();
        map.insert("v".into(), 1.into());
        map.insert("seq".into(), self.seq.into());
        map.insert("kind".into(), kind.into());
        map.insert("prev".into(), self.prev.clone().into());
        if let Value::Object(extra) = extra {
            map.extend(extra);
        }
        if self.mac {
            map.insert("key_id".into(), "k1".into());
        }
        let hash = record::seal(&mut map, self.mac.then_some(KEY)).unwrap();
        self.prev = record::hex(&hash);
        let line = serde_json::to_string(&Value::Object(map)).unwrap();
        self.segments.last_mut().unwrap().1.push(line.clone());
        line
    }

    fn events(&mut self, n: usize) {
        for i in 0..n {
            self.push(
                "event",
                json!({"action": "config.update", "service": "test", "fields": {"i": i}}),
            );
        }
    }

    /// Ends the segment with a rotate record and starts the next.
    fn rotate(&mut self) {
        let next = self.seq + 2;
        self.push("rotate", json!({"next_segment": segment_file_name(next)}));
        self.segments.push((next, Vec::new()));
    }

    fn write(&self, dir: &Path) {
        for (first, lines) in &self.segments {
            let mut text = lines.join("\n");
            if !lines.is_empty() {
                text.push('\n');
            }
            std::fs::write(dir.join(segment_file_name(*first)), text).unwrap();
        }
    }

    fn line(&self, segment: usize, line: usize) -> &str {
        &self.segments[segment].1[line - 1]
    }
}

fn seg(n: u64) -> String {
    segment_file_name(n)
}

fn verify(dir: &Path, options: &VerifyOptions) -> Report {
    verify_dir(dir, options).unwrap()
}

/// Verifies and returns the problem, which must be there.
fn problem(dir: &Path, options: &VerifyOptions) -> Problem {
    let report = verify(dir, options);
    match report.problem {
        Some(p) => p,
        None => panic!("no problem found: {report:?}"),
    }
}

fn expect(p: &Problem, kind: ProblemKind, file: &str, line: Option<u64>, seq: Option<u64>) {
    assert_eq!(
        (p.kind, p.file.as_str(), p.line, p.seq),
        (kind, file, line, seq),
        "{p}"
    );
}

/// A log of 3 segments: seq 1..=10 (rotate at 10), 11..=20 (rotate at 20), 21..=25.
fn three_segments(mac: bool) -> Chain {
    let mut c = Chain::new(mac);
    c.events(9);
    c.rotate();
    c.events(9);
    c.rotate();
    c.events(5);
    c
}

/// Rewrites segment `i` of `chain` with `lines`.
fn with_lines(chain: &Chain, dir: &Path, i: usize, lines: &[String]) {
    chain.write(dir);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(dir.join(seg(chain.segments[i].0)), text).unwrap();
}

#[test]
fn a_clean_log_verifies_with_its_counts() {
    let dir = TempDir::new();
    let chain = three_segments(true);
    chain.write(&dir.0);
    let report = verify(
        &dir.0,
        &VerifyOptions::new().mac_key(MacKey::new("k1", KEY.to_vec()).unwrap()),
    );
    assert_eq!(report.problem, None);
    assert_eq!(report.segments, 3);
    assert_eq!(report.records, 25);
    assert_eq!((report.first_seq, report.last_seq), (Some(1), Some(25)));
    assert_eq!(report.macs_verified, 25);
    assert_eq!(report.last_hash.as_deref(), Some(chain.prev.as_str()));
}

#[test]
fn content_is_judged_not_layout() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[1].1.clone();
    let v: Value = serde_json::from_str(&lines[3]).unwrap();
    lines[3] = serde_json::to_string_pretty(&v).unwrap().replace('\n', " ");
    with_lines(&chain, &dir.0, 1, &lines);
    assert_eq!(verify(&dir.0, &VerifyOptions::new()).problem, None);
}

#[test]
fn a_changed_byte_is_modified_at_its_line() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[1].1.clone();
    lines[4] = lines[4].replace("config.update", "config.updatf");
    with_lines(&chain, &dir.0, 1, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Modified, &seg(11), Some(5), Some(15));
}

#[test]
fn a_line_that_is_not_json_is_framing() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[0].1.clone();
    lines[2].replace_range(0..1, "[");
    with_lines(&chain, &dir.0, 0, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Framing, &seg(1), Some(3), Some(3));
}

#[test]
fn a_removed_line_is_deleted_and_named_by_the_missing_seq() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[1].1.clone();
    lines.remove(2); // seq 13
    with_lines(&chain, &dir.0, 1, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Deleted, &seg(11), Some(3), Some(13));
}

#[test]
fn swapped_lines_are_reordered() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[0].1.clone();
    lines.swap(3, 4); // seq 4 and 5
    with_lines(&chain, &dir.0, 0, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Reordered, &seg(1), Some(4), Some(5));
}

#[test]
fn records_moved_far_apart_are_reordered() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    chain.write(&dir.0);
    // seq 3 and seq 14 trade places across segments.
    let mut first = chain.segments[0].1.clone();
    let mut second = chain.segments[1].1.clone();
    std::mem::swap(&mut first[2], &mut second[3]);
    with_lines(&chain, &dir.0, 0, &first);
    let mut text = second.join("\n");
    text.push('\n');
    std::fs::write(dir.0.join(seg(11)), text).unwrap();
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Reordered, &seg(1), Some(3), Some(14));
}

/// A record forged after seq `after` with a self-consistent hash: seq after+1, prev = the hash
/// of `after`.
fn forged_after(chain: &Chain, segment: usize, line: usize) -> String {
    let v: Value = serde_json::from_str(chain.line(segment, line)).unwrap();
    let mut map = Map::new();
    map.insert("v".into(), 1.into());
    map.insert("seq".into(), (v["seq"].as_u64().unwrap() + 1).into());
    map.insert("kind".into(), "event".into());
    map.insert("prev".into(), v["hash"].clone());
    map.insert("action".into(), "auth.login".into());
    map.insert("service".into(), "forger".into());
    record::seal(&mut map, None).unwrap();
    serde_json::to_string(&Value::Object(map)).unwrap()
}

#[test]
fn a_forged_record_before_the_real_one_is_inserted() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[1].1.clone();
    let forged = forged_after(&chain, 1, 2); // claims seq 13
    lines.insert(2, forged);
    with_lines(&chain, &dir.0, 1, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Inserted, &seg(11), Some(3), Some(13));
}

#[test]
fn a_forged_sibling_after_the_real_record_is_inserted() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[1].1.clone();
    let forged = forged_after(&chain, 1, 2); // claims seq 13, placed after the real 13
    lines.insert(3, forged);
    with_lines(&chain, &dir.0, 1, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Inserted, &seg(11), Some(4), Some(13));
}

#[test]
fn a_forged_record_without_a_valid_mac_is_still_called_inserted() {
    let dir = TempDir::new();
    let chain = three_segments(true);
    let mut lines = chain.segments[1].1.clone();
    lines.insert(2, forged_after(&chain, 1, 2));
    with_lines(&chain, &dir.0, 1, &lines);
    let options = VerifyOptions::new().mac_key(MacKey::new("k1", KEY.to_vec()).unwrap());
    let p = problem(&dir.0, &options);
    expect(&p, ProblemKind::Inserted, &seg(11), Some(3), Some(13));
}

#[test]
fn a_garbage_line_between_linked_records_is_inserted() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[2].1.clone();
    lines.insert(1, r#"{"hello":"world"}"#.into());
    with_lines(&chain, &dir.0, 2, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Inserted, &seg(21), Some(2), Some(22));
}

#[test]
fn a_replayed_copy_is_inserted() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[0].1.clone();
    let copy = lines[1].clone(); // seq 2, again after seq 5
    lines.insert(5, copy);
    with_lines(&chain, &dir.0, 0, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Inserted, &seg(1), Some(6), Some(2));
    assert!(p.detail.contains("copy of seq 2"), "{p}");
}

#[test]
fn a_record_changed_and_re_hashed_is_modified() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[0].1.clone();
    let mut v: Value = serde_json::from_str(&lines[3]).unwrap(); // seq 4
    v["action"] = "config.delete".into();
    let map = v.as_object_mut().unwrap();
    map.remove("hash");
    record::seal(map, None).unwrap();
    lines[3] = serde_json::to_string(&v).unwrap();
    with_lines(&chain, &dir.0, 0, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Modified, &seg(1), Some(4), Some(4));
}

#[test]
fn a_bad_mac_is_named() {
    let dir = TempDir::new();
    let chain = three_segments(true);
    let mut lines = chain.segments[2].1.clone();
    let mut v: Value = serde_json::from_str(&lines[2]).unwrap(); // seq 23
    v["mac"] = "00".repeat(32).into();
    lines[2] = serde_json::to_string(&v).unwrap();
    with_lines(&chain, &dir.0, 2, &lines);
    // Without the key the change cannot be seen; with it, it can.
    assert_eq!(verify(&dir.0, &VerifyOptions::new()).problem, None);
    let options = VerifyOptions::new().mac_key(MacKey::new("k1", KEY.to_vec()).unwrap());
    let p = problem(&dir.0, &options);
    expect(&p, ProblemKind::BadMac, &seg(21), Some(3), Some(23));
    let wrong = VerifyOptions::new().mac_key(MacKey::new("k1", vec![7; 32]).unwrap());
    expect(
        &problem(&dir.0, &wrong),
        ProblemKind::BadMac,
        &seg(1),
        Some(1),
        Some(1),
    );
}

#[test]
fn a_missing_middle_segment_is_named_by_its_file() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    chain.write(&dir.0);
    std::fs::remove_file(dir.0.join(seg(11))).unwrap();
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::MissingSegment, &seg(11), None, Some(11));
}

#[test]
fn a_log_that_ends_with_a_rotation_is_whole() {
    // The writer starts the next segment with its first record.
    let dir = TempDir::new();
    let chain = three_segments(false);
    chain.write(&dir.0);
    std::fs::remove_file(dir.0.join(seg(21))).unwrap();
    assert_eq!(verify(&dir.0, &VerifyOptions::new()).problem, None);
}

#[test]
fn the_tail_of_a_segment_cut_at_a_line_is_deleted() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let mut lines = chain.segments[0].1.clone();
    lines.truncate(7); // seq 8, 9 and the rotation (10) gone
    with_lines(&chain, &dir.0, 0, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Deleted, &seg(1), Some(8), Some(8));
}

#[test]
fn the_head_of_a_segment_removed_is_deleted() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    let lines = chain.segments[1].1[2..].to_vec(); // seq 11 and 12 gone
    with_lines(&chain, &dir.0, 1, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Deleted, &seg(11), Some(1), Some(11));
    // The same at the very start of the log.
    let lines = chain.segments[0].1[1..].to_vec();
    with_lines(&chain, &dir.0, 0, &lines);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Deleted, &seg(1), Some(1), Some(1));
}

#[test]
fn an_incomplete_last_line_is_a_torn_tail_and_elsewhere_truncation() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    chain.write(&dir.0);
    let last = dir.0.join(seg(21));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .unwrap();
    f.write_all(&chain.line(2, 1).as_bytes()[..40]).unwrap();
    drop(f);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::TornTail, &seg(21), Some(6), Some(26));

    // A middle segment cut in the middle of a line.
    chain.write(&dir.0);
    let middle = dir.0.join(seg(11));
    let len = std::fs::metadata(&middle).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&middle)
        .unwrap();
    f.set_len(len - 30).unwrap();
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::Truncated, &seg(11), Some(10), Some(20));
}

#[test]
fn a_log_after_retention_needs_the_retention_record() {
    let dir = TempDir::new();
    let removed_prev = "ab".repeat(32);
    let mut chain = Chain::starting_at(101, &removed_prev, false);
    chain.events(3);
    chain.write(&dir.0);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(&p, ProblemKind::MissingSegment, &seg(101), Some(1), Some(1));

    let mut chain = Chain::starting_at(101, &removed_prev, false);
    chain.events(3);
    chain.push(
        "retention",
        json!({"removed": [{"segment": seg(1), "first_seq": 1, "last_seq": 100, "last_hash": removed_prev}]}),
    );
    chain.events(2);
    chain.write(&dir.0);
    let report = verify(&dir.0, &VerifyOptions::new());
    assert_eq!(report.problem, None);
    assert_eq!(report.removed_through, Some(100));

    // A retention record for another range does not do.
    let mut chain = Chain::starting_at(101, &removed_prev, false);
    chain.push(
        "retention",
        json!({"removed": [{"segment": seg(1), "first_seq": 1, "last_seq": 50, "last_hash": removed_prev}]}),
    );
    chain.write(&dir.0);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(
        &p,
        ProblemKind::MissingSegment,
        &seg(101),
        Some(1),
        Some(51),
    );
}

#[test]
fn repair_records_are_reported() {
    let dir = TempDir::new();
    let mut chain = Chain::new(false);
    chain.events(3);
    chain.push(
        "repair",
        json!({"truncated_bytes": 37, "segment": seg(1), "last_good_seq": 3}),
    );
    chain.events(1);
    chain.write(&dir.0);
    let report = verify(&dir.0, &VerifyOptions::new());
    assert_eq!(report.problem, None);
    assert_eq!(
        report.repairs,
        vec![Repair {
            file: seg(1),
            line: 4,
            seq: 4,
            truncated_bytes: Some(37)
        }]
    );
}

fn gzip(path: &Path) {
    let data = std::fs::read(path).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&data).unwrap();
    std::fs::write(path.with_extension("jsonl.gz"), enc.finish().unwrap()).unwrap();
    std::fs::remove_file(path).unwrap();
}

#[test]
fn gzip_segments_verify_and_a_cut_gzip_is_truncated() {
    let dir = TempDir::new();
    let chain = three_segments(false);
    chain.write(&dir.0);
    gzip(&dir.0.join(seg(1)));
    gzip(&dir.0.join(seg(11)));
    let report = verify(&dir.0, &VerifyOptions::new());
    assert_eq!(report.problem, None);
    assert_eq!(report.records, 25);

    let gz = dir.0.join(format!("{}.gz", seg(11)));
    let bytes = std::fs::read(&gz).unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let p = problem(&dir.0, &VerifyOptions::new());
    assert!(
        matches!(p.kind, ProblemKind::Truncated),
        "{p} (a cut gzip stream)"
    );
    assert_eq!(p.file, format!("{}.gz", seg(11)));
}

#[test]
fn an_empty_directory_is_a_missing_segment_and_a_missing_one_an_error() {
    let dir = TempDir::new();
    let p = problem(&dir.0, &VerifyOptions::new());
    assert_eq!(p.kind, ProblemKind::MissingSegment);
    let err = verify_dir(dir.0.join("nope"), &VerifyOptions::new()).unwrap_err();
    assert!(matches!(err, VerifyError::Io { .. }), "{err}");
}

#[cfg(feature = "audit-sign")]
mod checkpoints {
    use super::*;
    use crate::audit::Checkpoint;
    use crate::audit::CheckpointSigner;
    use crate::audit::sign::Ed25519Signer;

    const SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

    fn signer() -> Ed25519Signer {
        Ed25519Signer::from_text(SECRET, "k1").unwrap()
    }

    /// The hash of the record at `seq` in `chain`.
    fn hash_of(chain: &Chain, seq: u64) -> String {
        chain
            .segments
            .iter()
            .flat_map(|(_, lines)| lines)
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|v| v["seq"] == json!(seq))
            .map(|v| v["hash"].as_str().unwrap().to_owned())
            .unwrap()
    }

    fn write_checkpoints(path: &Path, chain: &Chain, seqs: &[u64]) {
        let signer = signer();
        let mut text = Vec::new();
        for &seq in seqs {
            let hash = hash_of(chain, seq);
            let time = "2026-12-01T04:00:00.000000000Z";
            let sig = signer.sign(&Checkpoint::message_of(seq, &hash, time, "k1"));
            let cp = Checkpoint {
                seq,
                hash,
                time: time.into(),
                key_id: "k1".into(),
                sig: record::hex(&sig),
            };
            text.extend(cp.to_line());
        }
        std::fs::write(path, text).unwrap();
    }

    fn options() -> VerifyOptions {
        VerifyOptions::new().public_key(signer().public_key())
    }

    #[test]
    fn checkpoints_that_match_verify() {
        let dir = TempDir::new();
        let chain = three_segments(false);
        chain.write(&dir.0);
        write_checkpoints(&dir.0.join("checkpoints.jsonl"), &chain, &[10, 20, 25]);
        let report = verify(&dir.0, &options());
        assert_eq!(report.problem, None);
        assert_eq!(
            (report.checkpoints_signed, report.checkpoints_matched),
            (3, 3)
        );
        assert_eq!(report.checkpointed_through, Some(25));
    }

    #[test]
    fn a_log_cut_before_the_last_checkpoint_is_truncated() {
        let dir = TempDir::new();
        let chain = three_segments(false);
        write_checkpoints(&dir.0.join("checkpoints.jsonl"), &chain, &[10, 20, 25]);
        let lines = chain.segments[2].1[..3].to_vec(); // 21..=23 kept
        with_lines(&chain, &dir.0, 2, &lines);
        // Without the public key the shorter chain is valid.
        assert_eq!(verify(&dir.0, &VerifyOptions::new()).problem, None);
        let p = problem(&dir.0, &options());
        expect(&p, ProblemKind::Truncated, &seg(21), Some(4), Some(24));

        // A torn tail before a checkpointed seq is a truncation too.
        chain.write(&dir.0);
        let last = dir.0.join(seg(21));
        let len = std::fs::metadata(&last).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
        f.set_len(len - 10).unwrap();
        let p = problem(&dir.0, &options());
        expect(&p, ProblemKind::Truncated, &seg(21), Some(5), Some(25));
    }

    #[test]
    fn a_missing_last_segment_is_named_by_the_rotation_to_it() {
        let dir = TempDir::new();
        let chain = three_segments(false);
        chain.write(&dir.0);
        write_checkpoints(&dir.0.join("checkpoints.jsonl"), &chain, &[10, 20, 25]);
        std::fs::remove_file(dir.0.join(seg(21))).unwrap();
        let p = problem(&dir.0, &options());
        expect(&p, ProblemKind::MissingSegment, &seg(21), None, Some(21));
    }

    #[test]
    fn an_emptied_last_segment_is_truncated() {
        let dir = TempDir::new();
        let chain = three_segments(false);
        chain.write(&dir.0);
        write_checkpoints(&dir.0.join("checkpoints.jsonl"), &chain, &[10, 20, 25]);
        std::fs::write(dir.0.join(seg(21)), "").unwrap();
        assert_eq!(verify(&dir.0, &VerifyOptions::new()).problem, None);
        let p = problem(&dir.0, &options());
        expect(&p, ProblemKind::Truncated, &seg(21), Some(1), Some(21));
    }

    #[test]
    fn a_rewritten_chain_differs_from_the_first_checkpoint_it_covers() {
        let dir = TempDir::new();
        let genuine = three_segments(false);
        write_checkpoints(&dir.0.join("checkpoints.jsonl"), &genuine, &[10, 20, 25]);
        // A shorter, valid chain of other content.
        let mut forged = Chain::new(false);
        forged.events(14);
        forged.write(&dir.0);
        let p = problem(&dir.0, &options());
        expect(&p, ProblemKind::BadCheckpoint, &seg(1), Some(10), Some(10));
    }

    #[test]
    fn a_bad_signature_or_a_missing_file_is_a_bad_checkpoint() {
        let dir = TempDir::new();
        let chain = three_segments(false);
        chain.write(&dir.0);
        let path = dir.0.join("checkpoints.jsonl");
        write_checkpoints(&path, &chain, &[10, 20]);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        lines[1]["time"] = "2027-01-01T00:00:00.000000000Z".into();
        let text: String = lines.iter().map(|v| format!("{v}\n")).collect();
        std::fs::write(&path, text).unwrap();
        let p = problem(&dir.0, &options());
        expect(
            &p,
            ProblemKind::BadCheckpoint,
            &path.display().to_string(),
            Some(2),
            Some(20),
        );

        std::fs::remove_file(&path).unwrap();
        let p = problem(&dir.0, &options());
        assert_eq!(p.kind, ProblemKind::BadCheckpoint);
        assert!(p.detail.contains("missing"), "{p}");
    }

    #[test]
    fn an_off_host_copy_is_read_when_named() {
        let dir = TempDir::new();
        let remote = TempDir::new();
        let chain = three_segments(false);
        chain.write(&dir.0);
        // The local file was rewritten to match a cut log; the off-host copy was not.
        let copy = remote.0.join("cp.jsonl");
        write_checkpoints(&copy, &chain, &[10, 25]);
        let lines = chain.segments[2].1[..2].to_vec();
        with_lines(&chain, &dir.0, 2, &lines);
        write_checkpoints(&dir.0.join("checkpoints.jsonl"), &chain, &[10]);
        assert_eq!(verify(&dir.0, &options()).problem, None);
        let p = problem(&dir.0, &options().checkpoints_file(&copy));
        expect(&p, ProblemKind::Truncated, &seg(21), Some(3), Some(23));
    }
}

#[test]
fn extreme_numbers_are_judged_without_overflow() {
    let dir = TempDir::new();
    let mut chain = Chain::starting_at(u64::MAX, &"ab".repeat(32), false);
    chain.events(1);
    chain.write(&dir.0);
    let p = problem(&dir.0, &VerifyOptions::new());
    assert_eq!(p.kind, ProblemKind::Framing, "{p}");

    let mut chain = Chain::starting_at(101, &"ab".repeat(32), false);
    chain.push(
        "retention",
        json!({"removed": [{"segment": seg(1), "first_seq": 1, "last_seq": u64::MAX, "last_hash": "ab".repeat(32)}]}),
    );
    std::fs::remove_file(dir.0.join(seg(u64::MAX))).unwrap();
    chain.write(&dir.0);
    let p = problem(&dir.0, &VerifyOptions::new());
    expect(
        &p,
        ProblemKind::MissingSegment,
        &seg(101),
        Some(1),
        Some(100),
    );
}
