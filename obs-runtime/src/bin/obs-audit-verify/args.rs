//! The command line, parsed by hand (a handful of flags; no parser crate needed).

use std::ffi::OsString;
use std::path::PathBuf;

/// The usage text.
pub const USAGE: &str = "\
usage: obs-audit-verify DIR [--hmac-key-env VAR]
                            [--public-key HEX | --public-key-file FILE] [--checkpoints FILE]
                            [--json]

Verifies the obs audit log in DIR: framing, sequence, hash chain across all segments (plain and
.gz), MACs (with the HMAC key, as hex, in the environment variable VAR) and signed checkpoints
(with the Ed25519 public key: PEM or 64 hex digits; checkpoints read from DIR/checkpoints.jsonl
unless --checkpoints names the off-host copy). Names the first bad record and what is wrong.

exit status: 0 the log verified, 1 tampered or corrupt, 2 usage error, 3 I/O error";

/// What the command line asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    /// The log's directory.
    pub dir: PathBuf,
    /// The environment variable holding the HMAC key (hex).
    pub hmac_key_env: Option<String>,
    /// The public key as text (hex).
    pub public_key: Option<String>,
    /// The public key's file.
    pub public_key_file: Option<PathBuf>,
    /// The checkpoints file.
    pub checkpoints: Option<PathBuf>,
    /// JSON output.
    pub json: bool,
}

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Verify.
    Verify(Args),
    /// Print the usage and exit 0.
    Help,
}

/// Parses the arguments after the program name; `Err` is a message for a usage error.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut out = Args::default();
    let mut dir: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(flag) = arg.to_str().filter(|a| a.starts_with("--")) else {
            if dir.replace(PathBuf::from(&arg)).is_some() {
                return Err(format!(
                    "more than one directory given ({})",
                    arg.to_string_lossy()
                ));
            }
            continue;
        };
        let flag = flag.to_owned();
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" => return Ok(Command::Help),
            "--json" => out.json = true,
            "--hmac-key-env" => out.hmac_key_env = Some(text(value()?, &flag)?),
            "--public-key" => out.public_key = Some(text(value()?, &flag)?),
            "--public-key-file" => out.public_key_file = Some(value()?.into()),
            "--checkpoints" => out.checkpoints = Some(value()?.into()),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    out.dir = dir.ok_or("no directory given")?;
    if out.public_key.is_some() && out.public_key_file.is_some() {
        return Err("give --public-key or --public-key-file, not both".into());
    }
    if out.checkpoints.is_some() && out.public_key.is_none() && out.public_key_file.is_none() {
        return Err("--checkpoints needs a public key to check them with".into());
    }
    Ok(Command::Verify(out))
}

fn text(value: OsString, flag: &str) -> Result<String, String> {
    value
        .into_string()
        .map_err(|_| format!("the value of {flag} is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn all_options() {
        let got = parse_strs(&[
            "--json",
            "/logs",
            "--hmac-key-env",
            "KEY",
            "--public-key-file",
            "pub.pem",
            "--checkpoints",
            "/remote/cp.jsonl",
        ]);
        assert_eq!(
            got,
            Ok(Command::Verify(Args {
                dir: "/logs".into(),
                hmac_key_env: Some("KEY".into()),
                public_key: None,
                public_key_file: Some("pub.pem".into()),
                checkpoints: Some("/remote/cp.jsonl".into()),
                json: true,
            }))
        );
        assert_eq!(parse_strs(&["--help"]), Ok(Command::Help));
    }

    #[test]
    fn usage_errors_say_what_is_wrong() {
        for (args, needle) in [
            (&[][..], "no directory"),
            (&["a", "b"][..], "more than one"),
            (&["a", "--hmac-key-env"][..], "needs a value"),
            (&["a", "--frobnicate"][..], "unknown option --frobnicate"),
            (
                &["a", "--public-key", "x", "--public-key-file", "y"][..],
                "not both",
            ),
            (&["a", "--checkpoints", "c"][..], "needs a public key"),
        ] {
            let err = parse_strs(args).unwrap_err();
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}
