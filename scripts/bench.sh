#!/usr/bin/env bash
# Runs obs' comparison benchmarks against its peer crates (prometheus, prometheus-client, metrics
# + metrics-exporter-prometheus, measured), all in one run, and writes a Markdown report with
# ns/op, ratios against obs and the issue-2 targets (MET / MISSED) to
# "$CARGO_TARGET_DIR/bench-report.md" (or target/bench-report.md), then prints it.
#
#   scripts/bench.sh                       # criterion with --warm-up-time 1 --measurement-time 3
#   scripts/bench.sh --measurement-time 5  # any arguments replace those criterion options
#   BENCH_FILTER=histogram scripts/bench.sh   # only the benchmarks whose id matches
#
# The figures are reported, never asserted: nothing here fails on a slow run.
# Benchmarks: obs-runtime/benches/compare.rs (criterion) and obs-runtime/benches/memory.rs (heap
# held, through a counting global allocator). BENCHMARKS.md explains the set-up and the results.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/bench-env.sh
target=${CARGO_TARGET_DIR:-$root/target}
report=$target/bench-report.md
memory=$target/bench-memory.md

criterion_args=(--warm-up-time 1 --measurement-time 3)
if [ $# -gt 0 ]; then
  criterion_args=("$@")
fi
filter=()
if [ -n "${BENCH_FILTER:-}" ]; then
  filter=("$BENCH_FILTER")
fi

started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
command_line="cargo bench -p obs-runtime --bench compare -- ${criterion_args[*]}${BENCH_FILTER:+ $BENCH_FILTER}"
echo "+ $command_line" >&2
cargo bench -p obs-runtime --bench compare -- "${criterion_args[@]}" "${filter[@]}"
echo "+ cargo bench -p obs-runtime --bench memory" >&2
cargo bench -p obs-runtime --bench memory | tee "$memory"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

export BENCH_ROOT=$target/criterion BENCH_MEMORY=$memory
bench_env "$started" "$command_line" "$load_before" "$load_after"

python3 - >"$report" <<'PY'
import os

from bench_common import ns, print_targets, run_lines, verdict


def fmt(v):
    if v is None:
        return "not run"
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e3:
        return f"{v / 1e3:.1f} µs"
    return f"{v:.2f} ns"


def ratio(a, b):
    return None if a is None or b is None else a / b


def fr(r):
    return "–" if r is None else f"{r:.2f}x"


def table(group, rows):
    """rows: (benchmark id, description, obs reference id or None)."""
    print("| variant | library | ns/op | peer / obs |")
    print("|---|---|---:|---:|")
    for bench, desc, ref in rows:
        v = ns(group, bench)
        r = ratio(v, ns(group, ref)) if ref else None
        print(f"| `{bench}` | {desc} | {fmt(v)} | {fr(r)} |")
    print()


targets = []


def target(name, ok, detail):
    targets.append((name, ok, detail))
    print(f"- Target: {name} — {verdict(ok)} ({detail})")


print(f"# Benchmark run {os.environ['BENCH_DATE']}")
print()
print("\n".join(run_lines()))
print(f"- Command: `{os.environ['BENCH_COMMAND']}`, then `cargo bench -p obs-runtime --bench memory`")
print("- Figures: criterion's median time per iteration. \"peer / obs\" above 1 means obs is faster.")
print()

g = "counter_3_labels"
print("## 1. Counter with three fixed-cardinality labels, one thread")
print()
table(g, [
    ("raw_atomic", "`AtomicU64::fetch_add(1, Relaxed)`", "obs_const"),
    ("raw_atomic_array_varying", "36 atomics, index computed by hand, varying labels", "obs_varying"),
    ("obs_const", "obs `with((m, s, r)).inc()`, constant labels", None),
    ("obs_varying", "obs, labels varying per iteration", None),
    ("obs_handle", "obs pre-resolved handle `.inc()`", None),
    ("prometheus_with_label_values_const", "prometheus `with_label_values(&[..]).inc()`", "obs_const"),
    ("prometheus_with_label_values_varying", "prometheus, varying", "obs_varying"),
    ("prometheus_handle", "prometheus pre-resolved child `.inc()`", "obs_handle"),
    ("prometheus_client_const", "prometheus-client `get_or_create(&labels).inc()`", "obs_const"),
    ("prometheus_client_varying", "prometheus-client, varying", "obs_varying"),
    ("prometheus_client_handle", "prometheus-client `get_or_create_owned` handle", "obs_handle"),
    ("metrics_const", "metrics `counter!(name, labels..).increment(1)`", "obs_const"),
    ("metrics_varying", "metrics, varying", "obs_varying"),
    ("metrics_handle", "metrics `Counter` handle", "obs_handle"),
    ("measured_const", "measured `CounterVec::inc(group)`", "obs_const"),
    ("measured_varying", "measured, varying", "obs_varying"),
    ("measured_handle", "measured `get_metric(label_id).inc()`", "obs_handle"),
])
raw = ns(g, "raw_atomic")
worst = [ratio(ns(g, b), raw) for b in ("obs_const", "obs_varying", "obs_handle")]
ok = None if None in worst else max(worst) <= 1.5
target("obs within 1.5x of a raw atomic", ok,
       "obs / raw: const " + ", varying ".join(fr(r) for r in worst[:2]) + f", handle {fr(worst[2])}")
rs = [ratio(ns(g, f"prometheus_with_label_values_{k}"), ns(g, f"obs_{k}")) for k in ("const", "varying")]
ok = None if None in rs else min(rs) >= 4
target(">= 4x faster than prometheus `with_label_values`", ok, f"const {fr(rs[0])}, varying {fr(rs[1])}")
rs = [ratio(ns(g, f"measured_{k}"), ns(g, f"obs_{k}")) for k in ("const", "varying", "handle")]
ok = None if None in rs else min(rs) >= 1
target("no slower than measured", ok, f"measured / obs: const {fr(rs[0])}, varying {fr(rs[1])}, handle {fr(rs[2])}")
print()

g = "counter_bounded_label"
print("## 2. Counter with one `Bounded<64>` string label (16 routes, varying)")
print()
table(g, [
    ("obs", "obs `with(route).inc()`", None),
    ("prometheus_with_label_values", "prometheus `with_label_values(&[route]).inc()`", "obs"),
    ("prometheus_client_static_str", "prometheus-client, label struct of `&'static str`", "obs"),
    ("prometheus_client_string", "prometheus-client, label struct of `String`", "obs"),
    ("metrics", "metrics `counter!(name, \"route\" => route)`", "obs"),
    ("measured", "measured, `IndexSet<&'static str>` label set", "obs"),
])
rs = [ratio(ns(g, b), ns(g, "obs")) for b in ("prometheus_client_static_str", "prometheus_client_string")]
ok = None if None in rs else min(rs) >= 2
target(">= 2x faster than prometheus-client", ok, f"`&'static str` {fr(rs[0])}, `String` {fr(rs[1])}")
print()

g = "histogram_observe"
print("## 3. Histogram observation (11 buckets, one label, values spread over all buckets)")
print()
table(g, [
    ("obs_observe", "obs `with(method).observe(f64)`", None),
    ("obs_observe_duration", "obs `with(method).observe_duration(d)`", None),
    ("obs_handle_observe", "obs pre-resolved handle `.observe(f64)`", None),
    ("prometheus_with_label_values", "prometheus `with_label_values(..).observe`", "obs_observe"),
    ("prometheus_handle", "prometheus pre-resolved `Histogram::observe`", "obs_handle_observe"),
    ("prometheus_client", "prometheus-client `get_or_create(..).observe`", "obs_observe"),
    ("prometheus_client_handle", "prometheus-client owned handle `.observe`", "obs_handle_observe"),
    ("metrics", "metrics `histogram!(name, label).record`", "obs_observe"),
    ("metrics_handle", "metrics `Histogram` handle `.record`", "obs_handle_observe"),
    ("measured", "measured `HistogramVec::observe(group, f64)`", "obs_observe"),
    ("measured_observe_duration", "measured `observe_duration(group, d)`", "obs_observe_duration"),
    ("measured_handle", "measured `get_metric(id).observe`", "obs_handle_observe"),
])
peers = ["prometheus_with_label_values", "prometheus_handle", "prometheus_client", "prometheus_client_handle",
         "metrics", "metrics_handle", "measured", "measured_observe_duration", "measured_handle"]
pv = [(ns(g, p), p) for p in peers if ns(g, p) is not None]
fastest = min(pv) if pv else (None, "none")
for b in ("obs_observe", "obs_observe_duration", "obs_handle_observe"):
    v = ns(g, b)
    ok = None if v is None or fastest[0] is None else v < fastest[0]
    target(f"`{b}` faster than the fastest peer (`{fastest[1]}`, {fmt(fastest[0])})", ok,
           f"{fmt(v)}, fastest peer / obs = {fr(ratio(fastest[0], v))}")
print()

g = "counter_two_threads"
print("## 4. Two threads incrementing the same labeled series (ns/op per thread)")
print()
table(g, [
    ("raw_atomic", "`AtomicU64::fetch_add`", "obs"),
    ("obs", "obs `with(labels).inc()`", None),
    ("prometheus_with_label_values", "prometheus `with_label_values(..).inc()`", "obs"),
    ("prometheus_handle", "prometheus pre-resolved child", "obs"),
    ("prometheus_client", "prometheus-client `get_or_create(..).inc()`", "obs"),
    ("metrics", "metrics `counter!(..).increment(1)`", "obs"),
    ("measured", "measured `inc(group)`", "obs"),
])
v, raw = ns(g, "obs"), ns(g, "raw_atomic")
ok = None if v is None or raw is None else v <= raw
target("two threads on one series: obs at or below a raw shared atomic", ok,
       f"obs {fmt(v)}, raw atomic {fmt(raw)}, raw / obs = {fr(ratio(raw, v))}")
print("With two cores shared with other work the threads are not always both running.")
print()

g = "render_text"
print("## 5. Rendering 10,000 counter series + 1,000 histogram series (11 buckets) to text")
print()
table(g, [
    ("obs", "obs `Registry::encode_into(Format::Text, &mut buf)`, buffer reused", None),
    ("prometheus", "prometheus `gather()` + `TextEncoder::encode_utf8`, buffer reused", "obs"),
    ("prometheus_client", "prometheus-client `encoding::text::encode`, buffer reused", "obs"),
    ("metrics", "metrics-exporter-prometheus `render_to_write`, buffer reused", "obs"),
    ("measured", "measured `collect_group_into` + `BufferedTextEncoder::finish`", "obs"),
])
pv = [(ns(g, p), p) for p in ("prometheus", "prometheus_client", "metrics", "measured") if ns(g, p) is not None]
fastest = min(pv) if pv else (None, "none")
r = ratio(fastest[0], ns(g, "obs"))
target(f"render: >= 2x faster than the fastest peer (`{fastest[1]}`)", None if r is None else r >= 2, f"{fr(r)}")
print()

print("## 5b. Heap held for the render set")
print()
with open(os.environ["BENCH_MEMORY"]) as f:
    memory = f.read().strip()
print(memory)
print()
for line in memory.splitlines():
    if line.startswith("Target"):
        targets.append(("obs holds no more heap than the best peer", "**MET**" in line, line.split("peer): ", 1)[-1]))

print_targets(targets)
PY

cat "$report"
echo "report: $report" >&2
