//! The audit log a demo run wrote (HMAC-keyed): one event per admin routing attempt (refusals
//! included) and per rate-limit refusal, as the ground truth counts them; it verifies with obs'
//! command-line verifier (`obs-audit-verify`), and a byte changed in one record makes the
//! verifier fail at that record (its file, line and seq).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Demo, EVENTFUL};
use serde_json::Value;

const KEY_ENV: &str = "OBS_AUDIT_HMAC_KEY";
const KEY: &str = "5eed5eed00112233445566778899aabbccddeeff";

/// The verifier program: `cargo test --workspace` builds it beside this test's own binary; a
/// narrower run builds it once, into a target directory of its own (the one this run holds is
/// locked while it runs).
fn verifier() -> PathBuf {
    let name = format!("obs-audit-verify{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let beside = profile.join(&name);
    if beside.exists() {
        return beside;
    }
    let target = profile.parent().unwrap().join("obs-audit-verify-build");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-p", "obs-runtime", "--features", "audit-verify"])
        .args(["--bin", "obs-audit-verify", "--target-dir"])
        .arg(&target)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .status()
        .expect("runs cargo");
    assert!(status.success(), "building obs-audit-verify failed");
    target.join("debug").join(name)
}

/// `obs-audit-verify DIR --hmac-key-env ... --json`: the exit code and the JSON report.
fn verify(bin: &Path, dir: &Path) -> (i32, Value) {
    let out = Command::new(bin)
        .arg(dir)
        .args(["--hmac-key-env", KEY_ENV, "--json"])
        .env(KEY_ENV, KEY)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

#[test]
fn the_runs_audit_log_verifies_and_a_changed_byte_is_found_at_its_record() {
    let mut args = vec!["--requests", "80"];
    args.extend_from_slice(EVENTFUL);
    let mut demo = Demo::start_with_env("audit", &args, &[(KEY_ENV, KEY)]);
    let output = demo.finish();
    let (truth, report) = (demo.truth(), demo.report());
    let audit = report.audit.expect("the report has the audit log");
    let dir = demo.dir.join("audit");
    assert_eq!(Path::new(&audit.dir), dir);

    // The demo's own check (obs' verifier library), MACs included, and what the log holds.
    assert!(audit.verified && audit.macs_checked, "{audit:#?}");
    assert!(audit.problem.is_none());
    let events = |action: &str| audit.events.get(action).copied().unwrap_or(0);
    assert_eq!(
        events("routing.update"),
        truth.admin_changes.values().sum::<u64>()
    );
    assert_eq!(events("routing.update"), 3);
    assert_eq!(
        events("rate_limit.refuse"),
        truth.requests.get("rate_limited").copied().unwrap_or(0)
    );
    assert!(events("rate_limit.refuse") > 0, "{truth:#?}");
    assert_eq!(audit.records, audit.events.values().sum::<u64>());
    assert!(
        output.contains("verified, MACs included by obs' verifier"),
        "{output}"
    );

    // The command-line verifier agrees.
    let bin = verifier();
    let (code, json) = verify(&bin, &dir);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["ok"], true);
    assert_eq!(json["records"], audit.records);
    assert_eq!(json["macs_verified"], audit.records);

    // One byte changed inside a record's content (its model's name): found at that record.
    let segment = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let text = std::fs::read_to_string(&segment).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (index, line) = lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, l)| l.contains("\"action\":\"rate_limit.refuse\""))
        .expect("a refusal after the first record");
    let seq = serde_json::from_str::<Value>(line).unwrap()["seq"]
        .as_u64()
        .unwrap();
    let at = line.find("\"model\":\"").unwrap() + "\"model\":\"".len();
    let mut bytes = text.clone().into_bytes();
    let offset = text.lines().take(index).map(|l| l.len() + 1).sum::<usize>() + at;
    bytes[offset] = if bytes[offset] == b'x' { b'y' } else { b'x' };
    std::fs::write(&segment, &bytes).unwrap();

    let (code, json) = verify(&bin, &dir);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["ok"], false);
    let problem = &json["problem"];
    assert_eq!(problem["kind"], "modified", "{json}");
    assert_eq!(problem["line"], index as u64 + 1, "{json}");
    assert_eq!(problem["seq"], seq, "{json}");
    let file = segment.file_name().unwrap().to_str().unwrap();
    assert_eq!(problem["file"], file, "{json}");
}
