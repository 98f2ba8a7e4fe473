//! Compile-pass and compile-fail cases of the obs macros.
//!
//! `tests/ui.rs` runs them with trybuild: every file in `tests/pass/` must compile and run, every
//! file in `tests/fail/` must fail to compile with exactly the errors in its `.stderr` snapshot.
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test -p obs-ui-tests`, then read them.
