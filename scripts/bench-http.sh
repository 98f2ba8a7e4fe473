#!/usr/bin/env bash
# Runs the HTTP server layer's per-request benchmark (issue 10) several times and writes a
# Markdown report of each round's overheads and of the ratio the target is about (the overhead of
# axum-prometheus over the overhead of obs' `HttpLayer`, at least 3), with the median over the
# rounds, to "$CARGO_TARGET_DIR/bench-http-report.md" (or target/bench-http-report.md), then
# prints it.
#
#   scripts/bench-http.sh            # 5 rounds, criterion with --warm-up-time 1 --measurement-time 3
#   scripts/bench-http.sh 9          # 9 rounds
#
# Each round is one run of the whole bench binary: the `http_layer` group (each variant timed on
# its own; overhead = variant minus the bare router) and the `http_layer_overhead` group (each
# layer's requests interleaved one by one with the bare router's, which is what the verdict
# reads: on a shared VM, the two sides of a subtraction timed seconds apart drift apart). Rounds
# rather than one long run, because the drift is slow: a median over rounds is robust to one bad
# stretch. The figures are reported, never asserted. BENCHMARKS.md explains the set-up.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/bench-env.sh
target=${CARGO_TARGET_DIR:-$root/target}
report=$target/bench-http-report.md
rounds=${1:-5}
rounds_file=$target/bench-http-rounds.jsonl
: >"$rounds_file"

started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
command_line="cargo bench -p obs-runtime --features serve --bench http_layer -- --warm-up-time 1 --measurement-time 3"
for round in $(seq "$rounds"); do
  echo "+ round $round/$rounds: $command_line" >&2
  round_started=$(date +%s)
  cargo bench -p obs-runtime --features serve --bench http_layer -- --warm-up-time 1 --measurement-time 3 >&2
  BENCH_ROOT=$target/criterion BENCH_STARTED=$round_started PYTHONPATH=scripts python3 - >>"$rounds_file" <<'PY'
import json

from bench_common import ns

print(json.dumps({
    "sequential": {v: ns("http_layer", v) for v in ("baseline", "obs", "axum_prometheus", "tower_http_trace")},
    "interleaved": {v: ns("http_layer_overhead", v) for v in ("obs", "axum_prometheus", "tower_http_trace")},
}))
PY
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

export BENCH_ROOT=$target/criterion BENCH_ROUNDS_FILE=$rounds_file
bench_env "$started" "$command_line (x$rounds rounds)" "$load_before" "$load_after"

python3 - >"$report" <<'PY'
import json
import os
import statistics

from bench_common import print_header, print_targets, ratio, sub

rounds = [json.loads(line) for line in open(os.environ["BENCH_ROUNDS_FILE"])]


def over(r, v):
    return sub(r["sequential"][v], r["sequential"]["baseline"])


def fns(v):
    return "–" if v is None else f"{v:+.0f} ns"


def fx(v):
    return "–" if v is None else f"{v:.2f}x"


print_header(
    "The HTTP server layer's per-request overhead",
    "criterion's median per request. Interleaved: a layer's requests alternate one by "
    "one with the bare router's, each timed apart (`http_layer_overhead`). Sequential: each variant "
    "timed on its own, less the bare router (`http_layer`). Ratio: axum-prometheus' overhead over "
    "obs' (above 1: obs adds less).",
)
print("| round | obs (interleaved) | axum-prometheus (interleaved) | tower-http `TraceLayer` (interleaved) | ratio (interleaved) | bare router | obs (sequential) | axum-prometheus (sequential) | ratio (sequential) |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
inter, seq = [], []
for i, r in enumerate(rounds, 1):
    il = r["interleaved"]
    ri = ratio(il["axum_prometheus"], il["obs"])
    rs = ratio(over(r, "axum_prometheus"), over(r, "obs"))
    inter += [ri] if ri is not None else []
    seq += [rs] if rs is not None else []
    base = r["sequential"]["baseline"]
    print(f"| {i} | {fns(il['obs'])} | {fns(il['axum_prometheus'])} | {fns(il['tower_http_trace'])} "
          f"| {fx(ri)} | {'–' if base is None else f'{base:.0f} ns'} | {fns(over(r, 'obs'))} "
          f"| {fns(over(r, 'axum_prometheus'))} | {fx(rs)} |")
print()
mi = statistics.median(inter) if inter else None
ms = statistics.median(seq) if seq else None
print(f"- Median ratio over {len(rounds)} rounds: {fx(mi)} interleaved, {fx(ms)} sequential; "
      f"interleaved rounds at 3x or more: {sum(r >= 3 for r in inter)} of {len(inter)}.")
print()
print_targets([(
    "`HttpLayer` at least 3x less overhead per request than `axum-prometheus` (median of the interleaved rounds)",
    None if mi is None else mi >= 3,
    fx(mi),
)])
PY
cat "$report"
echo "report: $report" >&2
