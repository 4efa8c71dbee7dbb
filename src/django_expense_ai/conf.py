"""Library settings, read lazily from ``settings.EXPENSE_AI``.

Every key below has a documented default; a host overrides any of them with one
dict in its settings::

    EXPENSE_AI = {"AI_ENABLED": True, "MAX_UPLOAD_BYTES": 5 * 1024 * 1024}

Values are read on every access (never cached at import time), so
``override_settings(EXPENSE_AI={...})`` works in tests. ``docs/settings.rst``
lists every key; a test checks that it does.

The secret key is the spec's top-level ``settings.STATEMENT_PASSWORD_KEY``
(see :mod:`django_expense_ai.crypto`), not a key of this dict.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

#: Default values, one per setting, with the reason in the docs page.
DEFAULTS: dict[str, Any] = {
    # Plugins: dotted module paths loaded after the built-ins, before entry points.
    "PLUGINS": [],
    # AI: off for the whole site until the operator turns it on.
    "AI_ENABLED": False,
    # Offer test-only providers (the fake one) as a choice in forms; tests turn it on.
    "OFFER_TEST_PROVIDERS": False,
    "PROVIDER_TIMEOUT": 30.0,
    "PROVIDER_MAX_RETRIES": 2,
    "PROVIDER_BASE_URLS": {},
    "DEFAULT_MODELS": {
        "openai": "gpt-4o-mini",
        "claude": "claude-3-5-haiku-latest",
        "gemini": "gemini-2.0-flash",
    },
    "AI_FALLBACK_CONFIDENCE": 0.6,
    # Statement uploads: limits with safe defaults.
    "MAX_UPLOAD_BYTES": 20 * 1024 * 1024,
    "MAX_PDF_PAGES": 500,
    "MAX_EXTRACTION_SECONDS": 60.0,
    # Wall-clock budget for reading one statement (checked inside pages and CSV rows).
    "MAX_PROCESSING_SECONDS": 10.0,
    "MAX_STATEMENT_ROWS": 50_000,
    # Statement files: None = the library's private folder (no URL); or a STORAGES alias.
    "STORAGE_ALIAS": None,
    # That private folder: absolute; None = BASE_DIR / "expense_ai_private".
    "PRIVATE_STORAGE_ROOT": None,
    "UPLOAD_PREFIX": "expense_ai/statements",
    # Bytes of statement files one user may keep (refused files are not kept); None or 0 = no quota.
    "MAX_STORAGE_BYTES_PER_USER": 500 * 1024 * 1024,
    "PROCESSING_VERSION": "2.0",
    "TASKS_MODE": "immediate",
    # De-duplication of transactions.
    "DEDUP_DATE_WINDOW_DAYS": 3,
    "DEDUP_DESCRIPTION_SIMILARITY": 0.8,
    # Duplicate statements.
    "MERGE_SUGGESTION_THRESHOLD": 80.0,
    # Chat.
    "CHAT_MAX_LENGTH": 1000,
    "CHAT_CONFIRM_BELOW": 0.6,
    "DEFAULT_CURRENCY": "USD",
    # Classification: which classifications are left out of regular totals.
    "EXCLUDED_CLASSIFICATIONS": ["charity", "family_support", "reimbursable", "one_time"],
    # Splits: "largest_remainder" or "payer_absorbs".
    "SPLIT_REMAINDER_POLICY": "largest_remainder",
    # Batches for migrations, key rotation and archival.
    "BATCH_SIZE": 2000,
    # Caching of reports.
    "CACHE_ALIAS": "default",
    "CACHE_TIMEOUT": 3600,
    "ARCHIVE_STORAGE_ALIAS": "default",
    "ARCHIVE_PREFIX": "expense_ai/archive",
    # Pages (django_expense_ai.web): the host template expense_ai/base.html extends.
    "BASE_TEMPLATE": "expense_ai/layout.html",
    # Pages: chat messages per screenful (older ones load on scroll).
    "CHAT_PAGE_SIZE": 30,
}


class Settings:
    """Attribute access to ``EXPENSE_AI`` keys with defaults; read at call time."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"EXPENSE_AI has no setting {name!r}")
        user = getattr(django_settings, "EXPENSE_AI", None) or {}
        return user.get(name, DEFAULTS[name])

    def __dir__(self) -> list[str]:
        return sorted(DEFAULTS)

    @property
    def STATEMENT_PASSWORD_KEY(self) -> Any:  # noqa: N802 - mirrors the Django setting name
        """The spec's top-level Django setting: one Fernet key or a list, newest first."""
        return getattr(django_settings, "STATEMENT_PASSWORD_KEY", None)


settings = Settings()
