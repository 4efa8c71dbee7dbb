"""The provider interface: one base class, fixed small steps, one vendor hook.

A provider turns text into validated plain values. Every public call runs the
same steps, each a method a subclass may override (the anymail pattern)::

    build messages (prompts.py)  ->  send()  ->  parse_json()  ->  validate_*()

Only :meth:`Provider.send` (and :meth:`Provider.translate_error`) are vendor
specific. Providers never touch the ORM: they take a key and a model name and
return :class:`ProviderResult` objects.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from ..conf import settings
from ..exceptions import (
    InvalidAnswer,
    MoneyError,
    ProviderAuthError,
    ProviderError,
    ProviderNotInstalled,
    ProviderResponseError,
    ProviderUnavailable,
)
from ..money import is_known_currency, to_decimal
from ..statements.types import StatementRow
from . import prompts
from .scrub import mask_account_numbers, scrub

T = TypeVar("T")

Messages = list[dict[str, str]]
Usage = dict[str, int]

#: Allowed distance of a budget's percentages from 100.
PERCENT_TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class ProviderResult(Generic[T]):
    """What every provider call returns.

    :param value: the validated value (rows, a :class:`ChatEntry`, allocations).
    :param confidence: the model's own confidence, clamped to ``[0, 1]``.
    :param raw_response: the model's text, scrubbed of secrets.
    :param model: the model name used.
    :param provider: the provider's registry name.
    :param latency_ms: wall time of the vendor call, in milliseconds.
    :param usage: token counts (``input_tokens``, ``output_tokens``, ``total_tokens``).
    """

    value: T
    confidence: float
    raw_response: str
    model: str
    provider: str
    latency_ms: int
    usage: Usage = field(default_factory=dict)


@dataclass(frozen=True)
class ChatEntry:
    """One expense or income entry read from a chat message.

    ``amount`` is positive (``is_income`` tells the direction) or ``None`` when
    the message has none; ``mentions`` are names of people it is shared with.
    """

    amount: Decimal | None
    currency: str
    description: str
    category: str
    date: dt.date
    is_income: bool = False
    mentions: tuple[str, ...] = ()
    confidence: float = 0.0


# -- parsing and validation (pure, usable without a provider) ----------------

_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def parse_json(text: str) -> Any:
    """Decode a model's JSON answer, with every non-integer number as ``Decimal``.

    A surrounding Markdown code fence is tolerated (models add one even when
    told not to).

    :returns: the decoded value; floats never appear (``parse_float=Decimal``).
    :raises InvalidAnswer: the text is not JSON (a ``ValueError``).
    """
    fenced = _FENCE.match(text or "")
    body = fenced.group(1) if fenced else (text or "")
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError as err:
        raise InvalidAnswer(str(err)) from err


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, str):
        value = value.strip()
    try:
        return to_decimal(value)
    except MoneyError as err:
        raise InvalidAnswer(f"{where}: {err}") from err


def _date(value: Any, where: str) -> dt.date:
    if not isinstance(value, str):
        raise InvalidAnswer(f"{where}: expected a YYYY-MM-DD string, got {type(value).__name__}")
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as err:
        raise InvalidAnswer(f"{where}: {value!r} is not a YYYY-MM-DD date") from err


def _currency(value: Any, where: str, default: str | None) -> str | None:
    if value in (None, ""):
        return default.upper() if default else None
    if not isinstance(value, str) or not is_known_currency(value.strip()):
        raise InvalidAnswer(f"{where}: {value!r} is not an ISO 4217 currency code")
    return value.strip().upper()


def _text(value: Any, where: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidAnswer(f"{where}: expected text, got {type(value).__name__}")
    if required and not value.strip():
        raise InvalidAnswer(f"{where}: must not be empty")
    return value.strip()


def _confidence(data: Any, default: float) -> float:
    value = data.get("confidence") if isinstance(data, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return default
    # Confidence is a score, not money: float is its type.
    return min(1.0, max(0.0, float(value)))


def validate_statement(
    data: Any, *, currency_hint: str | None = None, default_confidence: float = 0.5
) -> tuple[list[StatementRow], float]:
    """Validate a statement answer ``{"rows": [...], "confidence": x}``.

    Amounts and balances become ``Decimal``, dates ``datetime.date``,
    currencies upper-case ISO codes (``currency_hint`` when missing); other
    fields are dropped.

    :returns: ``(rows, confidence)``.
    :raises InvalidAnswer: the answer does not have that shape (the caller turns
        it into :class:`ProviderResponseError`); a ``ValueError``.
    """
    rows_data = data.get("rows", data.get("transactions")) if isinstance(data, Mapping) else data
    if not isinstance(rows_data, list):
        raise InvalidAnswer('expected an object with a "rows" list')
    rows = []
    for index, item in enumerate(rows_data):
        where = f"rows[{index}]"
        if not isinstance(item, Mapping):
            raise InvalidAnswer(f"{where}: expected an object")
        balance = item.get("balance")
        rows.append(
            StatementRow(
                date=_date(item.get("date"), f"{where}.date"),
                description=_text(item.get("description"), f"{where}.description", required=True),
                amount=_decimal(item.get("amount"), f"{where}.amount"),
                currency=_currency(item.get("currency"), f"{where}.currency", currency_hint),
                balance=None if balance in (None, "") else _decimal(balance, f"{where}.balance"),
            )
        )
    return rows, _confidence(data, default_confidence)


def validate_chat(
    data: Any, *, default_currency: str, today: dt.date, default_confidence: float = 0.5
) -> tuple[ChatEntry, float]:
    """Validate a chat answer into a :class:`ChatEntry`.

    :returns: ``(entry, confidence)``; ``entry.confidence`` is the same number.
    :raises InvalidAnswer: a field has the wrong type or value (a ``ValueError``).
    """
    if not isinstance(data, Mapping):
        raise InvalidAnswer("expected a JSON object")
    amount_raw = data.get("amount")
    amount = None if amount_raw in (None, "") else abs(_decimal(amount_raw, "amount"))
    is_income = data.get("is_income", False)
    if not isinstance(is_income, bool):
        raise InvalidAnswer("is_income: expected true or false")
    mentions_raw = data.get("mentions") or []
    if not isinstance(mentions_raw, list) or not all(isinstance(m, str) for m in mentions_raw):
        raise InvalidAnswer("mentions: expected a list of names")
    date_raw = data.get("date")
    confidence = _confidence(data, default_confidence)
    entry = ChatEntry(
        amount=amount,
        currency=_currency(data.get("currency"), "currency", default_currency) or default_currency,
        description=_text(data.get("description"), "description"),
        category=_text(data.get("category"), "category"),
        date=today if date_raw in (None, "") else _date(date_raw, "date"),
        is_income=is_income,
        mentions=tuple(m.strip() for m in mentions_raw if m.strip()),
        confidence=confidence,
    )
    return entry, confidence


def validate_budget(
    data: Any, *, categories: Iterable[str], default_confidence: float = 0.5
) -> tuple[dict[str, Decimal], float]:
    """Validate a budget answer ``{"allocations": {key: percent}, "confidence": x}``.

    Keys not in ``categories`` are dropped (when ``categories`` is not empty);
    the rest must be non-negative and add up to 100 within 0.01.

    :returns: ``(allocations, confidence)``.
    :raises InvalidAnswer: missing allocations, a negative value or a wrong total (a ``ValueError``).
    """
    allocations = data.get("allocations") if isinstance(data, Mapping) else None
    if not isinstance(allocations, Mapping):
        raise InvalidAnswer('expected an object with an "allocations" object')
    allowed = set(categories)
    result: dict[str, Decimal] = {}
    for key, value in allocations.items():
        if allowed and key not in allowed:
            continue
        percent = _decimal(value, f"allocations[{key!r}]")
        if percent < 0:
            raise InvalidAnswer(f"allocations[{key!r}]: {percent} is negative")
        result[str(key)] = percent
    total = sum(result.values(), Decimal(0))
    if abs(total - 100) > PERCENT_TOLERANCE:
        raise InvalidAnswer(f"percentages add up to {total}, not 100")
    return result, _confidence(data, default_confidence)


def vendor_error_text(err: Any) -> str:
    """The vendor's own text from a JSON error body (``{"error": {"message": ...}}``), else the exception's."""
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
    return str(getattr(err, "message", "") or err)


def normalize_usage(**counts: Any) -> Usage:
    """Keep the integer token counts among ``counts`` (vendors leave some ``None``).

    :returns: ``{name: int}``; a ``total_tokens`` is added when input and output are known.
    """
    usage = {k: int(v) for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)}
    if "total_tokens" not in usage and {"input_tokens", "output_tokens"} <= usage.keys():
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    return usage


# -- the provider ------------------------------------------------------------

Validator = Callable[[Any], tuple[Any, float]]


def check_ai_enabled(provider: Provider) -> None:
    """The site switch: refuse to send user data while ``EXPENSE_AI["AI_ENABLED"]`` is off.

    The one implementation of the switch: :meth:`Provider.run` applies it to
    every call, and :func:`django_expense_ai.ai.check_consent` before it reads
    the user's key. A provider that sends nothing off the site
    (``sends_data = False``, the fake) is exempt. A settings check only: no ORM.

    :returns: ``None`` when the call may go ahead.
    :raises ProviderUnavailable: ``AI_ENABLED`` is false (``kind="disabled"``).
    """
    if provider.sends_data and not settings.AI_ENABLED:
        raise ProviderUnavailable(
            'AI providers are turned off for this site (EXPENSE_AI["AI_ENABLED"] is False), so nothing was '
            f'sent to {provider.label or provider.name}. A site administrator can set '
            'EXPENSE_AI["AI_ENABLED"] = True to allow it.',
            provider=provider.name,
        )


class Provider:
    """Base class of every AI provider.

    Subclasses set :attr:`name`, :attr:`label`, :attr:`extra` and implement
    :meth:`send` and :meth:`translate_error`. Instances hold no secrets: the
    key is passed to every call.

    :param base_url: vendor endpoint; defaults to ``PROVIDER_BASE_URLS[name]``,
        then the SDK's own default.
    """

    #: Registry name, stored in user settings. Unique.
    name: ClassVar[str] = ""
    #: Human name shown in choices.
    label: ClassVar[str] = ""
    #: The pip extra that installs the SDK: ``pip install "django-expense-ai[<extra>]"``.
    extra: ClassVar[str] = ""
    #: Confidence used when the model does not give one.
    default_confidence: ClassVar[float] = 0.5
    #: Whether calls send user data off the site, and so need ``AI_ENABLED``.
    sends_data: ClassVar[bool] = True
    #: A stand-in for tests: usable by name, but offered as a choice only when
    #: ``EXPENSE_AI["OFFER_TEST_PROVIDERS"]`` is on.
    test_only: ClassVar[bool] = False

    def __init__(self, *, base_url: str | None = None) -> None:
        self._base_url = base_url

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- settings, read at call time so override_settings works -------------

    @property
    def default_model(self) -> str:
        """The model used when a call passes none (``DEFAULT_MODELS[name]``)."""
        return str(settings.DEFAULT_MODELS.get(self.name, ""))

    @property
    def base_url(self) -> str | None:
        """The endpoint: the constructor's, else ``PROVIDER_BASE_URLS[name]``, else ``None``."""
        return self._base_url or (settings.PROVIDER_BASE_URLS or {}).get(self.name) or None

    @property
    def timeout(self) -> float:
        """Seconds per HTTP attempt (``PROVIDER_TIMEOUT``)."""
        return float(settings.PROVIDER_TIMEOUT)

    @property
    def max_retries(self) -> int:
        """Retries the SDK makes on 429, 5xx and network errors (``PROVIDER_MAX_RETRIES``)."""
        return max(0, int(settings.PROVIDER_MAX_RETRIES))

    def not_installed(self, err: ImportError) -> ProviderNotInstalled:
        """The error for a missing SDK, naming the pip extra to install."""
        return ProviderNotInstalled(
            f"The {self.label or self.name} provider needs its SDK, which is not installed. "
            f'Install it with: pip install "django-expense-ai[{self.extra}]"',
            provider=self.name,
        )

    # -- public calls ----------------------------------------------------------

    def parse_statement(
        self, text: str, *, api_key: str, model: str | None = None, currency_hint: str | None = None
    ) -> ProviderResult[list[StatementRow]]:
        """Extract transaction rows from statement text.

        Account and card numbers are masked before the text leaves the site.

        :returns: a result whose ``value`` is a list of :class:`StatementRow`.
        :raises ProviderUnavailable: ``AI_ENABLED`` is off.
        :raises ProviderAuthError: the key was refused.
        :raises ProviderResponseError: the model's answer could not be validated.
        :raises ProviderError: rate limit, timeout, server or connection failure (see ``kind``).
        """
        messages = self.statement_messages(mask_account_numbers(text), currency_hint=currency_hint)
        return self.run(
            "parse_statement",
            messages,
            api_key=api_key,
            model=model,
            json_schema=prompts.STATEMENT_SCHEMA,
            validate=lambda data: validate_statement(
                data, currency_hint=currency_hint, default_confidence=self.default_confidence
            ),
        )

    def parse_chat(
        self,
        text: str,
        *,
        api_key: str,
        model: str | None = None,
        default_currency: str,
        today: dt.date,
    ) -> ProviderResult[ChatEntry]:
        """Read one chat message as an expense or income entry.

        :returns: a result whose ``value`` is a :class:`ChatEntry`.
        :raises ProviderError: as :meth:`parse_statement`.
        """
        messages = self.chat_messages(text, default_currency=default_currency, today=today)
        return self.run(
            "parse_chat",
            messages,
            api_key=api_key,
            model=model,
            json_schema=prompts.CHAT_SCHEMA,
            validate=lambda data: validate_chat(
                data,
                default_currency=default_currency,
                today=today,
                default_confidence=self.default_confidence,
            ),
        )

    def suggest_budget(
        self,
        *,
        api_key: str,
        model: str | None = None,
        monthly_income: Decimal,
        currency: str,
        categories: list[str],
        context: dict[str, Any] | None = None,
    ) -> ProviderResult[dict[str, Decimal]]:
        """Suggest percentages of ``monthly_income`` per category key.

        :returns: a result whose ``value`` maps category keys to percentages
            (``Decimal``) that add up to 100.
        :raises ProviderError: as :meth:`parse_statement`.
        """
        messages = self.budget_messages(
            monthly_income=monthly_income, currency=currency, categories=categories, context=context or {}
        )
        return self.run(
            "suggest_budget",
            messages,
            api_key=api_key,
            model=model,
            json_schema=prompts.BUDGET_SCHEMA,
            validate=lambda data: validate_budget(
                data, categories=categories, default_confidence=self.default_confidence
            ),
        )

    def test_key(self, *, api_key: str, model: str | None = None) -> None:
        """Make one small request to check that the key and model work.

        Does not need ``AI_ENABLED``: it sends no user data.

        :returns: ``None`` when the vendor answered.
        :raises ProviderAuthError: the key was refused (check it).
        :raises ProviderError: any other failure (``kind`` says which).
        """
        self.call_vendor(
            prompts.ping_messages(), api_key=api_key, model=model or self.default_model, json_schema=None
        )

    # -- steps (override any of them) -----------------------------------------

    def statement_messages(self, text: str, *, currency_hint: str | None) -> Messages:
        """Step 1 for statements: the prompt. ``text`` is already masked."""
        return prompts.statement_messages(text, currency_hint=currency_hint)

    def chat_messages(self, text: str, *, default_currency: str, today: dt.date) -> Messages:
        """Step 1 for chat: the prompt."""
        return prompts.chat_messages(text, default_currency=default_currency, today=today)

    def budget_messages(
        self, *, monthly_income: Decimal, currency: str, categories: list[str], context: dict[str, Any]
    ) -> Messages:
        """Step 1 for budgets: the prompt."""
        return prompts.budget_messages(
            monthly_income=monthly_income, currency=currency, categories=categories, context=context
        )

    def check_enabled(self) -> None:
        """Refuse to send user data when the site has AI turned off (see :func:`check_ai_enabled`).

        :raises ProviderUnavailable: ``EXPENSE_AI["AI_ENABLED"]`` is false.
        """
        check_ai_enabled(self)

    def run(
        self,
        operation: str,
        messages: Messages,
        *,
        api_key: str,
        model: str | None,
        json_schema: dict[str, Any] | None,
        validate: Validator,
    ) -> ProviderResult[Any]:
        """Run one call: check, send, then build the validated result.

        ``operation`` names the public method (``parse_statement`` ...), for
        subclasses such as the fake provider.

        :returns: the :class:`ProviderResult`.
        :raises ProviderError: see :meth:`parse_statement`.
        """
        self.check_enabled()
        model = model or self.default_model
        started = time.monotonic()
        text, usage = self.call_vendor(messages, api_key=api_key, model=model, json_schema=json_schema)
        latency_ms = int((time.monotonic() - started) * 1000)
        return self.build_result(
            text, usage, model=model, api_key=api_key, latency_ms=latency_ms, validate=validate
        )

    def call_vendor(
        self, messages: Messages, *, api_key: str, model: str, json_schema: dict[str, Any] | None
    ) -> tuple[str, Usage]:
        """Call :meth:`send`, turning every failure into a scrubbed :class:`ProviderError`.

        :returns: ``(text, usage)`` from :meth:`send`.
        :raises ProviderError: with ``provider`` set and no trace of the key.
        """
        try:
            return self.send(messages, api_key=api_key, model=model, json_schema=json_schema)
        except ProviderError as err:
            raise self._scrubbed(err, api_key) from None
        except Exception as err:
            # `from None`: the vendor's exception may quote the key, and a
            # chained cause is printed and reported with the traceback.
            raise self._scrubbed(self.translate_error(err, model=model), api_key) from None

    def build_result(
        self,
        text: str,
        usage: Usage,
        *,
        model: str,
        api_key: str | None,
        latency_ms: int,
        validate: Validator,
    ) -> ProviderResult[Any]:
        """Steps 3 and 4: parse the model's text as JSON and validate it.

        :returns: the :class:`ProviderResult` with the scrubbed raw text.
        :raises ProviderResponseError: not JSON, or not the expected shape; it
            carries the scrubbed raw response.
        """
        raw = scrub(text or "", [api_key])
        try:
            # Parse the text as received: scrubbing is for what we store and
            # show, and must not rewrite a description that merely looks like a key.
            data = self.parse_json(text or "")
        except ValueError as err:
            raise ProviderResponseError(
                f"{self.label or self.name} answered with something that is not JSON ({err}). "
                "Try again, or choose another model.",
                provider=self.name,
                raw_response=raw,
            ) from err
        try:
            value, confidence = validate(data)
        except (ValueError, TypeError) as err:
            raise ProviderResponseError(
                f"{self.label or self.name} answered with JSON we could not use: {scrub(str(err), [api_key])}. "
                "Try again, or choose another model.",
                provider=self.name,
                raw_response=raw,
            ) from err
        return ProviderResult(
            value=value,
            confidence=confidence,
            raw_response=raw,
            model=model,
            provider=self.name,
            latency_ms=latency_ms,
            usage=normalize_usage(**usage),
        )

    def parse_json(self, text: str) -> Any:
        """Step 3: decode the model's text (see :func:`parse_json`)."""
        return parse_json(text)

    # -- vendor-specific -------------------------------------------------------

    def send(
        self, messages: Messages, *, api_key: str, model: str, json_schema: dict[str, Any] | None = None
    ) -> tuple[str, Usage]:
        """Step 2, the only vendor call: send ``messages`` and return the answer.

        Retries (429, 5xx, network) and timeouts are the SDK's, configured
        from settings.

        :returns: ``(text, usage)``: the model's text and token counts.
        :raises Exception: whatever the SDK raises; :meth:`translate_error`
            maps it.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement send()")

    def translate_error(self, err: Exception, *, model: str) -> ProviderError:
        """Map an SDK exception to a :class:`ProviderError` (not yet scrubbed).

        The base version knows only timeouts and connection errors by class
        name; vendor modules look at the SDK's types and status codes first.
        """
        names = {cls.__name__ for cls in type(err).__mro__}
        if names & {"TimeoutException", "APITimeoutError", "TimeoutError", "ReadTimeout", "ConnectTimeout"}:
            return self.timeout_error()
        if names & {"ConnectError", "APIConnectionError", "ConnectionError", "NetworkError"}:
            return self.connection_error(err)
        return ProviderError(
            f"{self.label or self.name} call failed: {type(err).__name__}: {err}",
            provider=self.name,
        )

    def translate_sdk_error(self, err: Exception, sdk: Any, *, model: str) -> ProviderError:
        """Map the exceptions of the OpenAI-style SDKs (``openai``, ``anthropic``).

        Both generate the same classes: ``APITimeoutError``, ``APIConnectionError``
        and ``APIStatusError`` carrying the HTTP status and the JSON error body.
        """
        if isinstance(err, sdk.APITimeoutError):
            return self.timeout_error()
        if isinstance(err, sdk.APIConnectionError):
            return self.connection_error(err)
        if isinstance(err, sdk.APIStatusError):
            return self.status_error(err.status_code, vendor_error_text(err), model=model)
        return Provider.translate_error(self, err, model=model)

    # -- error builders shared by the vendor modules ---------------------------

    def status_error(
        self, status: int | None, vendor_message: str, *, model: str, key_refused: bool = False
    ) -> ProviderError:
        """The error for an HTTP error status from the vendor (after the SDK's retries).

        :param key_refused: the vendor refused the key with another status
            than 401/403 (Gemini answers a bad key with 400).
        """
        who = self.label or self.name
        said = f" The vendor said: {vendor_message}" if vendor_message else ""
        if key_refused or status in (401, 403):
            return ProviderAuthError(
                f"{who} refused the API key (HTTP {status}). Check the key in your AI settings: "
                f"it may be mistyped, revoked, or meant for another provider.{said}",
                provider=self.name,
                status_code=status,
            )
        if status == 429:
            return ProviderError(
                f"{who} is rate limiting this key (HTTP 429) even after {self.max_retries} retries. "
                f"Wait a minute and try again, or check the account's quota.{said}",
                provider=self.name,
                status_code=status,
                kind="rate_limit",
            )
        if status is not None and status >= 500:
            return ProviderError(
                f"{who} had a server error (HTTP {status}) after {self.max_retries} retries. "
                f"Try again later.{said}",
                provider=self.name,
                status_code=status,
                kind="server",
            )
        if status == 404:
            return ProviderError(
                f"{who} does not know the model {model!r} (HTTP 404). Choose another model.{said}",
                provider=self.name,
                status_code=status,
                kind="bad_request",
            )
        return ProviderError(
            f"{who} rejected the request (HTTP {status}).{said}",
            provider=self.name,
            status_code=status,
            kind="bad_request",
        )

    def timeout_error(self) -> ProviderError:
        """The error for a call that ran out of time on every attempt."""
        return ProviderError(
            f"{self.label or self.name} did not answer within {self.timeout:g} seconds "
            f"(after {self.max_retries} retries). Try again, or raise EXPENSE_AI['PROVIDER_TIMEOUT'].",
            provider=self.name,
            kind="timeout",
        )

    def connection_error(self, err: Exception) -> ProviderError:
        """The error for a vendor that could not be reached."""
        return ProviderError(
            f"Could not reach {self.label or self.name} ({type(err).__name__}). "
            "Check the server's network access and EXPENSE_AI['PROVIDER_BASE_URLS'].",
            provider=self.name,
            kind="connection",
        )

    def _scrubbed(self, err: ProviderError, api_key: str | None) -> ProviderError:
        """Return ``err`` with the key removed from its message and raw response."""
        clean = scrub_error(err, [api_key])
        clean.provider = err.provider or self.name
        return clean


def scrub_error(err: ProviderError, secrets: Iterable[str | None] = ()) -> ProviderError:
    """A copy of ``err`` (same type and attributes) whose message and raw response are scrubbed.

    :param secrets: keys to remove (see :func:`~.scrub.scrub`).
    :returns: the copy; ``err`` itself is not changed. Never raises.
    """
    secrets = list(secrets)  # used twice
    clean = type(err).__new__(type(err))
    clean.__dict__.update(err.__dict__)
    Exception.__init__(clean, scrub(str(err), secrets))
    clean.raw_response = scrub(getattr(err, "raw_response", "") or "", secrets)
    return clean
