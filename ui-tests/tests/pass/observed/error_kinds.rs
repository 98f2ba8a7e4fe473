//! Outcomes by type through `Result` aliases (`io::Result<T>`, a crate's own
//! `type Result<T> = ...`), and `error_kind` counting errors by a derived `ErrorKind` (variants
//! with and without fields, a renamed kind) and by `io::Error`'s built-in kinds.

#![deny(warnings)]

use obs_runtime::observed::CallSite;
use obs_runtime::{ErrorKind, observed};

/// The crate's errors.
#[derive(Debug, ErrorKind)]
pub enum AppError {
    /// Not there.
    NotFound,
    /// Upstream refused.
    RateLimited {
        /// Retry after this many seconds.
        retry_after: u64,
    },
    /// Anything else.
    #[error_kind(rename = "internal_error")]
    Internal(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound => f.write_str("not found"),
            Self::RateLimited { retry_after } => write!(f, "retry after {retry_after}s"),
            Self::Internal(why) => write!(f, "internal: {why}"),
        }
    }
}

/// The crate's own `Result`, as many crates have.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The call site of the observed function `function` of this crate.
fn site(function: &str) -> &'static CallSite {
    CallSite::find(module_path!(), function)
        .unwrap_or_else(|| panic!("`{function}` was not called"))
}

#[observed]
fn crate_alias(ok: bool) -> Result<u8> {
    if ok { Ok(1) } else { Err(AppError::NotFound) }
}

#[observed]
fn io_alias(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[observed(error_kind)]
fn kinds(which: u8) -> Result<()> {
    match which {
        0 => Err(AppError::NotFound),
        1 => Err(AppError::RateLimited { retry_after: 3 }),
        2 => Err(AppError::Internal("x".into())),
        _ => Ok(()),
    }
}

#[observed(error_kind, err)]
async fn async_kinds(which: u8) -> std::result::Result<u8, AppError> {
    kinds(which)?;
    Ok(which)
}

#[observed(error_kind)]
fn io_kinds(path: &str) -> std::io::Result<Vec<u8>> {
    let bytes = std::fs::read(path)?;
    if bytes.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "empty",
        ));
    }
    Ok(bytes)
}

fn main() {
    assert_eq!(crate_alias(true).unwrap(), 1);
    assert!(crate_alias(false).is_err());
    assert!(io_alias("/definitely/not/here").is_err());
    assert_eq!(site("crate_alias").snapshot().outcomes, [1, 1, 0, 0]);
    assert_eq!(site("io_alias").snapshot().outcomes, [0, 1, 0, 0]);

    for which in [0, 1, 1, 2, 2, 2, 3] {
        let _ = kinds(which);
    }
    let (names, counts) = site("kinds").error_kinds().unwrap();
    assert_eq!(names, ["not_found", "rate_limited", "internal_error"]);
    assert_eq!(counts, [1, 2, 3]);
    assert_eq!(site("kinds").snapshot().outcomes, [1, 6, 0, 0]);
    assert_eq!(AppError::Internal("y".into()).kind(), "internal_error");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert!(async_kinds(1).await.is_err());
        assert_eq!(async_kinds(9).await.unwrap(), 9);
    });
    let (_, counts) = site("async_kinds").error_kinds().unwrap();
    assert_eq!(counts, [0, 1, 0]);

    io_kinds("/definitely/not/here").unwrap_err();
    let (names, counts) = site("io_kinds").error_kinds().unwrap();
    let not_found = names.iter().position(|n| *n == "not_found").unwrap();
    assert_eq!(counts[not_found], 1);
    assert_eq!(counts.iter().sum::<u64>(), 1);
}
