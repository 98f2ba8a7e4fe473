//! Compile-pass and compile-fail cases of the obs macros.
//!
//! `tests/ui.rs` runs them with trybuild: every file in `tests/pass/` must compile and run, every
//! file in `tests/fail/` must fail to compile with exactly the errors in its `.stderr` snapshot.
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test -p obs-ui-tests`, then read them.
//!
//! The helpers below are the block the `#[observed]` pass cases share, written once.

use obs_runtime::observed::CallSite;

/// `[ok, error, panic, cancelled]` of the observed function `function` defined in `module`.
///
/// # Panics
///
/// When the function has not been called: a case asserting on it would be wrong.
pub fn outcomes_in(module: &str, function: &str) -> [u64; 4] {
    CallSite::find(module, function)
        .unwrap_or_else(|| panic!("`{function}` was not called"))
        .snapshot()
        .outcomes
}

/// `[ok, error, panic, cancelled]` of an observed function of the calling module.
#[macro_export]
macro_rules! outcomes {
    ($function:expr) => {
        $crate::outcomes_in(::core::module_path!(), $function)
    };
}

/// `value`, which must be `Send`: a compile-time check of an observed future or stream.
pub fn assert_send<T: Send>(value: T) -> T {
    value
}
