"""The service layer between users and AI providers.

It reads the user's :class:`AISettings`, applies the consent rules, decrypts
the key at call time and hands the provider the key and model as arguments
(providers never touch the ORM).

Consent rules (see ``docs/providers.rst``):

* ``EXPENSE_AI["AI_ENABLED"]`` must be on for any call that sends user data
  (statement text, chat messages, budget figures);
* the user's explicit opt-in (``AISettings.ai_opt_in_at``, set by
  :func:`opt_in`) is required for the same calls: any user data, not only
  statement text;
* statement text has account and card numbers masked before it is handed to
  the provider;
* testing a key (:func:`test_api_keys`) sends no user data and needs neither.

Providers without a key column on ``AISettings`` (plugin providers) get
``api_key=""`` and read their credentials from their own settings.

Never call these inside an open database transaction: a provider call is
network I/O that may take ``PROVIDER_TIMEOUT`` seconds per attempt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ..exceptions import (
    DecryptionError,
    InvalidArgument,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    UnexpectedField,
)
from ..models import ownership
from ..models.swappable import ai_settings_for, get_ai_settings_model
from ..providers.base import Provider, check_ai_enabled, scrub_error
from ..providers.registry import get_provider
from ..providers.scrub import mask_account_numbers, scrub
from ..types import UserLike

logger = logging.getLogger(__name__)

SYSTEM = "system"

#: The provider methods :func:`call_provider` may call; each sends user data.
PROVIDER_METHODS = frozenset({"parse_statement", "parse_chat", "suggest_budget"})

#: Methods that send a person's data to the vendor need their opt-in (all of them).
NEEDS_OPT_IN = PROVIDER_METHODS


def active_provider_name(user: UserLike) -> str:
    """The provider the user chose.

    :returns: ``AISettings.active_parser_provider``, ``"system"`` when unset.
    """
    return ai_settings_for(user).active_parser_provider or SYSTEM


def provider_model(ai_settings: Any, provider_name: str) -> str | None:
    """The model name the user configured for ``provider_name``.

    :returns: the ``<provider>_model`` field's value, or ``None`` (the
        provider's default) when there is no such field or it is empty.
    """
    return getattr(ai_settings, f"{provider_name}_model", None) or None


def has_key_column(ai_settings: Any, provider_name: str) -> bool:
    """Whether ``AISettings`` stores a key for ``provider_name`` (openai, claude, gemini).

    :returns: ``True`` for the built-in vendors, ``False`` for plugin providers.
    """
    return provider_name in getattr(ai_settings, "API_KEY_FIELDS", {})


def api_key_for(ai_settings: Any, provider: Provider) -> str:
    """Decrypt the user's key for ``provider``, at call time.

    :returns: the plain key; ``""`` for a provider without a key column (it
        reads its credentials from its own settings) or one that sends nothing.
    :raises ProviderAuthError: a built-in vendor with no key saved (``kind`` is
        ``"missing_key"``).
    :raises DecryptionError: the stored key cannot be decrypted with any
        configured ``STATEMENT_PASSWORD_KEY``.
    """
    if not has_key_column(ai_settings, provider.name):
        return ""
    key = ai_settings.get_api_key(provider.name)
    if not key:
        raise ProviderAuthError(
            f"No {provider.label or provider.name} API key is saved in your AI settings. "
            "Add one, or choose another provider.",
            provider=provider.name,
            kind="missing_key",
        )
    return key


def check_consent(ai_settings: Any, provider: Provider, method: str) -> None:
    """Apply the site switch and the user's opt-in before user data leaves the site.

    Providers with ``sends_data = False`` (the fake) are exempt: nothing leaves.
    The site switch is :func:`~django_expense_ai.providers.base.check_ai_enabled`,
    the same check every provider call makes.

    :returns: ``None`` when the call may go ahead.
    :raises ProviderUnavailable: ``AI_ENABLED`` is off (``kind="disabled"``) or
        the user has not opted in (``kind="consent"``).
    """
    if not provider.sends_data:
        return
    check_ai_enabled(provider)
    if method in NEEDS_OPT_IN and not ai_settings.ai_opt_in_at:
        raise ProviderUnavailable(
            f"You have not agreed to send your data to {provider.label or provider.name}; "
            "nothing was sent. Opt in under your AI settings first.",
            provider=provider.name,
            kind="consent",
        )


def call_provider(user: UserLike, method: str, *, provider_name: str | None = None, **kwargs: Any) -> Any:
    """Call ``method`` (``parse_statement``, ``parse_chat``, ``suggest_budget``) on the user's provider.

    Statement text (``text=`` of ``parse_statement``) has account and card
    numbers masked here, whatever the provider does. The provider's errors
    and raw response are scrubbed of the key once more, so a plugin provider
    cannot leak it either.

    :param provider_name: overrides the user's ``active_parser_provider``.
    :param kwargs: the provider method's own arguments (``text``,
        ``currency_hint``, ``default_currency``, ``today``, ``monthly_income`` ...).
    :returns: the provider's :class:`~django_expense_ai.providers.ProviderResult`;
        :func:`result_details` turns it into JSON for logs and audit fields.
    :raises InvalidArgument: ``method`` is not one of :data:`PROVIDER_METHODS` (a ``ValueError``).
    :raises ProviderUnavailable: the user chose ``system``, AI is disabled for
        the site, or the user has not opted in (``kind`` says which).
    :raises UnknownProvider: no provider is registered under that name.
    :raises ProviderNotInstalled: the vendor SDK's extra is missing (the
        message names the ``pip install`` to run).
    :raises ProviderAuthError: no key saved, or the vendor refused it.
    :raises DecryptionError: the saved key cannot be decrypted.
    :raises ProviderError: the vendor call failed (``kind`` says how); the key
        is never in the message.
    """
    if method not in PROVIDER_METHODS:
        raise InvalidArgument(f"call_provider() calls one of {sorted(PROVIDER_METHODS)}, not {method!r}; pass one of those.")
    ai_settings = ai_settings_for(user)
    name = provider_name or ai_settings.active_parser_provider or SYSTEM
    if name == SYSTEM:
        raise ProviderUnavailable(
            "The user's parser is the system parser; no AI provider is selected.", provider=name
        )
    provider = get_provider(name)
    check_consent(ai_settings, provider, method)
    api_key = api_key_for(ai_settings, provider)
    model = provider_model(ai_settings, name)
    if method == "parse_statement" and isinstance(kwargs.get("text"), str):
        kwargs["text"] = mask_account_numbers(kwargs["text"])
    try:
        result = getattr(provider, method)(api_key=api_key, model=model, **kwargs)
    except ProviderError as err:
        clean = scrub_error(err, [api_key])
        clean.provider = clean.provider or name
        logger.warning("AI %s.%s for user #%s failed (%s): %s", name, method, user.pk, clean.kind, clean)
        raise clean from None
    except Exception as err:
        # A plugin provider that does not translate its errors; `from None`
        # because the original may quote the key.
        message = scrub(f"{type(err).__name__}: {err}", [api_key])
        logger.warning("AI %s.%s for user #%s failed: %s", name, method, user.pk, message)
        raise ProviderError(f"{provider.label or name} call failed: {message}", provider=name) from None
    if api_key and result.raw_response and api_key in result.raw_response:
        result = dataclasses.replace(result, raw_response=scrub(result.raw_response, [api_key]))
    logger.info(
        "AI %s.%s for user #%s: model %s, %d ms, usage %s",
        name,
        method,
        user.pk,
        result.model,
        result.latency_ms,
        dict(result.usage or {}),
    )
    return result


def opt_in(user: UserLike) -> dt.datetime:
    """Record the user's agreement that their data may be sent to their AI provider.

    Idempotent: a user who already opted in keeps the original time.

    :returns: the time of the opt-in (``AISettings.ai_opt_in_at``).
    """
    ai_settings = ai_settings_for(user)
    model = get_ai_settings_model()
    # Conditional update: two concurrent opt-ins keep the first time.
    model._default_manager.filter(pk=ai_settings.pk, ai_opt_in_at__isnull=True).update(
        ai_opt_in_at=timezone.now()
    )
    ai_settings.refresh_from_db(fields=["ai_opt_in_at"])
    return ai_settings.ai_opt_in_at


def opt_out(user: UserLike) -> None:
    """Withdraw the opt-in: from now on no data of the user is sent to any provider.

    The chosen provider and the saved keys are kept, so opting in again
    restores the previous behaviour.

    :returns: ``None``.
    """
    ai_settings = ai_settings_for(user)
    get_ai_settings_model()._default_manager.filter(pk=ai_settings.pk).update(ai_opt_in_at=None)


def providers_to_test(ai_settings: Any) -> list[str]:
    """The providers :func:`test_api_keys` checks: every saved key, plus the active provider.

    :returns: sorted provider names (never ``system``).
    """
    names = {name for name in getattr(ai_settings, "API_KEY_FIELDS", {}) if ai_settings.has_api_key(name)}
    active = ai_settings.active_parser_provider or SYSTEM
    if active != SYSTEM:
        names.add(active)
    return sorted(names)


def _failed(kind: str, message: str) -> dict[str, str]:
    return {"status": "failed", "kind": kind, "message": message[:500]}


def _test_one(ai_settings: Any, name: str) -> dict[str, str]:
    api_key = ""
    try:
        provider = get_provider(name)
        api_key = api_key_for(ai_settings, provider)
        provider.test_key(api_key=api_key, model=provider_model(ai_settings, name))
    except ProviderError as err:
        return _failed(err.kind, scrub(str(err), [api_key]))
    except DecryptionError as err:
        return _failed("decryption", str(err))
    except Exception as err:  # a plugin's bug must not hide the other providers' results
        return _failed("error", scrub(f"{type(err).__name__}: {err}", [api_key]))
    return {"status": "ok"}


def test_api_keys(ai_settings: Any, *, providers: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Check the user's keys with one cheap request each, and store the outcome.

    Each provider's ``test_key`` is called outside any transaction this
    function opens; then ``api_key_test_status`` and ``api_key_last_tested``
    are written with one ``UPDATE`` (other fields are left alone). Testing
    sends only the key, no user data, so it needs neither ``AI_ENABLED`` nor
    the opt-in. Do not call it inside ``transaction.atomic``.

    :param providers: names to test; default :func:`providers_to_test`.
    :returns: ``{provider: {"status": "ok"}}`` or ``{provider: {"status":
        "failed", "kind": ..., "message": ...}}`` (messages scrubbed of the
        key); the same dict is stored on ``ai_settings``.
    """
    names = providers_to_test(ai_settings) if providers is None else list(providers)
    statuses = {name: _test_one(ai_settings, name) for name in names}
    now = timezone.now()
    type(ai_settings)._default_manager.filter(pk=ai_settings.pk).update(
        api_key_test_status=statuses, api_key_last_tested=now
    )
    ai_settings.api_key_test_status = statuses
    ai_settings.api_key_last_tested = now
    summary = ", ".join(
        f"{name} {s['status']}" + (f" ({s['kind']})" if s["status"] != "ok" else "")
        for name, s in statuses.items()
    )
    logger.info("Tested AI keys of user #%s: %s", ai_settings.user_id, summary or "nothing to test")
    return statuses


# Not a pytest test, though its name starts with test_.
test_api_keys.__test__ = False  # type: ignore[attr-defined]


def result_details(result: Any, *, max_raw: int = 4000) -> dict[str, Any]:
    """JSON-safe facts about a provider call for logs and audit fields.

    :returns: ``provider``, ``model``, ``latency_ms``, ``usage`` (token
        counts), ``confidence`` and the scrubbed ``raw_response`` (cut to
        ``max_raw`` characters); never the key.
    """
    return {
        "provider": result.provider,
        "model": result.model,
        "latency_ms": result.latency_ms,
        "usage": dict(result.usage or {}),
        "confidence": result.confidence,
        "raw_response": scrub(result.raw_response or "")[:max_raw],
    }


def error_details(err: Exception) -> dict[str, Any]:
    """JSON-safe facts about a failed provider call.

    :returns: ``error`` (class name), ``kind``, ``provider``, ``status_code``,
        ``message`` and ``raw_response``; messages are scrubbed by the
        provider and :func:`call_provider`, and once more here for key-shaped text.
    """
    return {
        "error": type(err).__name__,
        "kind": getattr(err, "kind", "error"),
        "provider": getattr(err, "provider", ""),
        "status_code": getattr(err, "status_code", None),
        "message": scrub(str(err))[:500],
        "raw_response": scrub(getattr(err, "raw_response", "") or "")[:4000],
    }


# -- editing (the faces call these) ------------------------------------------------

_PROVIDER_KEYS = ("openai", "claude", "gemini")


@sensitive_variables("keys", "value", "row")
def update_ai_settings(user: UserLike, *, keys: Mapping[str, str | None] | None = None, **fields: Any) -> Any:
    """Change the user's AI settings: keys (encrypted; ``""``/``None`` clears), models, provider.

    :returns: the AISettings row.
    :raises django.core.exceptions.ValidationError: an unknown provider.
    """
    ownership.require_signed_in(user)
    row = ai_settings_for(user)
    for provider, value in (keys or {}).items():
        if provider not in _PROVIDER_KEYS:
            raise UnexpectedField(f"Unknown key provider {provider!r}; use one of {', '.join(_PROVIDER_KEYS)}.")
        row.set_api_key(provider, value or None)
    for name, value in fields.items():
        if name not in ("openai_model", "claude_model", "gemini_model", "active_parser_provider"):
            raise UnexpectedField(f"update_ai_settings() got an unexpected field {name!r}")
        setattr(row, name, value)
    row.full_clean(exclude=["user", "openai_api_key", "claude_api_key", "gemini_api_key"])
    row.save()
    return row
