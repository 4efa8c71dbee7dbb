#!/usr/bin/env bash
# The demo: the example project on SQLite with demo data, served on 127.0.0.1:8000.
source "$(dirname "$0")/_env.sh"
ensure_venv "dev"
cd example_project
PY="$ROOT/.venv/bin/python"
$PY manage.py migrate --noinput
$PY manage.py load_demo_data
echo
echo "  Demo ready: open http://127.0.0.1:${PORT:-8000}/  and log in as  demo / demo"
echo "  Pages: chat, statements, merges, budgets, settings (the admin is at /admin/)."
echo "  alice and bob (password demo) share the Flatmates group with demo: type @alice \$50 lunch at pizza place."
echo "  Stop with Ctrl-C."
echo
exec $PY manage.py runserver "127.0.0.1:${PORT:-8000}"
