"""The AI service layer: consent, keys at call time, masking, scrubbing, key tests.

Built-in vendors run over real HTTP against tests/fakeapi.py; consent rules
are tested with a small plugin provider that records what it would send.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from decimal import Decimal
from io import StringIO
from typing import Any, ClassVar

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from django_expense_ai import hookimpl
from django_expense_ai.ai import calls as ai
from django_expense_ai.exceptions import (
    ProviderAuthError,
    ProviderError,
    ProviderNotInstalled,
    ProviderUnavailable,
)
from django_expense_ai.models.swappable import ai_settings_for, get_ai_settings_model
from django_expense_ai.providers import prompts
from django_expense_ai.providers.base import Provider
from django_expense_ai.providers.fake import FakeProvider
from django_expense_ai.providers.gemini import GeminiProvider
from django_expense_ai.providers.registry import get_provider
from tests.fakeapi import (  # noqa: F401  (fake_api is a fixture)
    ANTHROPIC_PATH,
    OPENAI_PATH,
    FakeAPI,
    Reply,
    anthropic_error,
    anthropic_message,
    fake_api,
    gemini_error,
    gemini_path,
    gemini_response,
    openai_completion,
    openai_error,
)

pytestmark = pytest.mark.django_db

# Shaped like no vendor's key, so only the "fragment of the key" rule can scrub them.
OPENAI_KEY = "tk-live-OPENAIOPENAI-1234567890"
CLAUDE_KEY = "tk-live-CLAUDECLAUDE-0987654321"
GEMINI_KEY = "tk-live-GEMINIGEMINI-5555511111"
KEYS = (OPENAI_KEY, CLAUDE_KEY, GEMINI_KEY)
CARD = "4111 1111 1111 1111"
STATEMENT = f"ACME BANK  Card {CARD}\n2024-01-15 COFFEE SHOP -3.50\n"
ROWS_ANSWER = (
    '{"rows": [{"date": "2024-01-15", "description": "COFFEE SHOP", "amount": "-3.50"}], "confidence": 0.9}'
)
CHAT_ANSWER = (
    '{"amount": "12.00", "currency": "EUR", "description": "lunch", "category": "food", '
    '"date": "2024-02-01", "is_income": false, "mentions": [], "confidence": 0.8}'
)
BUDGET_ANSWER = '{"allocations": {"food": "60", "rent": "40"}, "confidence": 0.7}'


def _no_key_in(*texts: str) -> None:
    for text in texts:
        for key in KEYS:
            assert key not in text
            assert key[-12:] not in text  # nor a recognisable fragment


# -- a plugin provider that records what would leave the site ----------------------


class RecordingProvider(Provider):
    """Sends nothing; remembers the messages, key and model it was given."""

    name = "recorder"
    label = "Recorder"
    sent: ClassVar[list[dict[str, Any]]] = []
    answers: ClassVar[dict[int, str]] = {
        id(prompts.STATEMENT_SCHEMA): ROWS_ANSWER,
        id(prompts.CHAT_SCHEMA): CHAT_ANSWER,
        id(prompts.BUDGET_SCHEMA): BUDGET_ANSWER,
    }

    def send(self, messages, *, api_key, model, json_schema=None):
        self.sent.append({"messages": messages, "api_key": api_key, "model": model})
        return self.answers.get(id(json_schema), '{"ok": true}'), {"input_tokens": 5, "output_tokens": 2}


class RecorderPlugin:
    @hookimpl
    def register_providers(self, register):
        register(RecordingProvider)


@pytest.fixture
def recorder(register_plugin, user, settings) -> type[RecordingProvider]:
    """The recorder registered and chosen by ``user``; AI on for the site."""
    settings.EXPENSE_AI = {"AI_ENABLED": True}
    RecordingProvider.sent = []
    register_plugin(RecorderPlugin())
    row = ai_settings_for(user)
    row.active_parser_provider = "recorder"
    row.save()
    return RecordingProvider


CALLS = {
    "parse_statement": {"text": STATEMENT},
    "parse_chat": {"text": "lunch 12 eur", "default_currency": "EUR", "today": dt.date(2024, 2, 1)},
    "suggest_budget": {
        "monthly_income": Decimal("3000.00"),
        "currency": "EUR",
        "categories": ["food", "rent"],
        "context": {},
    },
}


# -- consent ---------------------------------------------------------------------------


def test_the_system_parser_is_not_a_provider(user, settings) -> None:
    settings.EXPENSE_AI = {"AI_ENABLED": True}

    with pytest.raises(ProviderUnavailable, match="system parser"):
        ai.call_provider(user, "parse_statement", text=STATEMENT)


@pytest.mark.parametrize("method", sorted(CALLS))
def test_ai_disabled_for_the_site_refuses_every_call(recorder, user, settings, method) -> None:
    ai.opt_in(user)
    settings.EXPENSE_AI = {"AI_ENABLED": False}

    with pytest.raises(ProviderUnavailable) as info:
        ai.call_provider(user, method, **CALLS[method])

    assert info.value.kind == "disabled" and "AI_ENABLED" in str(info.value)
    assert recorder.sent == []


def test_the_site_switch_is_one_check_with_one_message(recorder, user, settings) -> None:
    ai.opt_in(user)
    settings.EXPENSE_AI = {"AI_ENABLED": False}

    with pytest.raises(ProviderUnavailable) as service:
        ai.call_provider(user, "parse_chat", **CALLS["parse_chat"])
    with pytest.raises(ProviderUnavailable) as direct:  # a provider called without the service
        recorder().parse_chat(api_key="", **CALLS["parse_chat"])

    assert str(service.value) == str(direct.value)
    assert 'EXPENSE_AI["AI_ENABLED"]' in str(service.value) and "nothing was sent to Recorder" in str(service.value)


def test_a_provider_cannot_switch_the_site_gate_off_for_the_service(register_plugin, user, settings) -> None:
    class Careless(RecordingProvider):
        name = "careless"

        def check_enabled(self) -> None:  # a plugin that skips the check in its own calls
            return None

    class CarelessPlugin:
        @hookimpl
        def register_providers(self, register):
            register(Careless)

    register_plugin(CarelessPlugin())
    ai.opt_in(user)
    settings.EXPENSE_AI = {"AI_ENABLED": False}
    Careless.sent = []

    with pytest.raises(ProviderUnavailable, match="AI_ENABLED"):
        ai.call_provider(user, "parse_chat", provider_name="careless", **CALLS["parse_chat"])
    assert Careless.sent == []


@pytest.mark.parametrize("method", sorted(CALLS))
def test_every_call_with_user_data_needs_the_opt_in(recorder, user, method) -> None:
    with pytest.raises(ProviderUnavailable) as info:
        ai.call_provider(user, method, **CALLS[method])
    assert info.value.kind == "consent"
    assert recorder.sent == []

    ai.opt_in(user)
    result = ai.call_provider(user, method, **CALLS[method])
    assert len(recorder.sent) == 1 and result.provider == "recorder"

    ai.opt_out(user)
    with pytest.raises(ProviderUnavailable, match="not agreed"):
        ai.call_provider(user, method, **CALLS[method])
    assert len(recorder.sent) == 1


def test_opt_in_records_its_time_once(user) -> None:
    before = dt.datetime.now(dt.timezone.utc)
    first = ai.opt_in(user)
    again = ai.opt_in(user)

    assert before <= first <= dt.datetime.now(dt.timezone.utc)
    assert again == first
    assert get_ai_settings_model().objects.get(user=user).ai_opt_in_at == first
    ai.opt_out(user)
    row = get_ai_settings_model().objects.get(user=user)
    assert row.ai_opt_in_at is None and row.active_parser_provider == "system"


def test_statement_text_is_masked_and_the_plugin_gets_no_key(recorder, user) -> None:
    ai.opt_in(user)

    result = ai.call_provider(user, "parse_statement", text=STATEMENT, currency_hint="USD")

    sent = recorder.sent[0]
    prompt = json.dumps(sent["messages"])
    assert CARD not in prompt and "**** **** **** 1111" in prompt
    assert sent["api_key"] == ""  # no key column: the plugin uses its own settings
    assert sent["model"] == ""  # no <name>_model field: the provider's default
    assert [(r.description, r.amount) for r in result.value] == [("COFFEE SHOP", Decimal("-3.50"))]
    details = ai.result_details(result)
    assert details["usage"] == {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}
    assert isinstance(details["latency_ms"], int)


def test_statement_text_is_masked_even_for_a_provider_that_skips_the_base_steps(
    register_plugin, user, settings
) -> None:
    seen: list[str] = []

    class OwnSteps(Provider):
        name = "own-steps"

        def parse_statement(self, text, *, api_key, model=None, currency_hint=None):
            seen.append(text)
            raise ProviderError("not today", provider=self.name)

    class Plugin:
        @hookimpl
        def register_providers(self, register):
            register(OwnSteps)

    settings.EXPENSE_AI = {"AI_ENABLED": True}
    register_plugin(Plugin())
    ai.opt_in(user)

    with pytest.raises(ProviderError, match="not today"):
        ai.call_provider(user, "parse_statement", provider_name="own-steps", text=STATEMENT)

    assert seen == [STATEMENT.replace(CARD, "**** **** **** 1111")]


def test_the_fake_provider_sends_nothing_so_needs_no_consent(user, settings) -> None:
    settings.EXPENSE_AI = {"AI_ENABLED": False}
    FakeProvider.reset()
    FakeProvider.queue({"food": Decimal("100")})

    result = ai.call_provider(user, "suggest_budget", provider_name="fake", **CALLS["suggest_budget"])

    assert result.value == {"food": Decimal("100")}
    FakeProvider.reset()


def test_only_provider_methods_can_be_called(recorder, user) -> None:
    ai.opt_in(user)

    with pytest.raises(ValueError, match="not 'test_key'"):
        ai.call_provider(user, "test_key")
    with pytest.raises(ValueError):
        ai.call_provider(user, "__init__")


# -- built-in vendors over HTTP ------------------------------------------------------


@pytest.fixture
def api(fake_api: FakeAPI, settings, monkeypatch: pytest.MonkeyPatch) -> FakeAPI:  # noqa: F811
    settings.EXPENSE_AI = {
        "AI_ENABLED": True,
        "PROVIDER_BASE_URLS": fake_api.provider_base_urls,
        "PROVIDER_TIMEOUT": 5.0,
        "PROVIDER_MAX_RETRIES": 1,
    }
    monkeypatch.setattr(GeminiProvider, "retry_initial_delay", 0.01)
    monkeypatch.setattr(GeminiProvider, "retry_max_delay", 0.05)
    monkeypatch.delenv("GOOGLE_GENAI_API_VERSION", raising=False)
    return fake_api


def _configure(user, **keys: str) -> Any:
    row = ai_settings_for(user)
    for provider, key in keys.items():
        row.set_api_key(provider, key)
    row.openai_model, row.claude_model, row.gemini_model = "gpt-test", "claude-test", "gemini-test"
    row.save()
    return row


def test_openai_through_the_service(api: FakeAPI, user, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    row = _configure(user, openai=OPENAI_KEY)
    row.active_parser_provider = "openai"
    row.save()
    ai.opt_in(user)
    api.script(OPENAI_PATH, Reply(200, openai_completion(ROWS_ANSWER, usage=(40, 9))))

    result = ai.call_provider(user, "parse_statement", text=STATEMENT)

    (request,) = api.requests_to(OPENAI_PATH)
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"  # decrypted at call time
    assert request.json()["model"] == "gpt-test"  # the user's model
    assert CARD not in request.text and "1111" in request.text
    details = ai.result_details(result)
    assert details["provider"] == "openai" and details["model"] == "gpt-test"
    assert details["usage"] == {"input_tokens": 40, "output_tokens": 9, "total_tokens": 49}
    assert "AI openai.parse_statement for user" in caplog.text
    _no_key_in(json.dumps(details), caplog.text)


def test_a_refused_key_through_the_service_is_scrubbed(api: FakeAPI, user, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    _configure(user, claude=CLAUDE_KEY)
    ai.opt_in(user)
    api.script(ANTHROPIC_PATH, Reply(401, anthropic_error(f"invalid x-api-key {CLAUDE_KEY}")))

    with pytest.raises(ProviderAuthError) as info:
        ai.call_provider(user, "parse_chat", provider_name="claude", **CALLS["parse_chat"])

    details = ai.error_details(info.value)
    assert details["kind"] == "auth" and details["status_code"] == 401 and details["provider"] == "claude"
    _no_key_in(str(info.value), json.dumps(details), caplog.text)


def test_a_builtin_provider_without_a_saved_key(api: FakeAPI, user) -> None:
    ai.opt_in(user)

    with pytest.raises(ProviderAuthError) as info:
        ai.call_provider(user, "parse_statement", provider_name="gemini", text="x")

    assert info.value.kind == "missing_key"
    assert "No Google Gemini API key is saved" in str(info.value)
    assert api.requests == []


def test_errors_a_provider_did_not_scrub_are_scrubbed_by_the_service(
    api: FakeAPI, user, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    _configure(user, openai=OPENAI_KEY)
    ai.opt_in(user)

    def leaky(text, *, api_key, model, **kwargs):
        raise RuntimeError(f"upstream said: key {api_key} is odd")

    monkeypatch.setattr(get_provider("openai"), "parse_statement", leaky)

    with pytest.raises(ProviderError) as info:
        ai.call_provider(user, "parse_statement", provider_name="openai", text="x")

    assert "RuntimeError" in str(info.value) and "[REDACTED]" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    _no_key_in(str(info.value), caplog.text)


def test_a_missing_sdk_names_the_extra_through_the_service(
    api: FakeAPI, user, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(user, openai=OPENAI_KEY)
    ai.opt_in(user)
    monkeypatch.setitem(sys.modules, "openai", None)

    with pytest.raises(ProviderNotInstalled) as info:
        ai.call_provider(user, "parse_statement", provider_name="openai", text="x")

    assert 'pip install "django-expense-ai[openai]"' in str(info.value)
    assert ai.error_details(info.value)["kind"] == "not_installed"


# -- testing keys ------------------------------------------------------------------------


def _script_key_checks(api: FakeAPI) -> None:
    api.script(OPENAI_PATH, Reply(200, openai_completion('{"ok": true}')))
    api.script(ANTHROPIC_PATH, Reply(401, anthropic_error(f"invalid x-api-key: {CLAUDE_KEY}")))
    api.script(
        gemini_path("gemini-test"),
        Reply(
            400,
            gemini_error(
                400, "INVALID_ARGUMENT", f"API key not valid: {GEMINI_KEY}", reason="API_KEY_INVALID"
            ),
        ),
    )


def test_test_api_keys_stores_one_status_per_provider(api: FakeAPI, user, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    row = _configure(user, openai=OPENAI_KEY, claude=CLAUDE_KEY, gemini=GEMINI_KEY)
    _script_key_checks(api)

    statuses = ai.test_api_keys(row)

    assert statuses["openai"] == {"status": "ok"}
    assert statuses["claude"]["status"] == "failed" and statuses["claude"]["kind"] == "auth"
    assert "check the key" in statuses["claude"]["message"].lower()
    assert statuses["gemini"]["kind"] == "auth"
    stored = get_ai_settings_model().objects.get(pk=row.pk)
    assert stored.api_key_test_status == statuses
    assert stored.api_key_last_tested is not None and stored.api_key_last_tested == row.api_key_last_tested
    assert [len(api.requests_to(p)) for p in (OPENAI_PATH, ANTHROPIC_PATH, gemini_path("gemini-test"))] == [
        1,
        1,
        1,
    ]
    assert "Tested AI keys of user" in caplog.text and "claude failed (auth)" in caplog.text
    _no_key_in(json.dumps(stored.api_key_test_status), caplog.text)


def test_test_api_keys_sends_no_user_data_so_needs_no_consent(api: FakeAPI, user, settings) -> None:
    settings.EXPENSE_AI = {**settings.EXPENSE_AI, "AI_ENABLED": False}
    row = _configure(user, openai=OPENAI_KEY)
    _script_key_checks(api)

    assert ai.test_api_keys(row) == {"openai": {"status": "ok"}}


def test_test_api_keys_reports_the_active_provider_without_a_key(api: FakeAPI, user) -> None:
    row = _configure(user)
    row.active_parser_provider = "claude"
    row.save()

    statuses = ai.test_api_keys(row)

    assert statuses == {
        "claude": {"status": "failed", "kind": "missing_key", "message": statuses["claude"]["message"]}
    }
    assert api.requests == []


def test_test_api_keys_with_nothing_configured(user) -> None:
    row = ai_settings_for(user)

    assert ai.test_api_keys(row) == {}
    assert get_ai_settings_model().objects.get(pk=row.pk).api_key_last_tested is not None


def test_test_api_keys_leaves_other_fields_alone(api: FakeAPI, user) -> None:
    row = _configure(user, openai=OPENAI_KEY)
    _script_key_checks(api)
    # Someone changes the model while the (slow) test runs on a stale instance.
    get_ai_settings_model().objects.filter(pk=row.pk).update(openai_model="gpt-other")

    ai.test_api_keys(row)

    assert get_ai_settings_model().objects.get(pk=row.pk).openai_model == "gpt-other"


class AtomicSpy(Provider):
    name = "atomic-spy"
    label = "Atomic spy"
    seen: ClassVar[list[bool]] = []

    def test_key(self, *, api_key, model=None):
        self.seen.append(connection.in_atomic_block)


class AtomicSpyPlugin:
    @hookimpl
    def register_providers(self, register):
        register(AtomicSpy)


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_during_key_checks(register_plugin, django_user_model) -> None:
    register_plugin(AtomicSpyPlugin())
    AtomicSpy.seen = []
    account = django_user_model.objects.create_user(username="carol", password="pw")
    row = ai_settings_for(account)
    row.active_parser_provider = "atomic-spy"
    row.save()

    assert ai.test_api_keys(row) == {"atomic-spy": {"status": "ok"}}
    assert AtomicSpy.seen == [False]


def test_a_plugin_provider_that_crashes_is_reported_not_raised(register_plugin, user) -> None:
    class Crashes(Provider):
        name = "crashes"

        def test_key(self, *, api_key, model=None):
            raise KeyError("choices")

    class Plugin:
        @hookimpl
        def register_providers(self, register):
            register(Crashes)

    register_plugin(Plugin())
    row = ai_settings_for(user)
    row.active_parser_provider = "crashes"
    row.save()

    assert ai.test_api_keys(row) == {
        "crashes": {"status": "failed", "kind": "error", "message": "KeyError: 'choices'"}
    }


def test_test_keys_command(api: FakeAPI, user, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    _configure(user, openai=OPENAI_KEY, claude=CLAUDE_KEY, gemini=GEMINI_KEY)
    _script_key_checks(api)
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="2 of 3 provider"):
        call_command("expense_ai_test_keys", "--user", "alice", stdout=out, stderr=err)

    text = out.getvalue()
    assert "openai: ok" in text and "claude: failed (auth)" in text and "gemini: failed (auth)" in text
    assert get_ai_settings_model().objects.get(user=user).api_key_test_status["openai"] == {"status": "ok"}
    _no_key_in(text, err.getvalue(), caplog.text)


def test_test_keys_command_all_ok_and_errors(api: FakeAPI, user) -> None:
    _configure(user, openai=OPENAI_KEY)
    _script_key_checks(api)
    out = StringIO()

    call_command("expense_ai_test_keys", "--user", "alice", stdout=out)

    assert out.getvalue().strip() == "openai: ok"
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("expense_ai_test_keys", "--user", "nobody", stdout=StringIO())


def test_test_keys_command_with_nothing_to_test(other_user) -> None:
    out = StringIO()

    call_command("expense_ai_test_keys", "--user", "bob", stdout=out)

    assert "nothing to test" in out.getvalue()


def test_admin_action_tests_keys(admin_client, user) -> None:
    FakeProvider.reset()
    FakeProvider.queue(ProviderAuthError("The key was refused.", provider="fake"))
    row = ai_settings_for(user)
    row.active_parser_provider = "fake"
    row.save()
    model = get_ai_settings_model()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    response = admin_client.post(url, {"action": "test_api_keys", "_selected_action": [row.pk]}, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "fake: failed (auth)" in page
    status = model.objects.get(pk=row.pk).api_key_test_status
    assert status["fake"]["kind"] == "auth"
    _no_key_in(page, json.dumps(status))
    FakeProvider.reset()
