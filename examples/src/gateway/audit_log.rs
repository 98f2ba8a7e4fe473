//! The gateway's audit log: opened at start and installed as the process's log (what
//! `#[audited]` writes to), HMAC-keyed when `OBS_AUDIT_HMAC_KEY` holds a key; and, at the end of
//! a `--requests` run, what it holds, checked by obs' verifier library.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use obs_runtime::audit::verify::{VerifyOptions, verify_dir};
use obs_runtime::audit::{self, AuditConfig, AuditError, AuditLog, HMAC_KEY_ENV, MacKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The id the HMAC key is recorded under.
const KEY_ID: &str = "gateway-demo";

/// What the log holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    /// The log's directory.
    pub dir: String,
    /// Records the verifier checked (linked, hashes and MACs matching).
    pub records: u64,
    /// Whether MACs were checked.
    pub macs_checked: bool,
    /// Whether the whole log verified.
    pub verified: bool,
    /// The first bad record, as the verifier names it.
    pub problem: Option<String>,
    /// Events by action, read from the segments.
    pub events: BTreeMap<String, u64>,
}

/// The HMAC key from [`HMAC_KEY_ENV`], if set.
fn mac_key() -> Result<Option<MacKey>, AuditError> {
    match std::env::var_os(HMAC_KEY_ENV) {
        Some(_) => MacKey::from_env(HMAC_KEY_ENV, KEY_ID).map(Some),
        None => Ok(None),
    }
}

/// A new directory for the log under the temp dir.
pub(crate) fn default_dir() -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    std::env::temp_dir().join(format!("obs-gateway-audit-{}-{stamp}", std::process::id()))
}

/// Opens the log in `dir` and installs it as the process's log.
pub(crate) fn open(dir: &Path) -> Result<AuditLog, AuditError> {
    let mut config = AuditConfig::new(dir, "llm-gateway-demo");
    config.mac_key = mac_key()?;
    let log = AuditLog::open(config)?;
    audit::install(log.clone())?;
    Ok(log)
}

/// Writes out what is queued, then verifies the log and counts its events.
pub(crate) fn summary(log: &AuditLog) -> Result<AuditSummary, AuditError> {
    log.flush()?;
    let mut options = VerifyOptions::new();
    if let Some(key) = mac_key()? {
        options = options.mac_key(key);
    }
    let dir = log.dir();
    let mut summary = AuditSummary {
        dir: dir.display().to_string(),
        ..AuditSummary::default()
    };
    match verify_dir(dir, &options) {
        Ok(report) => {
            summary.records = report.records;
            summary.macs_checked = report.macs_checked;
            summary.verified = report.is_ok();
            summary.problem = report.problem.map(|p| {
                let line = p.line.map_or(String::new(), |l| format!(" line {l}"));
                format!("{} at {}{line}: {}", p.kind.as_str(), p.file, p.detail)
            });
        }
        Err(e) => summary.problem = Some(e.to_string()),
    }
    summary.events = events_by_action(dir);
    Ok(summary)
}

/// Counts the `event` records of the plain segments in `dir` by action.
fn events_by_action(dir: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("audit-") && name.ends_with(".jsonl")) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for record in text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            if record["kind"] == "event"
                && let Some(action) = record["action"].as_str()
            {
                *out.entry(action.to_owned()).or_default() += 1;
            }
        }
    }
    out
}
