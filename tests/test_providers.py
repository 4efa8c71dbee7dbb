"""Unit tests of the provider layer: scrubbing, masking, validation, the fake, the registry.

HTTP behaviour of the real vendors is in test_providers_http.py.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib.util
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from django_expense_ai import hookimpl, plugins
from django_expense_ai.exceptions import (
    ConfigurationError,
    ProviderAuthError,
    ProviderError,
    ProviderNotInstalled,
    ProviderResponseError,
    ProviderUnavailable,
    UnknownProvider,
)
from django_expense_ai.providers import (
    ChatEntry,
    Provider,
    ProviderResult,
    get_provider,
    mask_account_numbers,
    parse_json,
    provider_choices,
    provider_names,
    registry,
    scrub,
    validate_budget,
    validate_chat,
    validate_statement,
)
from django_expense_ai.providers.claude import ClaudeProvider
from django_expense_ai.providers.fake import FakeProvider, equal_split
from django_expense_ai.providers.gemini import GeminiProvider
from django_expense_ai.providers.openai import OpenAIProvider
from django_expense_ai.statements.types import StatementRow

PROVIDERS_DIR = Path(__file__).resolve().parents[1] / "src" / "django_expense_ai" / "providers"
KEY = "tk-live-QWERTYUIOPASDFGH-9876543210"


# -- scrub -------------------------------------------------------------------


def test_scrub_removes_whole_key() -> None:
    assert scrub(f"bad key {KEY}!", [KEY]) == "bad key [REDACTED]!"


@pytest.mark.parametrize(
    "fragment",
    [KEY[:6], KEY[:12], KEY[-6:], KEY[5:17], f"{KEY[:8]}...{KEY[-6:]}"],
    ids=["prefix6", "prefix12", "suffix6", "middle", "quoted-ends"],
)
def test_scrub_removes_fragments_of_six_or_more(fragment: str) -> None:
    out = scrub(f"Incorrect API key provided: {fragment}. Try again.", [KEY])

    assert "[REDACTED]" in out
    for size in (6, 7, 8):
        for i in range(len(KEY) - size + 1):
            assert KEY[i : i + size] not in out


def test_scrub_keeps_short_fragments_and_unrelated_text() -> None:
    text = f"code {KEY[:5]} and {KEY[-4:]} are too short to identify the key"
    assert scrub(text, [KEY]) == text


def test_scrub_vendor_looking_tokens_without_being_told() -> None:
    text = "keys: sk-proj-abc123DEF456ghi, sk-ant-api03-XYZxyz987, AIzaSyA1234567890abcdefg end"

    out = scrub(text, [])

    assert "sk-proj" not in out and "sk-ant" not in out and "AIza" not in out
    assert out.startswith("keys: [REDACTED], [REDACTED], [REDACTED] end")


def test_scrub_ignores_empty_secrets_and_short_secret_is_removed_whole() -> None:
    assert scrub("nothing here", [None, ""]) == "nothing here"
    assert scrub("pin abc12 ok", ["abc12"]) == "pin [REDACTED] ok"
    assert scrub("", [KEY]) == ""


def test_scrub_several_secrets() -> None:
    other = "ZXCVBNMLKJHGF"
    assert scrub(f"{KEY} / {other}", [KEY, other]) == "[REDACTED] / [REDACTED]"


# -- mask_account_numbers ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Card 4111 1111 1111 1234 used", "Card **** **** **** 1234 used"),
        ("Card 4111-1111-1111-1234", "Card ****-****-****-1234"),
        ("Amex 3782 822463 10005", "Amex **** ****** *0005"),
        ("Acct 12345678", "Acct ****5678"),
        ("Acct no.00123456789012", "Acct no.**********9012"),
        ("IBAN DE89370400440532013000", "IBAN DE****************3000"),
    ],
)
def test_mask_account_numbers(text: str, expected: str) -> None:
    assert mask_account_numbers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15 COFFEE -3.50",
        "15-01-2024 rent 1250.00",
        "Balance 12345678.90",  # an amount, not an account
        "ref 1234567 ok",  # 7 digits
        "phone 12 34 56 78",  # short groups
        "1,234,567.89",
    ],
)
def test_mask_leaves_dates_amounts_and_short_numbers(text: str) -> None:
    assert mask_account_numbers(text) == text


# -- parsing and validation --------------------------------------------------


def test_parse_json_never_makes_floats() -> None:
    data = parse_json('```json\n{"amount": 12.10, "n": 3, "x": [1e2]}\n```')

    assert data == {"amount": Decimal("12.10"), "n": 3, "x": [Decimal("1E+2")]}
    assert str(data["amount"]) == "12.10"
    with pytest.raises(ValueError):
        parse_json("not json")


def test_validate_statement_builds_rows_and_drops_unknown_fields() -> None:
    data = parse_json(
        '{"transactions": [{"date": "2024-02-29", "description": " Shop ", "amount": -10.05, '
        '"currency": null, "balance": "", "category": "food", "bank_id": "HACK"}], "confidence": 1.7}'
    )

    rows, confidence = validate_statement(data, currency_hint="gbp")

    assert rows == [
        StatementRow(date=dt.date(2024, 2, 29), description="Shop", amount=Decimal("-10.05"), currency="GBP")
    ]
    assert rows[0].bank_id == ""  # not settable by the model
    assert confidence == 1.0  # clamped


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ({"date": "2024-01-01", "description": "x", "amount": 1.5}, "amount"),  # a Python float
        ({"date": "2024-01-01", "description": "x", "amount": "12,50"}, "amount"),
        ({"date": "2024-01-01", "description": "x", "amount": True}, "amount"),
        ({"date": "2024-13-01", "description": "x", "amount": "1"}, "date"),
        ({"date": 20240101, "description": "x", "amount": "1"}, "date"),
        ({"date": "2024-01-01", "description": "", "amount": "1"}, "description"),
        ({"date": "2024-01-01", "description": "x", "amount": "1", "currency": "XXXX"}, "currency"),
        ({"date": "2024-01-01", "description": "x", "amount": "NaN"}, "amount"),
    ],
)
def test_validate_statement_rejects_bad_rows(row: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=rf"rows\[0\]\.{needle}"):
        validate_statement({"rows": [row]})


def test_validate_statement_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError, match="rows"):
        validate_statement({"items": []})
    with pytest.raises(ValueError, match="expected an object"):
        validate_statement({"rows": ["a row"]})


def test_validate_chat_defaults_and_types() -> None:
    today = dt.date(2024, 5, 5)

    entry, confidence = validate_chat(
        {"amount": "-7.5", "description": "bus", "extra": 1}, default_currency="eur", today=today
    )

    assert entry == ChatEntry(
        amount=Decimal("7.5"), currency="EUR", description="bus", category="", date=today, confidence=0.5
    )
    assert confidence == 0.5
    with pytest.raises(ValueError, match="is_income"):
        validate_chat({"is_income": "yes"}, default_currency="USD", today=today)
    with pytest.raises(ValueError, match="mentions"):
        validate_chat({"mentions": "Ana"}, default_currency="USD", today=today)
    assert validate_chat({"amount": None}, default_currency="USD", today=today)[0].amount is None


def test_validate_budget() -> None:
    allocations, _ = validate_budget(
        parse_json('{"allocations": {"a": 33.33, "b": "33.33", "c": 33.33, "zzz": 50}}'),
        categories=["a", "b", "c"],
    )

    assert allocations == {"a": Decimal("33.33"), "b": Decimal("33.33"), "c": Decimal("33.33")}  # 99.99 is OK
    assert all(type(v) is Decimal for v in allocations.values())


@pytest.mark.parametrize(
    ("allocations", "needle"),
    [
        ({"a": "60", "b": "39.98"}, "add up to 99.98"),
        ({"a": "110", "b": "-10"}, "negative"),
        ({"a": 50.0, "b": 50.0}, "float"),
        ("fifty-fifty", "allocations"),
    ],
)
def test_validate_budget_rejects(allocations: Any, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        validate_budget({"allocations": allocations}, categories=["a", "b"])


# -- the base class's steps, with a scripted send() --------------------------


class ScriptedProvider(Provider):
    """A provider whose send() returns or raises what the test says."""

    name = "scripted"
    label = "Scripted"
    extra = "scripted"

    def __init__(self, answer: Any = "") -> None:
        super().__init__()
        self.answer = answer
        self.sent: list[Any] = []

    def send(self, messages, *, api_key, model, json_schema=None):
        self.sent.append((messages, model, json_schema))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer, {"input_tokens": 3, "output_tokens": 4}


@pytest.fixture
def ai_on(settings) -> None:
    settings.EXPENSE_AI = {"AI_ENABLED": True, "DEFAULT_MODELS": {"scripted": "s-1"}}


def test_ai_disabled_refuses_before_sending(settings) -> None:
    settings.EXPENSE_AI = {"AI_ENABLED": False}
    provider = ScriptedProvider('{"rows": []}')

    with pytest.raises(ProviderUnavailable, match="AI_ENABLED"):
        provider.parse_statement("x", api_key=KEY)

    assert provider.sent == []


@pytest.mark.usefixtures("ai_on")
def test_result_fields_and_default_model() -> None:
    provider = ScriptedProvider('{"allocations": {"a": "100"}, "confidence": 0.25}')

    result = provider.suggest_budget(
        api_key=KEY,
        monthly_income=Decimal("10"),
        currency="USD",
        categories=["a"],
        context={"spent": Decimal("1.50")},
    )

    assert result == ProviderResult(
        value={"a": Decimal("100")},
        confidence=0.25,
        raw_response=result.raw_response,
        model="s-1",
        provider="scripted",
        latency_ms=result.latency_ms,
        usage={"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
    )
    messages, model, schema = provider.sent[0]
    assert model == "s-1" and "allocations" in schema["properties"]
    assert '"spent": "1.50"' in messages[1]["content"]  # Decimal context serialised as a string


@pytest.mark.usefixtures("ai_on")
def test_statement_text_is_masked_before_send() -> None:
    provider = ScriptedProvider('{"rows": []}')

    provider.parse_statement("card 5500 0000 0000 0004", api_key=KEY, model="m")

    sent_text = " ".join(m["content"] for m in provider.sent[0][0])
    assert "5500 0000" not in sent_text and "**** **** **** 0004" in sent_text


@pytest.mark.usefixtures("ai_on")
def test_malformed_output_raises_with_scrubbed_raw_response() -> None:
    provider = ScriptedProvider(f"I cannot do that, {KEY}")

    with pytest.raises(ProviderResponseError) as info:
        provider.parse_chat("x", api_key=KEY, default_currency="USD", today=dt.date(2024, 1, 1))

    assert info.value.raw_response == "I cannot do that, [REDACTED]"
    assert info.value.provider == "scripted" and info.value.kind == "malformed"


@pytest.mark.usefixtures("ai_on")
def test_values_come_from_the_answer_and_only_raw_response_is_scrubbed() -> None:
    answer = '{"rows": [{"date": "2024-01-01", "description": "sk-transfer-991234 REF", "amount": "-1"}]}'
    provider = ScriptedProvider(answer)

    result = provider.parse_statement("x", api_key=KEY)

    assert result.value[0].description == "sk-transfer-991234 REF"  # data is not rewritten
    assert "sk-transfer" not in result.raw_response  # what is stored/shown is


@pytest.mark.usefixtures("ai_on")
def test_sdk_errors_are_translated_scrubbed_and_not_chained() -> None:
    provider = ScriptedProvider(RuntimeError(f"boom with {KEY[:9]}"))

    with pytest.raises(ProviderError) as info:
        provider.parse_statement("x", api_key=KEY)

    assert KEY[:9] not in str(info.value) and "[REDACTED]" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.usefixtures("ai_on")
def test_provider_errors_raised_in_send_are_scrubbed_too() -> None:
    err = ProviderAuthError(f"no: {KEY}", status_code=401)
    provider = ScriptedProvider(err)

    with pytest.raises(ProviderAuthError) as info:
        provider.parse_statement("x", api_key=KEY)

    assert KEY not in str(info.value)
    assert info.value.status_code == 401 and info.value.provider == "scripted"


def test_timeout_like_exceptions_by_class_name() -> None:
    class ReadTimeout(Exception):  # noqa: N818 - named like httpx's, which is the point
        pass

    provider = ScriptedProvider("")
    assert provider.translate_error(ReadTimeout(), model="m").kind == "timeout"
    assert provider.translate_error(ConnectionRefusedError(), model="m").kind == "connection"


# -- missing SDKs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_class", "module", "extra"),
    [
        (OpenAIProvider, "openai", "openai"),
        (ClaudeProvider, "anthropic", "anthropic"),
        (GeminiProvider, "google.genai", "gemini"),
    ],
)
def test_missing_sdk_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, settings, provider_class, module, extra
) -> None:
    settings.EXPENSE_AI = {"AI_ENABLED": True}
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` fail

    with pytest.raises(ProviderNotInstalled) as info:
        provider_class().parse_statement("x", api_key=KEY, model="m")

    assert f'pip install "django-expense-ai[{extra}]"' in str(info.value)
    assert isinstance(info.value, ConfigurationError)
    assert isinstance(info.value, ImportError)  # as anymail's "improperly installed" error is
    assert info.value.kind == "not_installed"


def test_provider_modules_import_no_sdk_and_no_orm() -> None:
    code = (
        "import sys, django_expense_ai.providers.builtin, django_expense_ai.providers;"
        "bad = [m for m in ('openai', 'anthropic', 'google.genai', 'django.db.models') if m in sys.modules];"
        "print(bad)"
    )
    src = str(PROVIDERS_DIR.parents[1])
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": src}
    ).stdout
    assert out.strip() == "[]"


def test_providers_never_import_models_or_the_orm() -> None:
    for path in PROVIDERS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith("django.db"), f"{path.name} imports {name}"
                assert name not in ("models",) and ".models" not in name, f"{path.name} imports {name}"


# -- the fake provider -------------------------------------------------------


@pytest.fixture
def fake() -> Any:
    FakeProvider.reset()
    yield FakeProvider()
    FakeProvider.reset()


def test_fake_returns_queued_values_and_records_calls(fake: FakeProvider, settings) -> None:
    settings.EXPENSE_AI = {"AI_ENABLED": False}  # the fake sends nothing, so it is not gated
    row = StatementRow(date=dt.date(2024, 1, 1), description="A", amount=Decimal("-1.00"))
    FakeProvider.queue([row], ProviderAuthError("refused", status_code=401))

    result = fake.parse_statement("card 4111111111111111", api_key=KEY, model="m", currency_hint="USD")
    with pytest.raises(ProviderAuthError):
        fake.parse_chat("x", api_key=KEY, default_currency="USD", today=dt.date(2024, 1, 1))

    assert result.value == [row] and result.provider == "fake" and result.model == "m"
    assert [c.method for c in FakeProvider.calls] == ["parse_statement", "parse_chat"]
    first = FakeProvider.calls[0]
    assert first.kwargs == {
        "text": "card 4111111111111111",
        "api_key": KEY,
        "model": "m",
        "currency_hint": "USD",
    }
    assert "************1111" in first.messages[1]["content"]  # what would have been sent is masked


def test_fake_string_answers_go_through_validation(fake: FakeProvider) -> None:
    FakeProvider.queue('{"rows": [{"date": "2024-01-02", "description": "B", "amount": 2.50}]}', "nonsense")

    rows = fake.parse_statement("x", api_key=KEY).value
    with pytest.raises(ProviderResponseError) as info:
        fake.parse_statement("x", api_key=KEY)

    assert rows[0].amount == Decimal("2.50")
    assert info.value.raw_response == "nonsense"


def test_fake_defaults_when_queue_is_empty(fake: FakeProvider) -> None:
    today = dt.date(2024, 6, 1)

    assert fake.parse_statement("x", api_key=KEY).value == []
    entry = fake.parse_chat("hello", api_key=KEY, default_currency="EUR", today=today).value
    budget = fake.suggest_budget(
        api_key=KEY, monthly_income=Decimal("1"), currency="EUR", categories=["a", "b", "c"]
    ).value
    fake.test_key(api_key=KEY)

    assert entry == ChatEntry(
        amount=None, currency="EUR", description="hello", category="", date=today, confidence=0.0
    )
    assert budget == {"a": Decimal("33.34"), "b": Decimal("33.33"), "c": Decimal("33.33")}
    assert len(FakeProvider.calls) == 4


def test_fake_exception_classes_results_and_test_key(fake: FakeProvider) -> None:
    canned = ProviderResult(
        value=[], confidence=0.1, raw_response="r", model="x", provider="fake", latency_ms=5
    )
    FakeProvider.queue(canned, ProviderAuthError, ProviderAuthError("nope"))

    assert fake.parse_statement("x", api_key=KEY) is canned
    with pytest.raises(ProviderAuthError, match="FakeProvider raised"):
        fake.parse_statement("x", api_key=KEY)
    with pytest.raises(ProviderAuthError, match="nope"):
        fake.test_key(api_key=KEY)


def test_fake_state_is_shared_by_instances(fake: FakeProvider) -> None:
    FakeProvider.queue([])
    FakeProvider().parse_statement("x", api_key=KEY)
    assert len(fake.calls) == 1


@pytest.mark.parametrize("n", [1, 2, 3, 6, 7, 11])
def test_equal_split_adds_up(n: int) -> None:
    split = equal_split([f"c{i}" for i in range(n)])
    assert sum(split.values()) == 100
    assert validate_budget({"allocations": split}, categories=list(split))[0] == split


# -- registry ----------------------------------------------------------------


@pytest.fixture
def clean_plugins(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh plugin manager; built-in plugin modules other engineers have not
    written yet are left out, so these tests only depend on the provider plugin."""
    present = tuple(p for p in plugins.DEFAULT_PLUGINS if importlib.util.find_spec(p) is not None)
    monkeypatch.setattr(plugins, "DEFAULT_PLUGINS", present)
    plugins.reset()
    yield plugins
    plugins.reset()


@pytest.mark.usefixtures("clean_plugins")
def test_registry_names_and_choices() -> None:
    assert provider_names() == ["claude", "fake", "gemini", "openai"]
    choices = provider_choices()
    assert choices[0] == ("system", "System Parser")
    assert dict(choices)["openai"] == "OpenAI"
    assert isinstance(get_provider("gemini"), GeminiProvider)
    assert get_provider("fake") is get_provider("fake")  # one shared instance per name


@pytest.mark.usefixtures("clean_plugins")
def test_unknown_provider() -> None:
    with pytest.raises(UnknownProvider, match="known: claude, fake, gemini, openai"):
        get_provider("mistral")
    with pytest.raises(ConfigurationError):
        get_provider("system")


class _LocalProvider(ScriptedProvider):
    name = "local"
    label = "Local LLM"


class _Plugin:
    @hookimpl
    def register_providers(self, register):
        register(_LocalProvider)


def test_a_plugin_adds_a_provider_and_reset_forgets_it(clean_plugins) -> None:
    provider_names()  # build and cache without the plugin
    pm = clean_plugins.get_plugin_manager()
    plugin = _Plugin()
    pm.register(plugin)
    registry.clear()
    try:
        assert "local" in provider_names()
        assert ("local", "Local LLM") in provider_choices()
    finally:
        pm.unregister(plugin)
    clean_plugins.reset()  # the on_reset callback clears the registry's cache
    assert "local" not in provider_names()


def test_duplicate_and_invalid_registrations_fail_loudly(clean_plugins) -> None:
    class Duplicate(_LocalProvider):
        name = "openai"

    class NotAProvider:
        name = "x"

    pm = clean_plugins.get_plugin_manager()
    for bad, needle in ((Duplicate, "Two providers"), (NotAProvider, "Provider subclass")):

        class BadPlugin:
            @hookimpl
            def register_providers(self, register, _bad=bad):
                register(_bad)

        plugin = BadPlugin()
        pm.register(plugin)
        registry.clear()
        try:
            with pytest.raises(ConfigurationError, match=needle):
                provider_names()
        finally:
            pm.unregister(plugin)
            registry.clear()
