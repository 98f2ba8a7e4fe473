//! Compile-pass and compile-fail cases of the obs macros (see `tests/ui.rs`).
