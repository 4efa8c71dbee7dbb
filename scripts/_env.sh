# Shared set-up for scripts/test.sh and scripts/demo.sh: find Python 3.12,
# create .venv, install the package with what the tests need. Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  # The test command covers Python 3.12 (with Django 6.1); tox covers the rest.
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  local root
  root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for version in 3.12 3.13 3.11 3.10; do
    if command -v "python$version" >/dev/null 2>&1 && "python$version" -c 'import sys' >/dev/null 2>&1; then
      command -v "python$version"; return
    fi
    # pyenv installs every version, but its shims answer only for the global one.
    for cand in "$root"/versions/"$version".*/bin/"python$version"; do
      if [ -x "$cand" ]; then echo "$cand"; return; fi
    done
  done
  echo "No Python 3.10-3.13 found; set PYTHON=/path/to/python3.12" >&2
  exit 1
}

ensure_system_packages() {
  local need=()
  # mysqlclient builds against libmariadb-dev through pkg-config.
  if ! pkg-config --exists libmariadb 2>/dev/null && ! pkg-config --exists mysqlclient 2>/dev/null; then
    need+=(libmariadb-dev pkg-config)
  fi
  # The browser tests drive Debian's Chromium through Playwright: browser builds
  # cannot be downloaded here, so `playwright install` is never run.
  if [ ! -x /usr/bin/chromium ]; then
    need+=(chromium)
  fi
  # npm installs axe-core (tests/browser/package-lock.json) for the accessibility checks.
  if ! command -v npm >/dev/null 2>&1; then
    need+=(nodejs npm)
  fi
  if [ ${#need[@]} -eq 0 ]; then
    return
  fi
  local sudo=""
  if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
  echo "Installing ${need[*]}..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
}

ensure_venv() {
  local extras="$1"
  local py
  py="$(find_python)"
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
  fi
  local stamp=".venv/.installed-$extras"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[$extras]"
    touch "$stamp"
  fi
}
