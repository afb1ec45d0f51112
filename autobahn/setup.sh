#!/usr/bin/env bash
# Install Autobahn|TestSuite (`wstest`, autobahntestsuite==25.10.1) into a Python 2.7 virtualenv outside the repo.
#
#   bash autobahn/setup.sh            # idempotent; prints `wstest -a` at the end
#   FERROWS_AUTOBAHN_HOME=/some/dir   # install location (default: ${XDG_CACHE_HOME:-$HOME/.cache}/ferrows/autobahn)
#   FERROWS_PY27=/path/to/python2.7   # interpreter (default: pyenv's 2.7.18, then python2.7 on PATH)
#
# Layout under $FERROWS_AUTOBAHN_HOME:
#   bootstrap/  virtualenv 20.15.1 (last release that runs on and creates Python 2 envs; seeds pip 20.3.4)
#   venv/       the Python 2.7 environment with wstest; venv/.ferrows-stamp marks a finished install
#
# Only PyPI is used. What is needed from the machine:
#   - CPython 2.7 with headers (Python.h). pyenv's 2.7.18 has them. Debian 12 has no python2 package.
#   - A C compiler: wsaccel 0.6.6 is an sdist and compiles. Debian packages: gcc libc6-dev
#     (installed below with apt-get when missing and running as root).
#   Everything else comes as cp27 manylinux wheels (Twisted 19.10.0, cryptography 3.3.2, ujson 2.0.3, cffi,
#   zope.interface) or pure-Python sdists.
# The exact versions are pinned in constraints-py27.txt next to this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home_dir="${FERROWS_AUTOBAHN_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/ferrows/autobahn}"
constraints="$here/constraints-py27.txt"
suite_version="25.10.1"
venv="$home_dir/venv"
stamp="$venv/.ferrows-stamp"

log() { printf '[autobahn/setup] %s\n' "$*" >&2; }

find_py27() {
  local cand root
  if [ -n "${FERROWS_PY27:-}" ]; then echo "$FERROWS_PY27"; return; fi
  root="$(pyenv root 2>/dev/null || true)"
  for cand in "${root:+$root/versions/2.7.18/bin/python2.7}" \
    "${PYENV_ROOT:+$PYENV_ROOT/versions/2.7.18/bin/python2.7}" \
    "$HOME/.pyenv/versions/2.7.18/bin/python2.7" /root/.pyenv/versions/2.7.18/bin/python2.7 \
    "$(command -v python2.7 2>/dev/null || true)"; do
    if [ -n "$cand" ] && [ -x "$cand" ]; then echo "$cand"; return; fi
  done
  return 1
}

py27="$(find_py27)" || {
  log "no CPython 2.7 found: set FERROWS_PY27 or install 2.7.18 with pyenv"
  exit 1
}
"$py27" -c 'import sys; assert sys.version_info[:2] == (2, 7), sys.version' || {
  log "$py27 is not Python 2.7"
  exit 1
}

want_stamp="suite=$suite_version py=$py27 constraints=$(sha256sum "$constraints" | cut -d' ' -f1)"

installed() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_stamp" ] && "$venv/bin/wstest" -a >/dev/null 2>&1
}

ensure_compiler() {
  if command -v gcc >/dev/null 2>&1 && [ -f /usr/include/stdio.h ]; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian packages: gcc libc6-dev"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null
  else
    log "a C compiler is needed (Debian: apt-get install gcc libc6-dev)"
    exit 1
  fi
}

install_suite() {
  local t0=$SECONDS
  ensure_compiler
  mkdir -p "$home_dir"
  export PIP_CACHE_DIR="$home_dir/pip-cache" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_PYTHON_VERSION_WARNING=1
  if [ ! -f "$home_dir/bootstrap/virtualenv/__init__.py" ]; then
    log "bootstrapping virtualenv 20.15.1 with $py27"
    rm -rf "$home_dir/bootstrap"
    "$py27" -m pip install -q --target "$home_dir/bootstrap" \
      virtualenv==20.15.1 distlib==0.4.4 filelock==3.2.1 platformdirs==2.0.2 six==1.17.0 \
      importlib-metadata==2.1.3 importlib-resources==3.3.1 pathlib2==2.3.7.post1 contextlib2==0.6.0.post1 \
      zipp==1.2.0 configparser==4.0.2 scandir==1.10.0 singledispatch==3.7.0 typing==3.10.0.0
  fi
  log "creating $venv"
  rm -rf "$venv"
  PYTHONPATH="$home_dir/bootstrap" "$py27" -m virtualenv -q --no-periodic-update --no-download \
    --app-data "$home_dir/virtualenv-app-data" "$venv"
  log "installing autobahntestsuite==$suite_version (pip $("$venv/bin/python" -m pip --version | cut -d' ' -f2))"
  "$venv/bin/python" -m pip install -q -c "$constraints" "autobahntestsuite==$suite_version"
  "$venv/bin/wstest" -a >/dev/null
  echo "$want_stamp" >"$stamp"
  log "installed in $((SECONDS - t0)) s"
}

mkdir -p "$home_dir"
exec 9>"$home_dir/.lock"
command -v flock >/dev/null 2>&1 && flock 9
if installed; then
  log "already installed in $venv"
else
  install_suite
fi
"$venv/bin/wstest" -a
