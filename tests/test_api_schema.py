"""The committed OpenAPI schema is the one the code generates, and it describes errors as problems."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

pytest.importorskip("drf_spectacular", reason="the [api] extra is not installed")

SCHEMA = Path(__file__).resolve().parents[1] / "schema" / "openapi.yaml"


def test_committed_schema_is_current(tmp_path):
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    assert out.read_text() == SCHEMA.read_text(), "run: bash scripts/schema.sh"


def test_schema_is_3_1_with_problem_details_and_string_money():
    import yaml

    schema = yaml.safe_load(SCHEMA.read_text())
    assert schema["openapi"] == "3.1.0"
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    amount = schema["components"]["schemas"]["Transaction"]["properties"]["amount"]
    assert amount["type"] == "string" and amount["format"] == "decimal"
    upload = schema["paths"]["/api/expense-ai/statements/"]["post"]["responses"]
    assert {"201", "202", "413"} <= set(upload)
    assert "password" not in schema["components"]["schemas"]["StatementPassword"]["properties"]
    assert "openai_api_key" not in schema["components"]["schemas"]["AISettings"]["properties"]
