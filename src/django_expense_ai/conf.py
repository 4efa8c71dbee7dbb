"""Library settings, read lazily from ``settings.EXPENSE_AI``: one typed object.

Every key is a :class:`Setting` on :class:`Settings`, with its type, its
default and a docstring; the docs' settings page is generated from them
(``docs/settings.rst`` uses the ``expense-ai-settings`` directive of
``docs/conf.py``), so code and page cannot drift. A host overrides any key
with one dict::

    EXPENSE_AI = {"AI_ENABLED": True, "MAX_UPLOAD_BYTES": 5 * 1024 * 1024}

Values are read on every access (never cached at import time), so
``override_settings(EXPENSE_AI={...})`` works in tests (the allauth
``app_settings`` pattern).

The secret key is the spec's top-level ``settings.STATEMENT_PASSWORD_KEY``
(see :mod:`django_expense_ai.crypto`), not a key of this dict.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Generic, TypeVar, overload

from django.conf import settings as django_settings

T = TypeVar("T")

__all__ = ["DEFAULTS", "Setting", "Settings", "settings"]


class Setting(Generic[T]):
    """One key of ``EXPENSE_AI``: its default, how the docs show it, and what it means."""

    def __init__(self, default: T, *, doc: str, shown: str | None = None) -> None:
        self.default = default
        self.shown = shown or f"``{default!r}``"
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object | None, owner: type) -> T | Setting[T]:
        if instance is None:
            return self
        user = getattr(django_settings, "EXPENSE_AI", None) or {}
        if self.name in user:
            return user[self.name]
        # A fresh copy of a list or dict default: a caller changing it changes nothing else.
        return copy.deepcopy(self.default) if isinstance(self.default, (list, dict)) else self.default


class Settings:
    """Attribute access to ``EXPENSE_AI`` keys with defaults; read at call time."""

    PLUGINS: Setting[list[str]] = Setting(
        [],
        doc=(
            'Dotted paths of plugin modules to load after the built-ins and before entry points (see '
            ':doc:`hooks`).'
        ),
    )
    AI_ENABLED: Setting[bool] = Setting(
        False,
        doc='Site switch for AI providers. Off: no text ever leaves the site.',
    )
    OFFER_TEST_PROVIDERS: Setting[bool] = Setting(
        False,
        doc=(
            "Offer test-only providers (``fake``) as a choice of ``active_parser_provider`` in forms "
            "(admin, pages). Off, they are still usable by name from code, so a host's tests can save "
            '``active_parser_provider="fake"``.'
        ),
    )
    PROVIDER_TIMEOUT: Setting[float] = Setting(
        30.0,
        doc='Seconds before an AI call times out.',
    )
    PROVIDER_MAX_RETRIES: Setting[int] = Setting(
        2,
        doc="Retries on 429/5xx, handed to each vendor SDK's own retry option.",
    )
    PROVIDER_BASE_URLS: Setting[dict[str, str]] = Setting(
        {},
        doc='``{provider: url}`` to point an SDK at a proxy (or a test server).',
    )
    DEFAULT_MODELS: Setting[dict[str, str]] = Setting(
        {"openai": "gpt-4o-mini", "claude": "claude-3-5-haiku-latest", "gemini": "gemini-2.0-flash"},
        shown='``{"openai": "gpt-4o-mini", "claude": "claude-3-5-haiku-latest", "gemini": "gemini-2.0-flash"}``',
        doc='Defaults of the ``*_model`` fields of new AISettings rows.',
    )
    AI_FALLBACK_CONFIDENCE: Setting[float] = Setting(
        0.6,
        doc=(
            'Below this system-parser confidence (or with no rows) the statement pipeline asks the AI '
            'provider as a hybrid fallback.'
        ),
    )
    MAX_UPLOAD_BYTES: Setting[int] = Setting(
        20 * 1024 * 1024, shown='``20971520`` (20 MiB)',
        doc='Largest statement file accepted.',
    )
    MAX_PDF_PAGES: Setting[int] = Setting(
        500,
        doc='Largest PDF page count accepted.',
    )
    MAX_EXTRACTION_SECONDS: Setting[float] = Setting(
        60.0,
        doc='Time limit for text extraction, checked between pages.',
    )
    MAX_PROCESSING_SECONDS: Setting[float] = Setting(
        10.0,
        doc=(
            'Wall-clock budget for reading one statement (text extraction, then parsing, each within it), '
            'checked inside pages and CSV rows; past it the import fails with ``ProcessingLimitExceeded``.'
        ),
    )
    MAX_STATEMENT_ROWS: Setting[int] = Setting(
        50_000, shown='``50000``',
        doc='Most transactions one statement may contain.',
    )
    MAX_PAGE_CONTENT_BYTES: Setting[int] = Setting(
        1024 * 1024,
        shown="``1048576`` (1 MiB)",
        doc=(
            "Most decoded drawing instructions (content streams and the forms they draw) one PDF page "
            "may hold; a page over it is not read and the import fails with ``ProcessingLimitExceeded`` "
            '(``limit="MAX_PAGE_CONTENT_BYTES"``). Real statement pages hold 10–200 KB. ``0``: no limit.'
        ),
    )
    MAX_PAGE_TEXT_OPERATORS: Setting[int] = Setting(
        30_000,
        doc=(
            "Most text operators (``Td``, ``Tm``, ``Tj``, ``TJ``, ...) one PDF page may hold before it is "
            "read; a dense real page has a few thousand. ``0``: no limit."
        ),
    )
    PDF_ENGINE: Setting[str] = Setting(
        "auto",
        doc=(
            'Which engine reads PDFs: ``"auto"`` (PDFium when the ``[pdfium]`` extra is installed, else '
            'pypdf), ``"pypdf"`` or ``"pdfium"`` (a ``ConfigurationError`` when pypdfium2 is missing). '
            "See :ref:`pdf-engines`."
        ),
    )
    MAX_CSV_COLUMNS: Setting[int] = Setting(
        1000,
        doc=(
            "Most columns a line of a CSV statement may have (counted as delimiters, before the file is "
            "split into rows); past it the import fails with ``ProcessingLimitExceeded`` naming this "
            "setting. ``0`` turns the cap off."
        ),
    )
    MAX_CSV_LINE_LENGTH: Setting[int] = Setting(
        65_536,
        doc=(
            "Longest line (in characters) a CSV statement may have; past it the import fails with "
            "``ProcessingLimitExceeded`` naming this setting. ``0`` turns the cap off."
        ),
    )
    STORAGE_ALIAS: Setting[str | None] = Setting(
        None,
        doc=(
            "Where statement files are kept. ``None``: the library's own private folder "
            '(``PRIVATE_STORAGE_ROOT``), which has no URL. Or the ``STORAGES`` alias of a private storage of '
            'yours (a private bucket). See :ref:`statement-storage`.'
        ),
    )
    PRIVATE_STORAGE_ROOT: Setting[str | os.PathLike[str] | None] = Setting(
        None, shown='``None`` (``BASE_DIR / "expense_ai_private"``)',
        doc=(
            'Absolute folder of the private storage, outside ``MEDIA_ROOT`` and ``STATIC_ROOT``. Unset, it is '
            '``BASE_DIR / "expense_ai_private"``; with neither it nor ``BASE_DIR`` (or a relative path) '
            'nothing can be stored and ``manage.py check`` reports ``expense_ai.E004``.'
        ),
    )
    UPLOAD_PREFIX: Setting[str] = Setting(
        "expense_ai/statements",
        doc=(
            'Folder inside that storage; file names are random tokens with the extension of the detected '
            'format (``.pdf``, ``.csv``, ``.ofx``, ``.qfx``).'
        ),
    )
    MAX_STORAGE_BYTES_PER_USER: Setting[int | None] = Setting(
        500 * 1024 * 1024, shown='``524288000`` (500 MiB)',
        doc=(
            'Bytes of statement files one user may keep; an upload past it fails at the upload stage with '
            '``StorageQuotaExceeded`` and is not stored. Refused files are never kept, so they do not count. '
            '``None`` or ``0``: no quota.'
        ),
    )
    PROCESSING_VERSION: Setting[str] = Setting(
        "2.0",
        doc='Written to ``UploadedFile.processing_version`` by the pipeline.',
    )
    TASKS_MODE: Setting[str] = Setting(
        "immediate",
        doc=(
            '``"immediate"`` processes uploads in the request; ``"enqueue"`` hands the file id to Django\'s '
            'tasks framework.'
        ),
    )
    IMMEDIATE_MAX_BYTES: Setting[int] = Setting(
        2 * 1024 * 1024,
        shown="``2097152`` (2 MiB)",
        doc=(
            "In immediate mode, a file larger than this goes to the task queue (as in enqueue mode) "
            "instead of being read in the request, when a tasks backend is installed. ``0``: never."
        ),
    )
    IMMEDIATE_MAX_PAGES: Setting[int] = Setting(
        20,
        doc="In immediate mode, a PDF of more pages than this goes to the task queue. ``0``: never.",
    )
    DEDUP_DATE_WINDOW_DAYS: Setting[int] = Setting(
        3,
        doc='Date window for fuzzy duplicate-transaction matching.',
    )
    DEDUP_DESCRIPTION_SIMILARITY: Setting[float] = Setting(
        0.8,
        doc='Minimum description similarity (0–1) for a fuzzy duplicate.',
    )
    REVIEW_UPLOADS: Setting[bool] = Setting(
        True,
        doc=(
            "Whether statements uploaded through the pages and the API stop in ``awaiting_review`` "
            "(rows and duplicate verdicts shown, nothing created until the user commits). A request may "
            "still say ``review=false``. Direct calls of ``import_statement`` and the management "
            "command review only when asked (``review=True``, ``--review``). See :doc:`review`."
        ),
    )
    REVIEW_EXPIRY_DAYS: Setting[int] = Setting(
        14,
        doc=(
            "Days an uncommitted review waits before ``expire_reviews`` (the "
            "``expense_ai_expire_reviews`` command) marks the file failed; its log rows are kept."
        ),
    )
    MERGE_SUGGESTION_THRESHOLD: Setting[float] = Setting(
        80.0,
        doc='Similarity score (0–100) above which a statement merge is suggested.',
    )
    CHAT_MAX_LENGTH: Setting[int] = Setting(
        1000,
        doc='Longest chat message accepted (characters).',
    )
    CHAT_CONFIRM_BELOW: Setting[float] = Setting(
        0.6,
        doc='Below this parse confidence chat adds a suggestion instead of creating a transaction.',
    )
    DEFAULT_CURRENCY: Setting[str] = Setting(
        "USD",
        doc='Site default currency when a user has no default account.',
    )
    AUTO_CATEGORY_CONFIDENCE: Setting[float] = Setting(
        0.8,
        doc=(
            "A category suggested from the user's history (or a ``categorize_transactions`` plugin) at or "
            'above this confidence is applied at import and chat entry; below it, it is kept as a suggestion. '
            '``1`` never applies one on its own. See :doc:`categorize`.'
        ),
    )
    CATEGORIZE_FROM_HISTORY: Setting[bool] = Setting(
        True,
        doc=(
            "The built-in categorisation plugin answers from the user's own history; ``False`` leaves only "
            'host plugins.'
        ),
    )
    CATEGORIZE_CLASSIFIER: Setting[bool] = Setting(
        True,
        doc=(
            'Use the scikit-learn text classifier (``[learn]`` extra) when it is installed; ``False`` answers '
            'from the payee memory alone.'
        ),
    )
    CATEGORIZE_HISTORY_LIMIT: Setting[int] = Setting(
        50_000, shown='``50000``',
        doc="The most recent categorised transactions a user's categorizer learns from.",
    )
    CATEGORIZE_MODELS_KEPT: Setting[int] = Setting(
        32,
        doc=(
            "How many users' trained categorizers each process keeps in memory (never pickled, cached or "
            'stored; rebuilt when the history changes).'
        ),
    )
    EXCLUDED_CLASSIFICATIONS: Setting[list[str]] = Setting(
        ["charity", "family_support", "reimbursable", "one_time"],
        doc='Classifications left out of regular totals (``exclude_from_totals``).',
    )
    SPLIT_REMAINDER_POLICY: Setting[str] = Setting(
        "largest_remainder",
        doc='Who gets leftover minor units of a split: ``"largest_remainder"`` or ``"payer_absorbs"``.',
    )
    BATCH_SIZE: Setting[int] = Setting(
        2000,
        doc='Batch size for key rotation, archival and similar bulk work.',
    )
    CACHE_ALIAS: Setting[str] = Setting(
        "default",
        doc='Cache used for monthly totals and budget reports.',
    )
    CACHE_TIMEOUT: Setting[int] = Setting(
        3600,
        doc='Seconds a cached report lives (it is also invalidated on change).',
    )
    ARCHIVE_STORAGE_ALIAS: Setting[str] = Setting(
        "default",
        doc='Storage alias for archives of old chat messages and logs.',
    )
    ARCHIVE_PREFIX: Setting[str] = Setting(
        "expense_ai/archive",
        doc='Folder for those archives.',
    )
    BASE_TEMPLATE: Setting[str] = Setting(
        "expense_ai/layout.html",
        doc=(
            "The template ``expense_ai/base.html`` extends, so the pages sit inside the host's layout: it "
            "must define the blocks ``title``, ``extra_head``, ``content`` and ``scripts`` (see "
            ":doc:`pages`). The default is a minimal standalone layout shipped with the library."
        ),
    )
    CHAT_PAGE_SIZE: Setting[int] = Setting(
        30,
        doc="Chat messages shown at once on the chat page; older ones load as the user scrolls up.",
    )
    API_THROTTLE_RATES: Setting[dict[str, str | None]] = Setting(
        {"expense_ai_chat": "60/min", "expense_ai_upload": "30/hour", "expense_ai_keys": "10/hour"},
        doc=(
            "REST API rates per throttle scope (chat submit, statement uploads, key tests), as DRF rate "
            "strings; ``None`` for a scope turns its throttle off. A scope named in the host's "
            '``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` wins. See :doc:`api`.'
        ),
    )

    @property
    def STATEMENT_PASSWORD_KEY(self) -> Any:  # noqa: N802 - mirrors the Django setting name
        """The spec's top-level Django setting: one Fernet key or a list, newest first."""
        return getattr(django_settings, "STATEMENT_PASSWORD_KEY", None)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not settings (descriptors answer the rest).
        raise AttributeError(f"EXPENSE_AI has no setting {name!r}")

    def __dir__(self) -> list[str]:
        return sorted(DEFAULTS)

    @classmethod
    def keys(cls) -> list[Setting[Any]]:
        """Every setting, in the order of the class (the docs page's order)."""
        return [value for value in vars(cls).values() if isinstance(value, Setting)]


#: Default values, one per setting (derived from :class:`Settings`).
DEFAULTS: dict[str, Any] = {s.name: s.default for s in Settings.keys()}

settings = Settings()
