"""The committed TypeScript types (``clients/typescript/api.d.ts``) cover the
committed OpenAPI schema (``schema/openapi.yaml``): every path and every
schema component is a key of the generated ``paths`` / ``components``.

A check that needs no Node: ``bash scripts/schema.sh --check`` (run by the test
command) compares the whole file with what openapi-typescript generates and
type-checks the client example; ``bash scripts/schema.sh`` regenerates both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema" / "openapi.yaml"
TYPES = ROOT / "clients" / "typescript" / "api.d.ts"
REGENERATE = "bash scripts/schema.sh"


@pytest.fixture
def schema() -> dict:
    if not SCHEMA.is_file():
        pytest.skip("schema/openapi.yaml is not in this checkout (it comes with django_expense_ai.api)")
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (drf-spectacular brings it)")
    return yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture
def types() -> str:
    assert TYPES.is_file(), f"clients/typescript/api.d.ts is not committed; generate it with: {REGENERATE}"
    return TYPES.read_text(encoding="utf-8")


def test_types_name_every_path_of_the_schema(schema, types):
    missing = [path for path in schema["paths"] if f'\n    "{path}": {{\n' not in types]
    assert not missing, f"api.d.ts lacks the paths {missing[:10]}: regenerate it with: {REGENERATE}"


def test_types_name_every_component_of_the_schema(schema, types):
    components = types[types.index("\nexport interface components {") :]
    missing = [name for name in schema["components"]["schemas"] if f"\n        {name}: " not in components]
    assert not missing, f"api.d.ts lacks the components {missing[:10]}: regenerate it with: {REGENERATE}"


def test_types_keep_money_a_decimal_string(schema, types):
    """The schema says money is a decimal string; the generated type must not turn it into a number."""
    amount = schema["components"]["schemas"]["Transaction"]["properties"]["amount"]
    assert amount["type"] == "string"
    transaction = types[types.index("\n        Transaction: {") :]
    transaction = transaction[: transaction.index("\n        };")]
    assert "\n            amount: string;" in transaction
