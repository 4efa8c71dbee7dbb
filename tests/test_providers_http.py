"""The three built-in providers over real HTTP, against tests/fakeapi.py.

The vendor SDKs run unpatched (request building, retries, timeouts, error
types); only their base URL points at 127.0.0.1. Nothing reaches the internet.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from django_expense_ai.exceptions import ProviderAuthError, ProviderError, ProviderResponseError
from django_expense_ai.providers.base import ChatEntry, Provider
from django_expense_ai.providers.claude import ClaudeProvider
from django_expense_ai.providers.gemini import GeminiProvider
from django_expense_ai.providers.openai import OpenAIProvider
from tests.fakeapi import (  # noqa: F401  (fake_api is a fixture)
    ANTHROPIC_PATH,
    OPENAI_PATH,
    FakeAPI,
    RecordedRequest,
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

# Looks like no vendor's key format, so only the key-fragment rule can scrub it.
API_KEY = "tk-live-QWERTYUIOPASDFGH-9876543210"
CARD = "4111 1111 1111 1111"
STATEMENT = (
    f"ACME BANK  Card {CARD}  Account 0012345678\n2024-01-15 COFFEE SHOP -3.50\n2024-01-16 SALARY 2500.00\n"
)
# Written by hand: the second amount is a JSON *number* with a trailing zero,
# which must arrive as Decimal("2500.10"), never through float.
GOOD_ANSWER = (
    '{"rows": ['
    '{"date": "2024-01-15", "description": "COFFEE SHOP", "amount": "-3.50", "currency": "usd"}, '
    '{"date": "2024-01-16", "description": "SALARY", "amount": 2500.10, "balance": "9000.00", "x": 1}'
    '], "confidence": 0.92}'
)


@dataclass(frozen=True)
class Vendor:
    """How one vendor speaks: its provider, model, path and wire bodies."""

    provider: type[Provider]
    model: str
    path: str
    ok: Callable[[str], dict]
    error: Callable[[int, str], dict]

    def sent_key(self, request: RecordedRequest) -> str:
        """The API key as the SDK sent it (header differs per vendor and SDK version)."""
        headers = request.headers
        if "x-goog-api-key" in headers:
            return headers["x-goog-api-key"]
        if "x-api-key" in headers:
            return headers["x-api-key"]
        return headers.get("authorization", "").removeprefix("Bearer ")


_GOOGLE_STATUS = {
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
}

VENDORS = {
    "openai": Vendor(
        OpenAIProvider,
        "gpt-test",
        OPENAI_PATH,
        lambda text: openai_completion(text),
        lambda status, msg: openai_error(msg),
    ),
    "claude": Vendor(
        ClaudeProvider,
        "claude-test",
        ANTHROPIC_PATH,
        lambda text: anthropic_message(text),
        lambda status, msg: anthropic_error(msg),
    ),
    "gemini": Vendor(
        GeminiProvider,
        "gemini-test",
        gemini_path("gemini-test"),
        lambda text: gemini_response(text),
        lambda status, msg: gemini_error(status, _GOOGLE_STATUS.get(status, "UNKNOWN"), msg),
    ),
}


@pytest.fixture(params=sorted(VENDORS))
def vendor(request: pytest.FixtureRequest) -> Vendor:
    return VENDORS[request.param]


@pytest.fixture
def api(fake_api: FakeAPI, settings, monkeypatch: pytest.MonkeyPatch) -> FakeAPI:  # noqa: F811
    """The fake server, with settings pointing every provider at it."""
    settings.EXPENSE_AI = {
        "AI_ENABLED": True,
        "PROVIDER_BASE_URLS": fake_api.provider_base_urls,
        "PROVIDER_TIMEOUT": 5.0,
        "PROVIDER_MAX_RETRIES": 2,
    }
    # google-genai ignores Retry-After and starts back-off at 1 s; keep tests fast.
    monkeypatch.setattr(GeminiProvider, "retry_initial_delay", 0.01)
    monkeypatch.setattr(GeminiProvider, "retry_max_delay", 0.05)
    monkeypatch.delenv("GOOGLE_GENAI_API_VERSION", raising=False)
    return fake_api


def test_parse_statement_success(api: FakeAPI, vendor: Vendor) -> None:
    api.script(vendor.path, Reply(200, vendor.ok(GOOD_ANSWER)))

    result = vendor.provider().parse_statement(
        STATEMENT, api_key=API_KEY, model=vendor.model, currency_hint="EUR"
    )

    first, second = result.value
    assert first.date == dt.date(2024, 1, 15)
    assert first.amount == Decimal("-3.50") and type(first.amount) is Decimal
    assert first.currency == "USD"
    assert second.amount == Decimal("2500.10") and str(second.amount) == "2500.10"
    assert second.balance == Decimal("9000.00")
    assert second.currency == "EUR"  # the hint fills a missing currency
    assert result.confidence == pytest.approx(0.92)
    assert result.provider == vendor.provider.name and result.model == vendor.model
    assert result.usage["input_tokens"] > 0 and result.usage["output_tokens"] > 0
    assert all(type(v) is int for v in result.usage.values())
    assert isinstance(result.latency_ms, int) and result.latency_ms >= 0
    assert result.raw_response == GOOD_ANSWER

    (request,) = api.requests_to(vendor.path)
    assert vendor.sent_key(request) == API_KEY
    assert vendor.model in request.text or vendor.model in request.path
    # Account and card numbers were masked before leaving; dates and amounts were not.
    assert "4111" not in request.text and "0012345678" not in request.text
    assert "1111" in request.text and "5678" in request.text
    assert "2024-01-15" in request.text and "2500.00" in request.text


def test_parse_chat_and_budget_success(api: FakeAPI, vendor: Vendor) -> None:
    chat = {
        "amount": "12.5",
        "currency": "eur",
        "description": "Lunch",
        "category": "food",
        "date": "2024-03-01",
        "is_income": False,
        "mentions": ["Ana"],
        "confidence": 0.8,
    }
    budget = {"allocations": {"rent": "50", "food": 30, "fun": "20.00", "unknown": "5"}, "confidence": 0.7}
    api.script(
        vendor.path, Reply(200, vendor.ok(json.dumps(chat))), Reply(200, vendor.ok(json.dumps(budget)))
    )
    provider = vendor.provider()

    entry = provider.parse_chat(
        "lunch 12.5 eur with ana",
        api_key=API_KEY,
        model=vendor.model,
        default_currency="USD",
        today=dt.date(2024, 3, 2),
    ).value
    allocations = provider.suggest_budget(
        api_key=API_KEY,
        model=vendor.model,
        monthly_income=Decimal("3000"),
        currency="USD",
        categories=["rent", "food", "fun"],
        context={"city": "Lisbon"},
    ).value

    assert entry == ChatEntry(
        amount=Decimal("12.5"),
        currency="EUR",
        description="Lunch",
        category="food",
        date=dt.date(2024, 3, 1),
        is_income=False,
        mentions=("Ana",),
        confidence=0.8,
    )
    assert allocations == {"rent": Decimal("50"), "food": Decimal("30"), "fun": Decimal("20.00")}


def test_malformed_model_output(api: FakeAPI, vendor: Vendor) -> None:
    # The key echoed in the model's text must not survive into raw_response.
    bad = f"Sure! Here are your rows: [{{date: 2024-01-15, key {API_KEY}"
    api.script(vendor.path, Reply(200, vendor.ok(bad)))

    with pytest.raises(ProviderResponseError) as info:
        vendor.provider().parse_statement(STATEMENT, api_key=API_KEY, model=vendor.model)

    err = info.value
    assert err.kind == "malformed" and err.provider == vendor.provider.name
    assert err.raw_response.startswith("Sure! Here are your rows:")
    assert API_KEY not in err.raw_response and "[REDACTED]" in err.raw_response
    assert "not JSON" in str(err)


def test_valid_json_wrong_shape(api: FakeAPI, vendor: Vendor) -> None:
    answer = json.dumps({"rows": [{"date": "15/01/2024", "description": "X", "amount": "1"}]})
    api.script(vendor.path, Reply(200, vendor.ok(answer)))

    with pytest.raises(ProviderResponseError) as info:
        vendor.provider().parse_statement(STATEMENT, api_key=API_KEY, model=vendor.model)

    assert "rows[0].date" in str(info.value)
    assert info.value.raw_response == answer


def test_refused_key(api: FakeAPI, vendor: Vendor) -> None:
    # Vendors quote part of the key back; none of it may reach our message.
    quoted = f"Incorrect API key provided: {API_KEY[:10]}****{API_KEY[-4:]}. Full: {API_KEY}"
    api.script(vendor.path, Reply(401, vendor.error(401, quoted)))

    with pytest.raises(ProviderAuthError) as info:
        vendor.provider().parse_statement(STATEMENT, api_key=API_KEY, model=vendor.model)

    err = info.value
    message = str(err)
    assert err.kind == "auth" and err.status_code == 401
    assert "check the key" in message.lower()
    assert API_KEY not in message and API_KEY[:10] not in message
    assert (
        err.__cause__ is None and err.__suppress_context__
    )  # the SDK error (quoting the key) is not chained
    assert len(api.requests_to(vendor.path)) == 1  # 401 is never retried


def test_gemini_bad_key_is_400_api_key_invalid(api: FakeAPI) -> None:
    path = gemini_path("gemini-test")
    body = gemini_error(
        400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", reason="API_KEY_INVALID"
    )
    api.script(path, Reply(400, body))

    with pytest.raises(ProviderAuthError) as info:
        GeminiProvider().test_key(api_key=API_KEY, model="gemini-test")

    assert info.value.status_code == 400
    assert "check the key" in str(info.value).lower()


def test_rate_limit_is_retried_by_the_sdk(api: FakeAPI, vendor: Vendor) -> None:
    api.script(
        vendor.path,
        # retry-after-ms keeps the openai/anthropic SDKs' wait at 1 ms.
        Reply(
            429, vendor.error(429, "Rate limit reached"), headers={"retry-after-ms": "1", "retry-after": "0"}
        ),
        Reply(200, vendor.ok(GOOD_ANSWER)),
    )
    started = time.monotonic()

    result = vendor.provider().parse_statement(STATEMENT, api_key=API_KEY, model=vendor.model)

    assert len(result.value) == 2
    assert len(api.requests_to(vendor.path)) == 2
    assert time.monotonic() - started < 5


def test_rate_limit_gives_up_after_max_retries(api: FakeAPI, vendor: Vendor, settings) -> None:
    settings.EXPENSE_AI = {**settings.EXPENSE_AI, "PROVIDER_MAX_RETRIES": 1}
    api.script(
        vendor.path, Reply(429, vendor.error(429, "Rate limit reached"), headers={"retry-after-ms": "1"})
    )

    with pytest.raises(ProviderError) as info:
        vendor.provider().parse_statement(STATEMENT, api_key=API_KEY, model=vendor.model)

    assert info.value.kind == "rate_limit" and info.value.status_code == 429
    assert len(api.requests_to(vendor.path)) == 2  # first try + 1 retry


def test_server_error_kind(api: FakeAPI, vendor: Vendor, settings) -> None:
    settings.EXPENSE_AI = {**settings.EXPENSE_AI, "PROVIDER_MAX_RETRIES": 0}
    api.script(vendor.path, Reply(500, vendor.error(500, "internal")))

    with pytest.raises(ProviderError) as info:
        vendor.provider().test_key(api_key=API_KEY, model=vendor.model)

    assert info.value.kind == "server" and info.value.status_code == 500


def test_timeout(api: FakeAPI, vendor: Vendor, settings) -> None:
    settings.EXPENSE_AI = {**settings.EXPENSE_AI, "PROVIDER_TIMEOUT": 0.3, "PROVIDER_MAX_RETRIES": 0}
    api.script(vendor.path, Reply(200, vendor.ok(GOOD_ANSWER), delay=5))
    started = time.monotonic()

    with pytest.raises(ProviderError) as info:
        vendor.provider().parse_statement(STATEMENT, api_key=API_KEY, model=vendor.model)

    assert info.value.kind == "timeout"
    assert "PROVIDER_TIMEOUT" in str(info.value)
    assert time.monotonic() - started < 4


def test_connection_refused(vendor: Vendor, settings) -> None:
    dead = FakeAPI()  # bound but never served, then closed: the port refuses
    urls = dead.provider_base_urls
    dead._server.server_close()
    settings.EXPENSE_AI = {"AI_ENABLED": True, "PROVIDER_BASE_URLS": urls, "PROVIDER_MAX_RETRIES": 0}

    with pytest.raises(ProviderError) as info:
        vendor.provider().test_key(api_key=API_KEY, model=vendor.model)

    assert info.value.kind == "connection"


def test_test_key_success(api: FakeAPI, vendor: Vendor) -> None:
    api.script(vendor.path, Reply(200, vendor.ok('{"ok": true}')))

    assert vendor.provider().test_key(api_key=API_KEY, model=vendor.model) is None
    assert vendor.sent_key(api.requests_to(vendor.path)[0]) == API_KEY


def test_base_url_argument_wins_over_settings(fake_api: FakeAPI, settings) -> None:  # noqa: F811
    settings.EXPENSE_AI = {"AI_ENABLED": True, "PROVIDER_BASE_URLS": {"openai": "http://127.0.0.1:9/v1"}}
    fake_api.script(OPENAI_PATH, Reply(200, openai_completion(GOOD_ANSWER)))

    provider = OpenAIProvider(base_url=f"{fake_api.base_url}/v1")

    assert len(provider.parse_statement("x", api_key=API_KEY, model="gpt-test").value) == 2
