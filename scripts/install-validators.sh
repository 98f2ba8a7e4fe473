#!/usr/bin/env bash
# Installs the third-party programs the test suite checks our output with:
#   - promtool (Debian package `prometheus`): Prometheus text format 0.0.4 syntax and lint;
#   - the official Python client's OpenMetrics 1.0 parser (PyPI `prometheus-client`), in a venv.
# Idempotent: a second run does nothing but check. Used by scripts/test.sh, .ci/run and the README.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/target/validators-venv"

need_apt=()
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! "$venv/bin/python" -c 'import prometheus_client.openmetrics.parser' >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'prometheus-client==0.26.0'
fi

promtool --version 2>&1 | head -n 1
"$venv/bin/python" -c 'import prometheus_client, sys; print("prometheus-client", prometheus_client.__version__ if hasattr(prometheus_client, "__version__") else "installed", "in", sys.prefix)'
