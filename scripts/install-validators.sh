#!/usr/bin/env bash
# Installs the third-party programs the test suite checks our output with:
#   - promtool (Debian package `prometheus`): Prometheus text format 0.0.4 syntax and lint;
#   - the official Python client's OpenMetrics 1.0 parser (PyPI `prometheus-client`), in a venv;
#   - Rotel, a real OpenTelemetry collector (OTLP over gRPC and HTTP): its `rotel-agent` binary
#     ships inside the PyPI wheel `rotel`, installed into the same venv. The binary embeds the
#     system's Python 3.11 (Debian `libpython3.11`) to run the test's processor plugin
#     (tests/collector/), which writes what the collector receives to files for the tests to read.
# Idempotent: a second run does nothing but check. Used by scripts/test.sh, .ci/run and the README.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/target/validators-venv"
rotel_version=0.0.1a15
prometheus_client_version=0.26.0

deb_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

need_apt=()
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
deb_installed libpython3.11 || need_apt+=(libpython3.11)
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"

# Installed version of a PyPI distribution in the venv, or nothing.
py_version() {
  "$venv/bin/python" -c 'import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass' "$1"
}

need_pip=()
[ "$(py_version prometheus-client)" = "$prometheus_client_version" ] ||
  need_pip+=("prometheus-client==$prometheus_client_version")
[ "$(py_version rotel)" = "$rotel_version" ] || need_pip+=("rotel==$rotel_version")
if [ ${#need_pip[@]} -gt 0 ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${need_pip[@]}"
fi

rotel_agent=$("$venv/bin/python" -c 'import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), "rotel-agent"))')
[ -x "$rotel_agent" ] || { echo "rotel-agent missing at $rotel_agent" >&2; exit 1; }

promtool --version 2>&1 | head -n 1
"$venv/bin/python" -c 'import prometheus_client, sys; print("prometheus-client", prometheus_client.__version__ if hasattr(prometheus_client, "__version__") else "installed", "in", sys.prefix)'
echo "rotel $(py_version rotel) (rotel-agent $("$rotel_agent" version)) at $rotel_agent"
