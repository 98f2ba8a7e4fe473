#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the real validators the tests check our output
# with, then formatting, lints and every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-toolchain.sh
bash scripts/install-validators.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Each feature of obs-runtime compiles alone (the tests crate enables them all, which would hide a
# cfg slip); the prometheus interop also builds against prometheus' plain (non-protobuf) data model.
cargo check -p obs-runtime --no-default-features --locked
for feature in prometheus serve logs otlp init llm async-openai audit audit-sign audit-verify; do
    cargo check -p obs-runtime --no-default-features --features "$feature" --locked
done
log=target/test-output.log
mkdir -p target
cargo test --workspace --locked 2>&1 | tee "$log"

# One closing line over every test binary (cargo's own last line is often an empty doc-test run).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
