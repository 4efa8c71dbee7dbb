#!/usr/bin/env bash
# The REST API's OpenAPI schema and the TypeScript types generated from it.
#   bash scripts/schema.sh [python]           # regenerate schema/openapi.yaml and clients/typescript/api.d.ts, then tsc
#   bash scripts/schema.sh --check [python]   # fail when either committed file is stale, or when tsc fails
# The test command runs --check before pytest. Python: the argument, else $PY, else
# .venv/bin/python (scripts/test.sh creates it). Node: the machine's node and npm (scripts/test.sh
# installs Debian's when missing); the npm packages come from the lockfile in
# clients/typescript/ through `npm ci`.
source "$(dirname "$0")/_env.sh"

mode="write"
for arg in "$@"; do
  case "$arg" in
    --check) mode="check" ;;
    -*) echo "usage: bash scripts/schema.sh [--check] [python]" >&2; exit 2 ;;
    *) PY="$arg" ;;
  esac
done

SCHEMA=schema/openapi.yaml
CLIENT=clients/typescript
TYPES=$CLIENT/api.d.ts
REGENERATE="bash scripts/schema.sh"
PY="${PY:-$ROOT/.venv/bin/python}"
case "$PY" in
  /*) ;;
  */*) PY="$ROOT/$PY" ;;  # relative to the repository
  *) PY="$(command -v "$PY" || echo "$PY")" ;;  # a name on PATH (python3)
esac
if [ ! -x "$PY" ]; then
  echo "No Python at $PY: run bash scripts/test.sh once (it creates .venv), or name one:" \
    "bash scripts/schema.sh [--check] /path/to/python" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

ensure_node_packages "$CLIENT"
openapi_typescript() {  # schema file, output file
  # A property with a default is optional in a request (the server fills it):
  # drf-spectacular's *Request components say so, so defaults do not make it required.
  (cd "$CLIENT" && node_modules/.bin/openapi-typescript "$ROOT/$1" --output "$2" \
    --default-non-nullable false >/dev/null)
}
stale() {  # committed file, fresh file, what changed
  if ! diff -u "$1" "$2" >"$tmp/diff"; then
    echo "STALE: $1 differs from what $3 generates now (first lines of the diff below)." >&2
    head -n 40 "$tmp/diff" >&2
    echo "Regenerate it with: $REGENERATE   (then review and commit $SCHEMA and $TYPES)" >&2
    return 1
  fi
}

status=0
# (a) the schema drf-spectacular generates from the API as it is now.
if [ -f src/django_expense_ai/api/__init__.py ]; then
  if ! PYTHONPATH="$ROOT/src:$ROOT" DJANGO_SETTINGS_MODULE=tests.settings \
      "$PY" -m django spectacular --validate --fail-on-warn --file "$tmp/openapi.yaml"; then
    echo "drf-spectacular could not generate a valid schema without warnings (above): fix the API's" \
      "annotations; warnings are errors here" >&2
    exit 1
  fi
  if [ "$mode" = "write" ]; then
    mkdir -p "$(dirname "$SCHEMA")"
    cp "$tmp/openapi.yaml" "$SCHEMA"
    echo "wrote $SCHEMA"
  elif [ ! -f "$SCHEMA" ]; then
    echo "MISSING: $SCHEMA is not committed. Generate it with: $REGENERATE" >&2
    status=1
  elif stale "$SCHEMA" "$tmp/openapi.yaml" "drf-spectacular (the API's code)"; then
    echo "$SCHEMA is up to date"
  else
    status=1
  fi
else
  echo "skipped the schema: django_expense_ai.api is not in this checkout"
fi

# (b) the types openapi-typescript generates from the committed schema.
if [ -f "$SCHEMA" ]; then
  if [ "$mode" = "write" ]; then
    openapi_typescript "$SCHEMA" "$ROOT/$TYPES"
    echo "wrote $TYPES"
  else
    openapi_typescript "$SCHEMA" "$tmp/api.d.ts"
    if stale "$TYPES" "$tmp/api.d.ts" "openapi-typescript (from $SCHEMA)"; then
      echo "$TYPES is up to date"
    else
      status=1
    fi
  fi
else
  echo "skipped the types' drift check: no $SCHEMA in this checkout"
fi

# (c) the example client type-checks against the committed types.
if (cd "$CLIENT" && node_modules/.bin/tsc --noEmit -p .); then
  echo "tsc --noEmit: $CLIENT type-checks"
else
  echo "tsc --noEmit failed in $CLIENT: the API's types changed under client.ts; fix client.ts" >&2
  status=1
fi
exit $status
