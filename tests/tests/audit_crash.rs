//! A child writing durable audit events is killed with SIGKILL at random points, 50 times, in
//! one log directory. After each kill: reopening repairs the tail, the whole chain verifies, and
//! every event whose `record` returned before the kill (the child printed it) is in the log.
//! A third of the runs also tear the tail after the kill (cut inside a line that follows the
//! last acknowledged event, as a power cut can), and the reopen must repair it.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use obs_runtime::audit::{AuditConfig, AuditLog, Rotation};
use obs_tests::audit::{fresh_dir, records, segment_files};

const KILLS: u64 = 50;

/// xorshift64*: random kill points without a dependency; the seed is printed for a rerun.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Cuts the last (plain) segment of `dir` at a random byte inside a line that follows the last
/// acknowledged event; false when there is no such line.
fn tear_after_acked(dir: &Path, acked: &HashSet<(u64, u64, u64)>, rng: &mut Rng) -> bool {
    let Some((name, path)) = segment_files(dir).pop() else {
        return false;
    };
    if name.gzip {
        return false;
    }
    let text = std::fs::read(&path).unwrap();
    let mut keep = 0;
    let mut at = 0;
    for line in text.split_inclusive(|&b| b == b'\n') {
        at += line.len();
        let Ok(r) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        let f = &r["fields"];
        let id = (f["run"].as_u64(), f["thread"].as_u64(), f["n"].as_u64());
        if let (Some(a), Some(b), Some(c)) = id
            && acked.contains(&(a, b, c))
        {
            keep = at;
        }
    }
    // Cut points strictly inside a line after `keep`.
    let inside: Vec<usize> = (keep + 1..text.len())
        .filter(|&p| text[p - 1] != b'\n')
        .collect();
    if inside.is_empty() {
        return false;
    }
    let cut = inside[rng.below(inside.len() as u64) as usize];
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(cut as u64)
        .unwrap();
    true
}

#[test]
fn killed_writers_lose_no_acknowledged_event_and_leave_a_chain_that_verifies() {
    let seed = std::env::var("AUDIT_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("AUDIT_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = fresh_dir("crash");
    let started = Instant::now();
    let mut acked: HashSet<(u64, u64, u64)> = HashSet::new();
    for run in 0..KILLS {
        let threads = 1 + rng.below(4);
        let big = rng.below(4) == 0;
        let gzip = rng.below(2) == 0;
        let mut child = Command::new(env!("CARGO_BIN_EXE_audit_child"))
            .args(["crash", dir.to_str().unwrap()])
            .args([run, threads, u64::from(big), u64::from(gzip)].map(|n| n.to_string()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Kill after a random number of acknowledged events (0: at a random moment of start-up,
        // possibly while it repairs the previous crash).
        let want = rng.below(40);
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        if want == 0 {
            std::thread::sleep(Duration::from_micros(rng.below(20_000)));
        } else {
            let mut seen = 0;
            while seen < want && out.read_line(&mut line).unwrap() > 0 {
                seen += 1;
            }
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(
            status.code().is_none(),
            "run {run}: the child exited by itself ({status}): {stderr}"
        );
        // Everything printed before the kill, read to the end (a torn last print is not an ack).
        out.read_to_string(&mut line).unwrap();
        for l in line.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            let parts: Vec<u64> = l
                .split_whitespace()
                .map(|p| p.parse().unwrap_or_else(|_| panic!("run {run}: {l}")))
                .collect();
            assert_eq!(parts.len(), 3, "run {run}: {l}");
            acked.insert((parts[0], parts[1], parts[2]));
        }

        // A SIGKILL leaves whole writes (the page cache survives the process), so a third of the
        // time also tear the tail the way a power cut can: cut the last segment somewhere inside
        // a line after the last acknowledged event.
        let torn = rng.below(3) == 0 && tear_after_acked(&dir, &acked, &mut rng);

        // Reopen (repairing the tail), then check the whole directory.
        let mut config = AuditConfig::new(&dir, "crash-check");
        config.rotate = Rotation {
            max_bytes: 64 << 10,
            max_age: None,
            gzip,
        };
        let log = AuditLog::open(config)
            .unwrap_or_else(|e| panic!("run {run} (seed {seed}): reopen failed: {e}"));
        log.shutdown().unwrap();
        let all = records(&dir);
        if torn {
            let last_repair = all.iter().rev().find(|r| r["kind"] == "repair");
            let after_run = all
                .iter()
                .rev()
                .take_while(|r| r["kind"] != "repair")
                .all(|r| r["fields"]["run"].as_u64() != Some(run));
            assert!(
                last_repair.is_some_and(|r| r["truncated_bytes"].as_u64() > Some(0)) && after_run,
                "run {run} (seed {seed}): the torn tail was not repaired"
            );
        }
        let present: HashSet<(u64, u64, u64)> = all
            .iter()
            .filter(|r| r["kind"] == "event")
            .map(|r| {
                let f = &r["fields"];
                (
                    f["run"].as_u64().unwrap(),
                    f["thread"].as_u64().unwrap(),
                    f["n"].as_u64().unwrap(),
                )
            })
            .collect();
        let missing: Vec<_> = acked.difference(&present).collect();
        assert!(
            missing.is_empty(),
            "run {run} (seed {seed}): acknowledged but missing: {missing:?}"
        );
    }
    let repairs = records(&dir)
        .iter()
        .filter(|r| r["kind"] == "repair")
        .count();
    eprintln!(
        "{KILLS} kills, {} acknowledged events, {repairs} repair records, {:?}",
        acked.len(),
        started.elapsed()
    );
    assert!(
        acked.len() as u64 >= KILLS,
        "too few events were acknowledged to mean anything"
    );
}
