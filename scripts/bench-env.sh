# Sourced by the bench scripts: exports what their reports say about the machine and the run.
#   bench_env STARTED COMMAND_LINE LOAD_BEFORE LOAD_AFTER
bench_env() {
  export BENCH_STARTED=$1 BENCH_COMMAND=$2 BENCH_LOAD="$3 (before) / $4 (after)"
  BENCH_CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  BENCH_NPROC=$(nproc)
  BENCH_MEM=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')
  BENCH_RUSTC=$(rustc --version)
  BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
  BENCH_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  export BENCH_CPU BENCH_NPROC BENCH_MEM BENCH_RUSTC BENCH_DATE BENCH_COMMIT
  export PYTHONPATH="$(dirname "${BASH_SOURCE[0]}")${PYTHONPATH:+:$PYTHONPATH}"
}
