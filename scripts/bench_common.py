"""What the bench scripts' reports share: criterion's medians of this run, and the header lines
describing the machine and the run. Reads the BENCH_* variables that `bench-env.sh` exports."""

import json
import os


def ns(group, bench):
    """Median ns/iteration of this run's samples, or None when the benchmark did not run."""
    root = os.environ["BENCH_ROOT"]
    started = int(os.environ["BENCH_STARTED"])
    path = os.path.join(root, group, bench, "new", "estimates.json")
    if not os.path.exists(path) or os.path.getmtime(path) < started:
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def run_lines():
    """The machine, load, toolchain and commit lines of a report, as Markdown bullets."""
    env = os.environ
    return [
        f"- Machine: {env['BENCH_NPROC']} cores, {env['BENCH_CPU']}, {env['BENCH_MEM']} (a shared VM)",
        f"- Load average: {env['BENCH_LOAD']}",
        f"- {env['BENCH_RUSTC']}; commit {env['BENCH_COMMIT']}",
    ]


def print_header(title, figures):
    """A report's opening: `# title, run <date>`, the run lines, the command and what the figures
    are (`figures`)."""
    print(f"# {title}, run {os.environ['BENCH_DATE']}")
    print()
    print("\n".join(run_lines()))
    print(f"- Command: `{os.environ['BENCH_COMMAND']}`")
    print(f"- Figures: {figures}")
    print()


def verdict(ok):
    """MET / MISSED for a target, or n/a when its benchmarks did not run."""
    return "n/a (not run)" if ok is None else ("**MET**" if ok else "**MISSED**")


def print_targets(targets):
    """The closing "Targets" table of a report, from (name, ok, detail) rows."""
    print("## Targets")
    print()
    print("| target | result | detail |")
    print("|---|---|---|")
    for name, ok, detail in targets:
        print(f"| {name} | {verdict(ok)} | {detail} |")


def sub(a, b):
    """`a - b`, or None when either is missing."""
    return None if a is None or b is None else a - b


def ratio(a, b):
    """`a / b`, or None when either is missing or `b` is not positive."""
    return None if a is None or b is None or b <= 0 else a / b


def fo(v):
    """An overhead in ns, signed, or a dash."""
    return "–" if v is None else f"{v:+.2f} ns"


def fr(r):
    """A ratio as `12.3x` (two decimals below 1), or a dash."""
    return "–" if r is None else (f"{r:.1f}x" if r >= 1 else f"{r:.2f}x")
