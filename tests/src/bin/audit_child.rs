//! A child process for the audit crash and full-disk tests (`tests/tests/audit_crash.rs`,
//! `audit_full_disk.rs`), which kill it or limit its file size.
//!
//! - `audit_child crash DIR RUN THREADS BIG GZIP`: writes durable events from THREADS threads
//!   forever, printing `RUN THREAD N` on stdout after each `record` returns; BIG (0/1) adds a
//!   16 KiB field so batches span pages, GZIP (0/1) rotates small segments and compresses them.
//! - `audit_child fill DIR`: writes durable events (sync `always`) until one fails, printing
//!   `ok N` after each success and `err MESSAGE` for the failure and for five more tries; then
//!   appends ten buffered events, shuts the log down (printing `shutdown MESSAGE` if that
//!   fails), prints the `obs_audit_dropped_total` line and exits 0.

use std::io::Write;
use std::process::ExitCode;

use obs_runtime::audit::{AuditConfig, AuditEvent, AuditLog, AuditOutcome, Rotation, SyncPolicy};

fn event(run: u64, thread: u64, n: u64, big: bool) -> AuditEvent {
    let event = AuditEvent::new("config.update")
        .actor(format!("user-{thread}"), "user")
        .resource("config_key", "routing.default_model")
        .field("run", run)
        .field("thread", thread)
        .field("n", n)
        .outcome(AuditOutcome::Success, None);
    if big {
        event.field("padding", "x".repeat(16 << 10))
    } else {
        event
    }
}

fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    // The parent may be gone; nothing to do about it here.
    let _ = out.write_fmt(line);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

fn crash(args: &[String]) -> Result<(), String> {
    let [dir, run, threads, big, gzip] = args else {
        return Err("usage: audit_child crash DIR RUN THREADS BIG GZIP".into());
    };
    let num = |s: &String| s.parse::<u64>().map_err(|e| format!("{s}: {e}"));
    let (run, threads, big, gzip) = (num(run)?, num(threads)?, num(big)? == 1, num(gzip)? == 1);
    let mut config = AuditConfig::new(dir, "crash-child");
    config.sync = SyncPolicy::GroupCommit(std::time::Duration::from_millis(2));
    config.rotate = Rotation {
        max_bytes: if gzip { 64 << 10 } else { 1 << 20 },
        max_age: None,
        gzip,
    };
    let log = AuditLog::open(config).map_err(|e| e.to_string())?;
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                for n in 0.. {
                    match log.record(event(run, t, n, big)) {
                        Ok(()) => say(format_args!("{run} {t} {n}")),
                        Err(e) => {
                            say(format_args!("err {e}"));
                            std::process::exit(3);
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

fn fill(args: &[String]) -> Result<(), String> {
    let [dir] = args else {
        return Err("usage: audit_child fill DIR".into());
    };
    let mut config = AuditConfig::new(dir, "fill-child");
    config.sync = SyncPolicy::Always;
    let log = AuditLog::open(config).map_err(|e| e.to_string())?;
    let mut errors = 0;
    for n in 0..1_000_000u64 {
        match log.record(event(0, 0, n, false)) {
            Ok(()) => say(format_args!("ok {n}")),
            Err(e) => {
                say(format_args!("err {e}"));
                errors += 1;
                if errors == 6 {
                    break;
                }
            }
        }
    }
    // Buffered events cannot be written either: they are held (not dropped) while the log
    // lives, and counted as dropped when it shuts down still unable to write them.
    for n in 0..10 {
        if let Err(e) = log.append(event(1, 0, n, false)) {
            say(format_args!("append {e}"));
        }
    }
    if let Err(e) = log.shutdown() {
        say(format_args!("shutdown {e}"));
    }
    let metrics = obs_runtime::Registry::global().encode(obs_runtime::Format::Text);
    if let Some(line) = metrics
        .lines()
        .find(|l| l.starts_with("obs_audit_dropped_total "))
    {
        say(format_args!("{line}"));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("crash") => crash(&args[1..]),
        Some("fill") => fill(&args[1..]),
        _ => Err("usage: audit_child crash|fill ...".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("audit_child: {e}");
            ExitCode::from(2)
        }
    }
}
