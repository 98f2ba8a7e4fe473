//! The tamper matrix: a real log written by the audit writer (several segments, an HMAC key,
//! Ed25519-signed checkpoints with a copy kept "off the host"), changed in each way an attacker or
//! a crash would change it, then checked by the real `obs-audit-verify` program (its exit status
//! and its `--json` report) and by the library, which must agree on the first bad record: its
//! file, line, seq and what is wrong with it.
//!
//! It lives in obs-runtime's own tests (not the workspace's `tests` crate) because Cargo gives
//! the path of a package's binaries only to that package's integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use obs_runtime::audit::record::{self, SegmentName};
use obs_runtime::audit::sign::{CheckpointKey, Ed25519Signer, FileSink};
use obs_runtime::audit::verify::{ProblemKind, VerifyOptions, verify_dir};
use obs_runtime::audit::{
    AuditConfig, AuditEvent, AuditLog, AuditOutcome, CheckpointConfig, MacKey, Retention, Rotation,
};
use serde_json::Value;

/// The HMAC key, as the environment variable the program reads holds it.
const HMAC_HEX: &str = "6b65792d666f722d7468652d74616d7065722d746573742d6f6e6c792d303031";
const HMAC_ENV: &str = "OBS_AUDIT_TAMPER_TEST_KEY";
// The example key pair of RFC 8410, section 10 (a published test vector, not a secret).
const SIGNING_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
const PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
/// Records written; at 4 KiB per segment that is several segments.
const EVENTS: usize = 60;

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "obs-tamper-{what}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A log written by the writer, with its keys and off-host checkpoints, never changed: each case
/// works on a copy.
struct Original {
    root: TempDir,
}

impl Original {
    fn log(&self) -> PathBuf {
        self.root.path().join("log")
    }
    fn public_key(&self) -> PathBuf {
        self.root.path().join("public.pem")
    }
    fn off_host(&self) -> PathBuf {
        self.root.path().join("off-host-checkpoints.jsonl")
    }
}

fn mac_key() -> MacKey {
    MacKey::from_hex("k1", HMAC_HEX).unwrap()
}

/// Writes `events` events into `dir` with the test's HMAC key, 4 KiB segments (gzip-compressed
/// once rotated when `gzip`) and, when `signing` names a key file, checkpoints every 10 records
/// also sent to `off_host`.
fn write_log(dir: &Path, events: usize, gzip: bool, signing: Option<(&Path, &Path)>) {
    let mut config = AuditConfig::new(dir, "tamper-test");
    config.mac_key = Some(mac_key());
    config.rotate = Rotation {
        max_bytes: 4096,
        max_age: None,
        gzip,
    };
    if let Some((key_file, off_host)) = signing {
        let signer = Ed25519Signer::from_file(key_file, "test-signing-1").unwrap();
        let mut checkpoints = CheckpointConfig::new(Arc::new(signer));
        checkpoints.every_records = Some(10);
        checkpoints
            .sinks
            .push(Arc::new(FileSink::open(off_host).unwrap()));
        config.checkpoint = Some(checkpoints);
    }
    let log = AuditLog::open(config).unwrap();
    for i in 0..events {
        log.record(
            AuditEvent::new("config.update")
                .actor("alice", "user")
                .resource("config_key", format!("routing.rule.{i}"))
                .field("attempt", i)
                .field("model", "gpt-4o-mini")
                .outcome(AuditOutcome::Success, None),
        )
        .unwrap();
    }
    log.shutdown().unwrap();
}

/// A log written with 4 KiB segments, gzip-compressed once rotated when `gzip`.
fn original(gzip: bool) -> Original {
    let root = TempDir::new("original");
    let key_file = root.path().join("signing.pem");
    std::fs::write(&key_file, SIGNING_PEM).unwrap();
    std::fs::write(root.path().join("public.pem"), PUBLIC_PEM).unwrap();
    let original = Original { root };
    write_log(
        &original.log(),
        EVENTS,
        gzip,
        Some((&key_file, &original.off_host())),
    );
    original
}

/// The segment files of `dir`, in order.
fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = SegmentName::parse(p.file_name()?.to_str()?)?;
            Some((name.first_seq, p))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_str().unwrap().to_owned()
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn seq_of(line: &str) -> u64 {
    let v: Value = serde_json::from_str(line).unwrap();
    v["seq"].as_u64().unwrap()
}

/// A copy of the original log's directory (segments and `checkpoints.jsonl`).
fn copy_of(original: &Original) -> TempDir {
    let case = TempDir::new("case");
    for entry in std::fs::read_dir(original.log()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, case.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    case
}

/// What the program and the library found.
#[derive(Debug)]
struct Found {
    status: i32,
    json: Value,
}

impl Found {
    fn kind(&self) -> &str {
        self.json["problem"]["kind"].as_str().unwrap_or("none")
    }
}

/// Runs `obs-audit-verify DIR --hmac-key-env … --public-key-file … [--checkpoints F] --json`
/// and checks that the library reports the same first problem.
fn check(original: &Original, dir: &Path, checkpoints: Option<&Path>) -> Found {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_obs-audit-verify"));
    cmd.arg(dir)
        .args(["--hmac-key-env", HMAC_ENV, "--public-key-file"])
        .arg(original.public_key())
        .arg("--json")
        .env(HMAC_ENV, HMAC_HEX);
    if let Some(path) = checkpoints {
        cmd.arg("--checkpoints").arg(path);
    }
    let out = cmd.output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let found = Found {
        status: out.status.code().unwrap(),
        json,
    };

    let mut options = VerifyOptions::new()
        .mac_key(mac_key())
        .public_key(CheckpointKey::from_file(original.public_key()).unwrap());
    if let Some(path) = checkpoints {
        options = options.checkpoints_file(path);
    }
    let report = verify_dir(dir, &options).unwrap();
    let mut json = report.to_json();
    json["dir"] = found.json["dir"].clone();
    assert_eq!(json, found.json, "the program and the library disagree");
    found
}

/// Asserts exit status 0 and no problem.
fn assert_verified(found: &Found) {
    assert_eq!(
        (found.status, found.kind()),
        (0, "none"),
        "{:#}",
        found.json
    );
}

/// Asserts exit status 1 and the named problem.
fn assert_problem(found: &Found, kind: ProblemKind, file: &str, line: Option<u64>, seq: u64) {
    assert_eq!(found.status, 1, "{:#}", found.json);
    let p = &found.json["problem"];
    assert_eq!(
        (
            p["kind"].as_str(),
            p["file"].as_str(),
            p["line"].as_u64(),
            p["seq"].as_u64()
        ),
        (Some(kind.as_str()), Some(file), line, Some(seq)),
        "{:#}",
        found.json
    );
}

#[test]
fn tamper_matrix() {
    let original = original(false);
    let segs = segments(&original.log());
    assert!(segs.len() >= 4, "want several segments, got {segs:?}");

    // The untouched log verifies: records, MACs and checkpoints (in the log's directory and
    // off the host).
    let found = check(&original, &original.log(), None);
    assert_verified(&found);
    assert!(found.json["records"].as_u64().unwrap() > EVENTS as u64);
    assert_eq!(found.json["macs_verified"], found.json["records"]);
    let cps = &found.json["checkpoints"];
    assert!(cps["signed"].as_u64().unwrap() >= 6, "{cps}");
    assert_eq!(cps["signed"], cps["matched"]);
    assert_eq!(cps["through_seq"], found.json["last_seq"]);
    let off = check(&original, &original.log(), Some(&original.off_host()));
    assert_verified(&off);

    modify_a_byte(&original);
    delete_a_record(&original);
    insert_a_forged_record(&original);
    swap_two_records(&original);
    truncate_mid_record(&original);
    remove_a_segment(&original);
    bad_mac_and_bad_signature(&original);
    shorter_valid_chain_by_cutting(&original);
    shorter_valid_chain_by_rewriting(&original);
}

fn modify_a_byte(original: &Original) {
    let case = copy_of(original);
    let seg = &segments(case.path())[1];
    let mut lines = read_lines(seg);
    let seq = seq_of(&lines[1]);
    assert!(lines[1].contains("routing.rule."));
    lines[1] = lines[1].replacen("routing.rule.", "routing.rulf.", 1);
    write_lines(seg, &lines);
    let found = check(original, case.path(), None);
    assert_problem(&found, ProblemKind::Modified, &name(seg), Some(2), seq);
}

fn delete_a_record(original: &Original) {
    let case = copy_of(original);
    let seg = &segments(case.path())[1];
    let mut lines = read_lines(seg);
    let seq = seq_of(&lines[2]);
    lines.remove(2);
    write_lines(seg, &lines);
    let found = check(original, case.path(), None);
    assert_problem(&found, ProblemKind::Deleted, &name(seg), Some(3), seq);
}

fn insert_a_forged_record(original: &Original) {
    let case = copy_of(original);
    let seg = &segments(case.path())[2];
    let mut lines = read_lines(seg);
    // A record that claims to follow line 4, with a hash that matches its content; the forger
    // does not have the HMAC key, so it carries no MAC.
    let before: Value = serde_json::from_str(&lines[3]).unwrap();
    let mut forged = before.as_object().unwrap().clone();
    let seq = before["seq"].as_u64().unwrap() + 1;
    forged.insert("seq".into(), seq.into());
    forged.insert("prev".into(), before["hash"].clone());
    forged.insert("action".into(), "config.delete".into());
    for key in ["hash", "mac", "key_id"] {
        forged.remove(key);
    }
    record::seal(&mut forged, None).unwrap();
    lines.insert(4, Value::Object(forged).to_string());
    write_lines(seg, &lines);
    let found = check(original, case.path(), None);
    assert_problem(&found, ProblemKind::Inserted, &name(seg), Some(5), seq);
}

fn swap_two_records(original: &Original) {
    let case = copy_of(original);
    let seg = &segments(case.path())[2];
    let mut lines = read_lines(seg);
    let second = seq_of(&lines[2]);
    lines.swap(1, 2);
    write_lines(seg, &lines);
    let found = check(original, case.path(), None);
    assert_problem(&found, ProblemKind::Reordered, &name(seg), Some(2), second);
}

fn truncate_mid_record(original: &Original) {
    // The newest segment cut in its last line: signed checkpoints cover that record (the writer
    // makes one at shutdown), so this is a truncation, not a crash's torn tail.
    let case = copy_of(original);
    let last = segments(case.path()).pop().unwrap();
    let lines = read_lines(&last);
    let last_seq = seq_of(lines.last().unwrap());
    let len = std::fs::metadata(&last).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    file.set_len(len - 20).unwrap();
    drop(file);
    let found = check(original, case.path(), None);
    let line = Some(lines.len() as u64);
    assert_problem(&found, ProblemKind::Truncated, &name(&last), line, last_seq);
    // Without the public key the same bytes look like a crash's torn tail.
    let report = verify_dir(case.path(), &VerifyOptions::new().mac_key(mac_key())).unwrap();
    let p = report.problem.unwrap();
    assert_eq!(
        (p.kind, p.line, p.seq),
        (ProblemKind::TornTail, line, Some(last_seq))
    );

    // A segment in the middle cut inside a record.
    let case = copy_of(original);
    let middle = &segments(case.path())[1];
    let lines = read_lines(middle);
    let len = std::fs::metadata(middle).unwrap().len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(middle)
        .unwrap();
    file.set_len(len - 15).unwrap();
    drop(file);
    let found = check(original, case.path(), None);
    let seq = seq_of(lines.last().unwrap());
    let line = Some(lines.len() as u64);
    assert_problem(&found, ProblemKind::Truncated, &name(middle), line, seq);
}

fn remove_a_segment(original: &Original) {
    let case = copy_of(original);
    let removed = segments(case.path()).remove(2);
    let first_seq = seq_of(&read_lines(&removed)[0]);
    std::fs::remove_file(&removed).unwrap();
    let found = check(original, case.path(), None);
    assert_problem(
        &found,
        ProblemKind::MissingSegment,
        &name(&removed),
        None,
        first_seq,
    );

    // The newest segment: the one before it ends with a rotation to it, which alone is normal
    // (the writer starts a segment with its first record), but the checkpoint signed at
    // shutdown is past it.
    let case = copy_of(original);
    let removed = segments(case.path()).pop().unwrap();
    let first_seq = seq_of(&read_lines(&removed)[0]);
    std::fs::remove_file(&removed).unwrap();
    let found = check(original, case.path(), None);
    let file = name(&removed);
    assert_problem(&found, ProblemKind::MissingSegment, &file, None, first_seq);
}

fn bad_mac_and_bad_signature(original: &Original) {
    let case = copy_of(original);
    let seg = &segments(case.path())[3];
    let mut lines = read_lines(seg);
    let mut v: Value = serde_json::from_str(&lines[0]).unwrap();
    v["mac"] = "0".repeat(64).into();
    let seq = v["seq"].as_u64().unwrap();
    lines[0] = v.to_string();
    write_lines(seg, &lines);
    let found = check(original, case.path(), None);
    assert_problem(&found, ProblemKind::BadMac, &name(seg), Some(1), seq);

    // A checkpoint whose signed hash was changed to match a forged record.
    let case = copy_of(original);
    let path = case.path().join(record::CHECKPOINTS_FILE);
    let mut cps = read_lines(&path);
    let mut cp: Value = serde_json::from_str(&cps[1]).unwrap();
    cp["hash"] = "ab".repeat(32).into();
    let seq = cp["seq"].as_u64().unwrap();
    cps[1] = cp.to_string();
    write_lines(&path, &cps);
    let found = check(original, case.path(), None);
    let file = path.display().to_string();
    assert_eq!(found.status, 1);
    assert_eq!(found.kind(), "bad_checkpoint", "{:#}", found.json);
    assert_eq!(found.json["problem"]["file"].as_str(), Some(file.as_str()));
    assert_eq!(found.json["problem"]["line"].as_u64(), Some(2));
    assert_eq!(found.json["problem"]["seq"].as_u64(), Some(seq));
}

fn shorter_valid_chain_by_cutting(original: &Original) {
    // The last record cut off at a line boundary: a valid, shorter chain. Only the checkpoint
    // the writer signed at shutdown shows the difference.
    let case = copy_of(original);
    let last = segments(case.path()).pop().unwrap();
    let mut lines = read_lines(&last);
    let kept = lines.len() - 1;
    let first_gone = seq_of(&lines[kept]);
    lines.truncate(kept);
    std::fs::write(
        &last,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let chain_only = verify_dir(case.path(), &VerifyOptions::new().mac_key(mac_key())).unwrap();
    assert!(chain_only.is_ok(), "{:?}", chain_only.problem);
    let found = check(original, case.path(), None);
    let line = Some(kept as u64 + 1);
    assert_problem(
        &found,
        ProblemKind::Truncated,
        &name(&last),
        line,
        first_gone,
    );
}

fn shorter_valid_chain_by_rewriting(original: &Original) {
    // An insider with the HMAC key (but not the signing key) replaces the whole log with a new,
    // shorter one written by the writer itself, and removes the local checkpoints. The copy kept
    // off the host still has the genuine checkpoints: the first one the new log reaches differs.
    let case = copy_of(original);
    for seg in segments(case.path()) {
        std::fs::remove_file(seg).unwrap();
    }
    std::fs::remove_file(case.path().join(record::CHECKPOINTS_FILE)).unwrap();
    write_log(case.path(), 25, false, None);
    let chain_only = verify_dir(case.path(), &VerifyOptions::new().mac_key(mac_key())).unwrap();
    assert!(chain_only.is_ok(), "{:?}", chain_only.problem);

    let off_host = original.off_host();
    let first_cp = read_lines(&off_host)
        .iter()
        .map(|l| seq_of(l))
        .min()
        .unwrap();
    let new_log = segments(case.path());
    let (file, line) = new_log
        .iter()
        .find_map(|seg| {
            let lines = read_lines(seg);
            let i = lines.iter().position(|l| seq_of(l) == first_cp)?;
            Some((name(seg), i as u64 + 1))
        })
        .expect("the new log reaches the first checkpoint");
    let found = check(original, case.path(), Some(&off_host));
    assert_problem(
        &found,
        ProblemKind::BadCheckpoint,
        &file,
        Some(line),
        first_cp,
    );
    // Against the log's own directory the removed checkpoints file is itself the finding.
    let local = check(original, case.path(), None);
    assert_eq!((local.status, local.kind()), (1, "bad_checkpoint"));
}

#[test]
fn gzip_segments_verify_and_changes_inside_them_are_found() {
    let original = original(true);
    let segs = segments(&original.log());
    let gz: Vec<&PathBuf> = segs
        .iter()
        .filter(|p| name(p).ends_with(".jsonl.gz"))
        .collect();
    assert!(gz.len() >= 2, "rotated segments are compressed: {segs:?}");
    let found = check(&original, &original.log(), None);
    assert_verified(&found);

    // One record changed inside a compressed segment.
    let case = copy_of(&original);
    let seg = case.path().join(name(gz[1]));
    let text = gunzip(&seg);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let seq = seq_of(&lines[2]);
    lines[2] = lines[2].replacen("gpt-4o-mini", "gpt-4o-maxi", 1);
    let mut text = lines.join("\n");
    text.push('\n');
    gzip_to(&seg, text.as_bytes());
    let found = check(&original, case.path(), None);
    assert_problem(&found, ProblemKind::Modified, &name(&seg), Some(3), seq);
}

fn gunzip(path: &Path) -> String {
    use std::io::Read;
    let mut out = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn gzip_to(path: &Path, data: &[u8]) {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    std::fs::write(path, enc.finish().unwrap()).unwrap();
}

#[test]
fn exit_status_for_usage_and_io_errors_and_a_human_report() {
    let bin = env!("CARGO_BIN_EXE_obs-audit-verify");
    let usage = Command::new(bin).arg("--frobnicate").output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("unknown option --frobnicate"));

    let unset = Command::new(bin)
        .args([".", "--hmac-key-env", "OBS_AUDIT_TAMPER_TEST_SURELY_UNSET"])
        .env_remove("OBS_AUDIT_TAMPER_TEST_SURELY_UNSET")
        .output()
        .unwrap();
    assert_eq!(unset.status.code(), Some(2));

    let missing = TempDir::new("missing");
    let gone = missing.path().join("no-such-log");
    let io = Command::new(bin).arg(&gone).arg("--json").output().unwrap();
    assert_eq!(io.status.code(), Some(3));
    let json: Value = serde_json::from_slice(&io.stdout).unwrap();
    assert_eq!(json["ok"], Value::Bool(false));
    assert!(json["error"].as_str().unwrap().contains("no-such-log"));

    // The human report names the file, line, seq and what.
    let dir = TempDir::new("human");
    write_log(dir.path(), 5, false, None);
    let seg = &segments(dir.path())[0];
    let mut kept = read_lines(seg);
    let seq = seq_of(&kept[1]);
    kept.remove(1);
    write_lines(seg, &kept);
    let out = Command::new(bin).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        format!("FAILED: deleted at {} line 2 seq {seq}", name(seg)),
        "{text}"
    );
}

#[test]
fn a_log_thinned_by_retention_verifies_and_a_segment_removed_besides_does_not() {
    let root = TempDir::new("retention");
    let dir = root.path().join("log");
    let mut config = AuditConfig::new(&dir, "tamper-test");
    config.mac_key = Some(mac_key());
    config.rotate = Rotation {
        max_bytes: 4096,
        max_age: None,
        gzip: true,
    };
    config.retain = Retention {
        max_count: Some(3),
        ..Retention::default()
    };
    let log = AuditLog::open(config).unwrap();
    for i in 0..EVENTS {
        log.record(AuditEvent::new("config.update").field("attempt", i))
            .unwrap();
    }
    log.shutdown().unwrap();
    let segs = segments(&dir);
    let first_seq = seq_of(&gunzip_or_read(&segs[0])[0]);
    assert!(first_seq > 1, "retention removed the oldest segments");

    let options = VerifyOptions::new().mac_key(mac_key());
    let report = verify_dir(&dir, &options).unwrap();
    assert!(report.is_ok(), "{:?}", report.problem);
    assert_eq!(report.first_seq, Some(first_seq));
    assert_eq!(report.removed_through, Some(first_seq - 1));

    // Removing the oldest remaining segment as well is not accounted for by any retention record.
    std::fs::remove_file(&segs[0]).unwrap();
    let report = verify_dir(&dir, &options).unwrap();
    let p = report.problem.expect("the removal is found");
    // Named at the first line left, with the first seq no record accounts for.
    assert_eq!(
        (p.kind, p.file.as_str(), p.line, p.seq),
        (
            ProblemKind::MissingSegment,
            name(&segs[1]).as_str(),
            Some(1),
            Some(first_seq)
        ),
        "{p}"
    );
}

/// The lines of a segment, plain or gzip.
fn gunzip_or_read(path: &Path) -> Vec<String> {
    if name(path).ends_with(".gz") {
        gunzip(path).lines().map(str::to_owned).collect()
    } else {
        read_lines(path)
    }
}

#[test]
fn a_torn_tail_fails_until_the_writer_repairs_it() {
    let root = TempDir::new("repair");
    let dir = root.path().join("log");
    write_log(&dir, 5, false, None);
    let last = segments(&dir).pop().unwrap();
    let line_count = read_lines(&last).len() as u64;
    let mut bytes = std::fs::read(&last).unwrap();
    bytes.extend_from_slice(br#"{"action":"config.upd"#);
    std::fs::write(&last, &bytes).unwrap();

    let options = VerifyOptions::new().mac_key(mac_key());
    let p = verify_dir(&dir, &options).unwrap().problem.unwrap();
    assert_eq!(
        (p.kind, p.line),
        (ProblemKind::TornTail, Some(line_count + 1)),
        "{p}"
    );

    // Reopening cuts the torn tail and says so in a repair record; the log verifies again.
    write_log(&dir, 2, false, None);
    let report = verify_dir(&dir, &options).unwrap();
    assert!(report.is_ok(), "{:?}", report.problem);
    assert_eq!(report.repairs.len(), 1, "{report:?}");
    assert_eq!(report.repairs[0].line, line_count + 1);
}
