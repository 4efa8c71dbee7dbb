#!/usr/bin/env bash
# The test command: lint, layer contracts, types (mypy), migrations drift, docs, the API schema and TypeScript
# types drift (scripts/schema.sh --check), then the suite on SQLite,
# PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306). The browser tests
# (tests/browser: Playwright driving /usr/bin/chromium against a live server)
# run in the PostgreSQL pass and skip, saying so, on the others.
#   bash scripts/test.sh            # everything
#   DBS="sqlite" bash scripts/test.sh -k splits   # a subset; extra args go to pytest
source "$(dirname "$0")/_env.sh"

ensure_system_packages
ensure_venv "dev,postgres,mysql"
# axe-core for the browser tests' accessibility checks, exactly as locked.
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ] \
   || [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund --loglevel=error
fi
PY=.venv/bin/python
export PYTHONPATH="$ROOT/src:$ROOT"

wait_for() {  # name, command
  for _ in $(seq 1 30); do
    if eval "$2" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "$1 is not answering" >&2; return 1
}
start_services() {
  if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    wait_for PostgreSQL "pg_isready -h 127.0.0.1 -p 5432"
  fi
  if ! mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    wait_for MariaDB "mysqladmin -h 127.0.0.1 -u root ping"
  fi
  if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
}

echo "== ruff"
.venv/bin/ruff check src tests example_project benchmarks

echo "== import contracts (the layers: lint-imports reads [tool.importlinter] in pyproject.toml)"
.venv/bin/lint-imports pyproject.toml

echo "== mypy (src/, every function annotated: [tool.mypy] in pyproject.toml)"
.venv/bin/mypy

echo "== makemigrations --check (library, bare host)"
DJANGO_SETTINGS_MODULE=tests.settings $PY -m django makemigrations --check --dry-run
echo "== makemigrations --check (example project, every model swapped)"
(cd example_project && $ROOT/.venv/bin/python manage.py makemigrations --check --dry-run)

echo "== docs (warnings are errors)"
.venv/bin/sphinx-build -E -q -W --keep-going -b html docs docs/_build/html

echo "== OpenAPI schema and TypeScript types (drift, tsc --noEmit)"
bash scripts/schema.sh --check

start_services
status=0
for db in ${DBS:-sqlite postgres mariadb}; do
  echo "== pytest on $db"
  EXPENSE_AI_TEST_DB=$db .venv/bin/pytest -p no:cacheprovider "$@" || status=1
done
exit $status
