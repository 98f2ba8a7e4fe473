//! The trybuild suite: one compile-pass or compile-fail case per rule of the obs macros, in a
//! folder per macro (`observed/`, `llm_call/`, `audited/`, `metrics/`, `derive/`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/pass/*/*.rs");
    cases.compile_fail("tests/fail/*/*.rs");
}
