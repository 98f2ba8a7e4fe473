//! The human-readable report.

use std::fmt::Write;
use std::path::Path;

use obs_runtime::audit::verify::Report;

/// The report as lines of text: `ok: …` or `FAILED: <kind> at <file> line <n> seq <s>` with the
/// evidence, then what was verified.
pub fn human(dir: &Path, report: &Report) -> String {
    let mut out = String::new();
    match &report.problem {
        None => {
            let _ = writeln!(out, "ok: {}", dir.display());
        }
        Some(p) => {
            let mut at = p.file.clone();
            if let Some(line) = p.line {
                let _ = write!(at, " line {line}");
            }
            if let Some(seq) = p.seq {
                let _ = write!(at, " seq {seq}");
            }
            let _ = writeln!(out, "FAILED: {} at {at}", p.kind);
            let _ = writeln!(out, "  {}", p.detail);
        }
    }
    let range = match (report.first_seq, report.last_seq) {
        (Some(first), Some(last)) => format!(" (seq {first}..{last})"),
        _ => String::new(),
    };
    let before = if report.is_ok() { "" } else { " before it" };
    let _ = writeln!(
        out,
        "  {} records verified{range}{before}, in {} segment(s)",
        report.records, report.segments
    );
    if report.macs_checked {
        let _ = writeln!(out, "  {} MACs verified", report.macs_verified);
    }
    if let Some(file) = &report.checkpoints_file {
        let through = report
            .checkpointed_through
            .map(|s| format!(", signed through seq {s}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} checkpoints signed, {} matched{through} ({file})",
            report.checkpoints_signed, report.checkpoints_matched
        );
    }
    if let Some(seq) = report.removed_through {
        let _ = writeln!(out, "  seq ..{seq} removed by retention");
    }
    for r in &report.repairs {
        let bytes = r
            .truncated_bytes
            .map(|b| format!(", {b} bytes cut"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  torn tail repaired at {} line {} (seq {}{bytes})",
            r.file, r.line, r.seq
        );
    }
    out
}
