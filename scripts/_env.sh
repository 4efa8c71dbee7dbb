# Shared set-up for scripts/test.sh, scripts/demo.sh and scripts/schema.sh: find Python 3.12,
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
  # mysqlclient builds against libmariadb-dev through pkg-config; the TypeScript
  # types are generated and checked with Node.js and npm (Debian's, when missing),
  # which also install axe-core for the accessibility checks; the browser tests
  # drive Debian's Chromium through Playwright (browser builds cannot be
  # downloaded here, so `playwright install` is never run).
  local missing=()
  if ! pkg-config --exists libmariadb 2>/dev/null && ! pkg-config --exists mysqlclient 2>/dev/null; then
    missing+=(libmariadb-dev pkg-config)
  fi
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  local sudo=""
  if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
  echo "Installing ${missing[*]} from Debian's packages..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_node_packages() {
  # The npm packages pinned by $1/package-lock.json, installed by `npm ci` when
  # node_modules is missing or older than the lockfile. Install scripts are off:
  # none of these packages needs one.
  local dir="$1"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "Node.js and npm are needed (Debian: apt-get install nodejs npm; bash scripts/test.sh installs them)" >&2
    exit 1
  fi
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 18 || (a === 18 && b >= 17) ? 0 : 1)'; then
    echo "Node.js $(node --version) is too old: openapi-typescript needs 18.17 or newer" >&2
    exit 1
  fi
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
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
