"""A third-party plugin installed as a separate distribution, with no change to the library.

``tests/example_plugin`` (also the code of docs/plugins_tutorial.rst) is built
and installed with pip into a temporary directory, offline (``--no-index
--no-deps --no-build-isolation``); that directory is put on ``sys.path`` so
``importlib.metadata`` sees its ``.dist-info`` and entry point. Its parser then
reads a statement through ``read_statement`` and its provider is chosen in a
user's AISettings and called through ``ai.call_provider`` over real HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import subprocess
import sys
from decimal import Decimal
from importlib import metadata
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from django_expense_ai import plugins
from django_expense_ai.ai import calls as ai
from django_expense_ai.exceptions import ProviderAuthError
from django_expense_ai.models.swappable import ai_settings_for
from django_expense_ai.providers.registry import provider_names
from django_expense_ai.statements.reader import read_statement
from tests.fakeapi import OPENAI_PATH, FakeAPI, Reply, fake_api, openai_completion, openai_error  # noqa: F401

EXAMPLE = Path(__file__).resolve().parent / "example_plugin"
PLUGIN_KEY = "tk-selfhosted-ZXCVBNMASDFG-1357924680"
CARD = "5500 0000 0000 0004"
STATEMENT = f"EXAMPLE BANK  Karte {CARD}\n15.01.2024 KAFFEE -3,50\n"
ANSWER = '{"rows": [{"date": "2024-01-15", "description": "KAFFEE", "amount": "-3.50", "currency": "EUR"}], "confidence": 0.8}'
EXAMPLE_CSV = (
    b"Buchungstag;Verwendungszweck;Betrag;Waehrung\n"
    b"15.01.2024;KAFFEE AM MARKT;-3,50;EUR\n"
    b"31.01.2024;GEHALT JANUAR;2.500,00;eur\n"
    b"01.02.2024;MIETE;-1.234,56;EUR\n"
)


@pytest.fixture(scope="module")
def installed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tests/example_plugin`` built and installed into a fresh directory, offline."""
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in tests/.
    source = tmp_path_factory.mktemp("source") / "example_plugin"
    shutil.copytree(EXAMPLE, source)
    site = tmp_path_factory.mktemp("site")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--quiet",
        "--target",
        str(site),
        str(source),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"pip install failed:\n{done.stdout}\n{done.stderr}"
    return site


@pytest.fixture
def example_plugin(installed_site: Path, monkeypatch: pytest.MonkeyPatch):
    """The installed plugin visible to this test only."""
    monkeypatch.syspath_prepend(str(installed_site))
    plugins.reset()
    yield installed_site
    sys.modules.pop("expense_ai_example", None)
    plugins.reset()


def test_not_installed_means_not_there() -> None:
    assert "selfhosted" not in provider_names()
    assert not [ep for ep in metadata.entry_points(group="django_expense_ai") if ep.name == "example"]


def test_the_entry_point_is_discovered_from_the_installed_distribution(example_plugin: Path) -> None:
    (ep,) = [ep for ep in metadata.entry_points(group="django_expense_ai") if ep.name == "example"]
    assert ep.dist.name == "django-expense-ai-example" and ep.value == "expense_ai_example"

    row = {r["name"]: r for r in plugins.loaded_plugins()}["example"]

    assert row == {
        "name": "example",
        "origin": "entry point",
        "hooks": ["register_providers", "register_statement_parsers"],
        "distribution": "django-expense-ai-example",
        "version": "1.0.0",
    }
    # The installed copy is used, not the source beside this test.
    assert Path(sys.modules["expense_ai_example"].__file__).parent == example_plugin
    assert "selfhosted" in provider_names()


def test_the_plugin_parser_reads_its_bank_statement(example_plugin: Path) -> None:
    parsed = read_statement(EXAMPLE_CSV, "umsaetze.csv")

    assert parsed.parser == "example-bank" and parsed.currency == "EUR"
    assert [(r.date.isoformat(), r.description, r.amount, r.currency) for r in parsed.rows] == [
        ("2024-01-15", "KAFFEE AM MARKT", Decimal("-3.50"), "EUR"),
        ("2024-01-31", "GEHALT JANUAR", Decimal("2500.00"), "EUR"),
        ("2024-02-01", "MIETE", Decimal("-1234.56"), "EUR"),
    ]
    # Other CSV files still go to the built-in reader.
    generic = read_statement(
        b"date,description,amount\n2024-01-15,COFFEE,-3.50\n2024-01-16,TEA,-2.00\n", "x.csv"
    )
    assert generic.parser == "csv"


@pytest.fixture
def selfhosted_api(fake_api: FakeAPI, settings) -> FakeAPI:  # noqa: F811
    settings.EXPENSE_AI = {
        "AI_ENABLED": True,
        "PROVIDER_BASE_URLS": {"selfhosted": f"{fake_api.base_url}/v1"},
        "PROVIDER_TIMEOUT": 5.0,
    }
    settings.EXAMPLE_SELFHOSTED_API_KEY = PLUGIN_KEY  # the plugin's own setting
    return fake_api


@pytest.mark.django_db
def test_the_plugin_provider_is_chosen_and_called_through_the_service(
    example_plugin: Path, selfhosted_api: FakeAPI, user, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    selfhosted_api.script(OPENAI_PATH, Reply(200, openai_completion(ANSWER, usage=(21, 8))))
    row = ai_settings_for(user)
    row.active_parser_provider = "selfhosted"
    row.full_clean()  # a registered plugin provider is a valid choice
    row.save()
    ai.opt_in(user)

    result = ai.call_provider(user, "parse_statement", text=STATEMENT, currency_hint="EUR")

    (request,) = selfhosted_api.requests_to(OPENAI_PATH)
    assert request.headers["authorization"] == f"Bearer {PLUGIN_KEY}"
    assert request.json()["model"] == "llama3.1"  # the plugin's default
    assert CARD not in request.text and "0004" in request.text
    (entry,) = result.value
    assert (entry.description, entry.amount, entry.currency) == ("KAFFEE", Decimal("-3.50"), "EUR")
    details = ai.result_details(result)
    assert details["provider"] == "selfhosted"
    assert details["usage"] == {"input_tokens": 21, "output_tokens": 8, "total_tokens": 29}
    assert PLUGIN_KEY not in json.dumps(details) and PLUGIN_KEY not in caplog.text


@pytest.mark.django_db
def test_the_plugin_provider_refused_key_is_scrubbed(
    example_plugin: Path, selfhosted_api: FakeAPI, user, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    selfhosted_api.script(OPENAI_PATH, Reply(401, openai_error(f"bad key {PLUGIN_KEY}")))
    row = ai_settings_for(user)
    row.active_parser_provider = "selfhosted"
    row.save()
    ai.opt_in(user)

    with pytest.raises(ProviderAuthError) as info:
        ai.call_provider(
            user, "parse_chat", text="lunch 12", default_currency="EUR", today=dt.date(2024, 2, 1)
        )

    assert info.value.status_code == 401 and info.value.provider == "selfhosted"
    assert "bad key [REDACTED]" in str(info.value)
    statuses = ai.test_api_keys(row)
    assert statuses["selfhosted"]["kind"] == "auth"
    for text in (
        str(info.value),
        json.dumps(ai.error_details(info.value)),
        json.dumps(statuses),
        caplog.text,
    ):
        assert PLUGIN_KEY not in text


@pytest.mark.django_db
def test_key_check_of_the_plugin_provider(example_plugin: Path, selfhosted_api: FakeAPI, user) -> None:
    selfhosted_api.script(OPENAI_PATH, Reply(200, openai_completion('{"ok": true}')))
    row = ai_settings_for(user)
    row.active_parser_provider = "selfhosted"
    row.save()

    assert ai.test_api_keys(row) == {"selfhosted": {"status": "ok"}}


def test_the_plugins_command_lists_the_distribution(example_plugin: Path) -> None:
    out = StringIO()

    call_command("expense_ai_plugins", stdout=out)

    text = out.getvalue()
    assert "example  [entry point]  django-expense-ai-example 1.0.0" in text
    assert "example-bank" in text and "selfhosted" in text
