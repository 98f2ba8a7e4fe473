//! Reading an audit directory back for the audit tests: every segment (plain and gzip) in seq
//! order, each line checked to be the canonical encoding of its record, and the chain checked
//! twice: here (`seq` +1, `prev` = previous `hash`, `hash` recomputed), which also hands the
//! records to the test, and by the verifier, `obs_runtime::audit::verify::verify_dir`, which
//! also checks retention and repair records.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use obs_runtime::audit::canonical;
use obs_runtime::audit::record::{GENESIS_PREV, SegmentName, hex, record_hash};
use obs_runtime::audit::verify::{VerifyOptions, verify_dir};
use serde_json::Value;

/// The records of one segment file.
#[derive(Debug)]
pub struct Segment {
    /// Its file name.
    pub name: String,
    /// Its records, in order.
    pub records: Vec<Value>,
}

/// The segment files of `dir`, by first seq.
pub fn segment_files(dir: &Path) -> Vec<(SegmentName, PathBuf)> {
    let mut found: Vec<(SegmentName, PathBuf)> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| {
            let e = e.ok()?;
            Some((SegmentName::parse(e.file_name().to_str()?)?, e.path()))
        })
        .collect();
    found.sort_by_key(|(n, _)| n.first_seq);
    found
}

/// The plain text of the segment at `path`.
pub fn segment_text(name: &SegmentName, path: &Path) -> Vec<u8> {
    let raw = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if !name.gzip {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

/// Reads every segment of `dir` and checks framing, canonical form and the chain; panics with
/// the segment, line and what is wrong at the first problem. A chain starting after seq 1 (after
/// retention) is accepted here; its `prev` is checked against the retention record by the tests
/// that need it.
pub fn read_chain(dir: &Path) -> Vec<Segment> {
    // The verifier refuses a directory without segments (everything removed); a log that never
    // had a record has none either, and is not checked.
    if !segment_files(dir).is_empty() {
        let report = verify_dir(dir, &VerifyOptions::new())
            .unwrap_or_else(|e| panic!("{}: the verifier could not read it: {e}", dir.display()));
        assert!(
            report.is_ok(),
            "{}: the verifier rejects it: {:?}",
            dir.display(),
            report.problem
        );
    }
    let mut out = Vec::new();
    let mut last: Option<(u64, String)> = None;
    for (name, path) in segment_files(dir) {
        let text = segment_text(&name, &path);
        let file = name.file_name();
        assert!(
            text.is_empty() || text.ends_with(b"\n"),
            "{file}: the last line is not terminated"
        );
        let mut records = Vec::new();
        for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
            let at = format!("{file} line {}", i + 1);
            let body = &line[..line.len() - 1];
            let value: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
                panic!("{at}: not JSON ({e}): {}", String::from_utf8_lossy(body))
            });
            let canon = canonical::to_vec(&value).unwrap_or_else(|e| panic!("{at}: {e}"));
            assert!(canon == body, "{at}: not in canonical form");
            let seq = value["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("{at}: no seq"));
            let hash = hex(&record_hash(&value).unwrap());
            assert_eq!(value["hash"].as_str(), Some(hash.as_str()), "{at}: hash");
            match &last {
                Some((s, h)) => {
                    assert_eq!(seq, s + 1, "{at}: seq");
                    assert_eq!(value["prev"].as_str(), Some(h.as_str()), "{at}: prev");
                }
                None if seq == 1 => {
                    assert_eq!(value["prev"].as_str(), Some(GENESIS_PREV), "{at}: prev");
                }
                None => {}
            }
            if records.is_empty() {
                assert_eq!(seq, name.first_seq, "{at}: the file name's seq");
            }
            last = Some((seq, hash));
            records.push(value);
        }
        out.push(Segment {
            name: file,
            records,
        });
    }
    out
}

/// All records of `dir`, checked by [`read_chain`], in order.
pub fn records(dir: &Path) -> Vec<Value> {
    read_chain(dir)
        .into_iter()
        .flat_map(|s| s.records)
        .collect()
}

/// A fresh, empty directory for one test.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("obs-audit-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}
