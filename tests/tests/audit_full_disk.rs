//! A full disk, made with a file-size limit (`ulimit -f`, SIGXFSZ ignored) on a child process:
//! its durable calls get an error once the segment cannot grow, nothing in the log is damaged
//! (the partial write is cut back), and writing resumes once the limit is gone (the log
//! reopened without it continues the chain). Buffered events that cannot be written are held,
//! and counted as dropped only when the log shuts down still unable to write them.

use std::process::Command;

use obs_runtime::audit::{AuditConfig, AuditEvent, AuditLog, AuditOutcome};
use obs_tests::audit::{fresh_dir, records};

#[test]
fn durable_calls_fail_on_a_full_disk_without_damage_and_writing_resumes_after() {
    let dir = fresh_dir("full-disk");
    // 128 blocks: 64 KiB where the shell counts 512-byte blocks, 128 KiB where it counts KiB.
    let out = Command::new("sh")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 128 && exec \"$0\" fill \"$1\"",
            env!("CARGO_BIN_EXE_audit_child"),
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acked: Vec<u64> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ok "))
        .map(|n| n.parse().unwrap())
        .collect();
    let errors: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("err "))
        .collect();
    assert!(
        acked.len() > 50,
        "too few events before the limit: {stdout}"
    );
    assert_eq!(errors.len(), 6, "{stdout}");
    for e in &errors {
        assert!(
            e.contains("audit-00000000000000000001.jsonl"),
            "the error names the segment: {e}"
        );
    }
    // The buffered events appended after the disk filled were kept and tried again, then
    // counted as dropped when shutdown still could not write them; never silently.
    assert!(!stdout.contains("append "), "{stdout}");
    let shutdown = stdout
        .lines()
        .find_map(|l| l.strip_prefix("shutdown "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        shutdown.contains("audit-00000000000000000001.jsonl"),
        "{shutdown}"
    );
    assert!(
        stdout.lines().any(|l| l == "obs_audit_dropped_total 10"),
        "{stdout}"
    );
    // Every acknowledged event is there, in order, and nothing else; the chain verifies.
    let written: Vec<u64> = records(&dir)
        .iter()
        .map(|r| r["fields"]["n"].as_u64().unwrap())
        .collect();
    assert_eq!(written, acked);

    // Space is back (no limit in this process): the log reopens and continues.
    let log = AuditLog::open(AuditConfig::new(&dir, "after")).unwrap();
    for n in 0..20u64 {
        log.record(
            AuditEvent::new("config.update")
                .field("n", 1_000_000 + n)
                .outcome(AuditOutcome::Success, None),
        )
        .unwrap();
    }
    log.shutdown().unwrap();
    let all = records(&dir);
    assert_eq!(all.len(), acked.len() + 20);
    assert_eq!(all.last().unwrap()["fields"]["n"], 1_000_019);
}
