//! `obs-audit-verify DIR [--hmac-key-env VAR] [--public-key HEX | --public-key-file F]
//! [--checkpoints F] [--json]`: verifies an obs audit log and names the first bad record.
//! Exit status 0 ok, 1 tampered or corrupt, 2 usage error, 3 I/O error.
//!
//! Install: `cargo install --path obs-runtime --features audit-verify --bin obs-audit-verify`.

mod args;
mod output;

use std::process::ExitCode;

use obs_runtime::audit::MacKey;
use obs_runtime::audit::sign::{CheckpointKey, KeyError};
use obs_runtime::audit::verify::{VerifyError, VerifyOptions, verify_dir};

use args::{Args, Command};

/// The log verified.
const OK: u8 = 0;
/// The log is tampered with or corrupt.
const BAD: u8 = 1;
/// The command line or a key is unusable.
const USAGE: u8 = 2;
/// A file could not be read.
const IO: u8 = 3;

fn main() -> ExitCode {
    let args = match args::parse(std::env::args_os().skip(1)) {
        Ok(Command::Verify(args)) => args,
        Ok(Command::Help) => {
            println!("{}", args::USAGE);
            return ExitCode::from(OK);
        }
        Err(why) => {
            eprintln!("obs-audit-verify: {why}\n\n{}", args::USAGE);
            return ExitCode::from(USAGE);
        }
    };
    let options = match options(&args) {
        Ok(options) => options,
        Err((code, why)) => return fail(&args, code, &why),
    };
    match verify_dir(&args.dir, &options) {
        Ok(report) => {
            if args.json {
                let mut json = report.to_json();
                json["dir"] = args.dir.display().to_string().into();
                println!("{json}");
            } else {
                print!("{}", output::human(&args.dir, &report));
            }
            ExitCode::from(if report.is_ok() { OK } else { BAD })
        }
        Err(e @ VerifyError::Io { .. }) => fail(&args, IO, &e.to_string()),
        Err(e) => fail(&args, USAGE, &e.to_string()),
    }
}

/// The verification options the arguments ask for, or the exit code and message why not.
fn options(args: &Args) -> Result<VerifyOptions, (u8, String)> {
    let mut options = VerifyOptions::new();
    if let Some(var) = &args.hmac_key_env {
        // The id is only the writer's label for the key; the MAC itself is what is checked.
        let key = MacKey::from_env(var, var.as_str()).map_err(|e| (USAGE, e.to_string()))?;
        options = options.mac_key(key);
    }
    let key = match (&args.public_key, &args.public_key_file) {
        (Some(text), _) => Some(CheckpointKey::from_text(text)),
        (None, Some(path)) => Some(CheckpointKey::from_file(path)),
        (None, None) => None,
    };
    if let Some(key) = key {
        let key = key.map_err(|e| match e {
            KeyError::Io { .. } => (IO, e.to_string()),
            _ => (USAGE, e.to_string()),
        })?;
        options = options.public_key(key);
    }
    if let Some(path) = &args.checkpoints {
        options = options.checkpoints_file(path);
    }
    Ok(options)
}

/// Reports an error (as JSON with `--json`) and returns its exit code.
fn fail(args: &Args, code: u8, why: &str) -> ExitCode {
    if args.json {
        let json =
            serde_json::json!({"ok": false, "error": why, "dir": args.dir.display().to_string()});
        println!("{json}");
    }
    eprintln!("obs-audit-verify: {why}");
    ExitCode::from(code)
}
