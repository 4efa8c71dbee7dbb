#!/usr/bin/env bash
# Regenerate the committed OpenAPI 3.1 schema of the REST API (schema/openapi.yaml).
# Usage: bash scripts/schema.sh [python]     (default: .venv/bin/python, else python3)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
PYTHONPATH=src:. "$PY" -m django spectacular --settings tests.settings --validate --fail-on-warn \
    --file schema/openapi.yaml
echo "wrote schema/openapi.yaml"
