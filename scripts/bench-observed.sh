#!/usr/bin/env bash
# Runs the per-call overhead benchmark of `#[observed]` against `#[autometrics]`,
# `#[tracing::instrument]` and `#[fastrace::trace]`, all in one run (issue 3), and writes a
# Markdown report with ns/op, the overhead over the plain function, ratios against obs and the
# issue-3 targets (MET / MISSED) to "$CARGO_TARGET_DIR/bench-observed-report.md" (or
# target/bench-observed-report.md), then prints it.
#
#   scripts/bench-observed.sh                       # criterion with --warm-up-time 1 --measurement-time 3
#   scripts/bench-observed.sh --measurement-time 5  # any arguments replace those criterion options
#
# The figures are reported, never asserted: nothing here fails on a slow run. The benchmark is
# obs-runtime/benches/observed.rs; BENCHMARKS.md explains the set-up and the results. No filter
# option: the "no subscriber" groups must run before any `tracing` dispatcher exists, so the
# whole binary runs every time (about 2 minutes).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/bench-env.sh
target=${CARGO_TARGET_DIR:-$root/target}
report=$target/bench-observed-report.md

criterion_args=(--warm-up-time 1 --measurement-time 3)
if [ $# -gt 0 ]; then
  criterion_args=("$@")
fi

started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
command_line="cargo bench -p obs-runtime --bench observed -- ${criterion_args[*]}"
echo "+ $command_line" >&2
cargo bench -p obs-runtime --bench observed -- "${criterion_args[@]}"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

export BENCH_ROOT=$target/criterion
bench_env "$started" "$command_line" "$load_before" "$load_after"

python3 - >"$report" <<'PY'
import os

from bench_common import fo, fr, ns, print_header, print_targets, ratio, sub, verdict


def fmt(v):
    return "not run" if v is None else f"{v:.2f} ns"



print_header(
    "`#[observed]` per-call overhead",
    "criterion's median time per call; overhead = variant minus the plain function "
    "(same shape, same run); \"peer / obs\" = the peer's overhead over obs' overhead in the same "
    "condition (above 1: obs adds less).",
)

targets = []
for shape in ("sync", "async"):
    g = f"observed_{shape}"
    plain = ns(g, "plain")
    rows = [
        # (label, condition, group, bench, obs reference (group, bench) for the ratio)
        ("plain function", "–", g, "plain", None),
        ("obs `#[observed(span = false)]` (metrics only)", "no subscriber", g, "obs_metrics", None),
        ("obs `#[observed]` (span + metrics)", "no subscriber", g, "obs", None),
        ("`#[autometrics(track_concurrency)]` (prometheus-client, its default backend)", "no subscriber", g, "autometrics", (g, "obs_metrics")),
        ("`#[tracing::instrument]`", "no subscriber", g, "tracing", (g, "obs")),
        ("`#[fastrace::trace]`, no root span", "no subscriber", g, "fastrace", (g, "obs")),
        ("obs `#[observed]`", "`registry()` + no-op layer", f"{g}_registry", "obs", None),
        ("`#[tracing::instrument]`", "`registry()` + no-op layer", f"{g}_registry", "tracing", (f"{g}_registry", "obs")),
        ("obs `#[observed]`", "`registry()` + `fmt` to sink", f"{g}_fmt", "obs", None),
        ("obs `#[observed(record(a, b))]`", "`registry()` + `fmt` to sink", f"{g}_fmt", "obs_record_args", None),
        ("`#[tracing::instrument]` (records `a`, `b`)", "`registry()` + `fmt` to sink", f"{g}_fmt", "tracing",
         (f"{g}_fmt", "obs_record_args")),
    ]
    print(f"## {shape.capitalize()} function: `{'async ' if shape == 'async' else ''}fn add(a: u64, b: u64) -> u64`")
    print()
    print("| variant | subscriber | benchmark | ns/call | overhead | peer / obs |")
    print("|---|---|---|---:|---:|---:|")
    for label, cond, group, bench, ref in rows:
        v = ns(group, bench)
        over = sub(v, plain) if bench != "plain" else None
        r = ratio(over, sub(ns(*ref), plain)) if ref else None
        print(f"| {label} | {cond} | `{group}/{bench}` | {fmt(v)} | {fo(over)} | {fr(r)} |")
    print()

    metrics_over = sub(ns(g, "obs_metrics"), plain)
    span_over = sub(ns(g, "obs"), plain)
    auto_over = sub(ns(g, "autometrics"), plain)
    reg_obs = ns(f"{g}_registry", "obs")
    reg_tracing = ns(f"{g}_registry", "tracing")
    fmt_obs = ns(f"{g}_fmt", "obs")
    fmt_tracing = ns(f"{g}_fmt", "tracing")

    def target(name, ok, detail):
        targets.append((f"{shape}: {name}", ok, detail))
        print(f"- Target ({shape}): {name} — {verdict(ok)} ({detail})")

    target("obs metrics-only adds at most 25 ns",
           None if metrics_over is None else metrics_over <= 25, f"{fo(metrics_over)}")
    r = ratio(auto_over, metrics_over)
    target("obs metrics-only at least 30x cheaper than `#[autometrics]`",
           None if r is None else r >= 30,
           f"autometrics {fo(auto_over)} / obs {fo(metrics_over)} = {fr(r)}")
    d = sub(span_over, metrics_over)
    target("obs span + metrics, no subscriber, within 5 ns of metrics-only",
           None if d is None else d <= 5, f"{fo(span_over)} vs {fo(metrics_over)}: {fo(d)}")
    bound = None if reg_tracing is None or metrics_over is None else reg_tracing + metrics_over
    target("with `registry()`, obs no slower than `#[tracing::instrument]` + obs metrics-only",
           None if bound is None or reg_obs is None else reg_obs <= bound,
           f"obs {fmt(reg_obs)} vs tracing {fmt(reg_tracing)} + {fo(metrics_over)} = {fmt(bound)}")
    bound = None if fmt_tracing is None or metrics_over is None else fmt_tracing + metrics_over
    print(f"- (No target) with `registry()` + `fmt`: obs {fmt(fmt_obs)} vs tracing {fmt(fmt_tracing)} + "
          f"obs metrics-only {fo(metrics_over)} = {fmt(bound)}")
    print()

g = "observed_floor"
print("## Floors: timing a call on this machine, whatever the framework")
print()
print("| what | benchmark | ns/call |")
print("|---|---|---:|")
for bench, desc in (("tsc_x2", "two TSC reads (`quanta::Clock::raw`, the clock obs uses)"),
                    ("tsc_x2_atomic_x3", "two TSC reads + three relaxed `fetch_add` (started, bucket, sum)"),
                    ("instant_now_x2", "two `std::time::Instant::now()`")):
    print(f"| {desc} | `{g}/{bench}` | {fmt(ns(g, bench))} |")
print()
floor = ns(g, "tsc_x2_atomic_x3")
for shape in ("sync", "async"):
    over = sub(ns(f"observed_{shape}", "obs_metrics"), ns(f"observed_{shape}", "plain"))
    print(f"- {shape}: obs metrics-only overhead {fo(over)}, of which above the floor: {fo(sub(over, floor))}")
print()

print_targets(targets)
PY

cat "$report"
echo "report: $report" >&2
