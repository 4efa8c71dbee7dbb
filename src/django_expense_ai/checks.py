"""System checks: the encryption key, the swapped models, statement storage, the URLs.

Ids: ``expense_ai.E001`` key missing, ``expense_ai.E002`` key malformed,
``expense_ai.E003`` a swapped model lacks a field the library needs,
``expense_ai.E004`` statement storage not configured, ``expense_ai.W004``
statement storage public (a URL, or inside ``MEDIA_ROOT``/``STATIC_ROOT``),
``expense_ai.E005`` the app's URLs not included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core import checks

if TYPE_CHECKING:
    from django.apps import AppConfig
    from django.core.files.storage import Storage

from .crypto import HOW_TO_GENERATE, configured_keys
from .exceptions import ConfigurationError


@checks.register(checks.Tags.security)
def check_statement_password_key(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E001/E002: ``STATEMENT_PASSWORD_KEY`` must be one or more valid Fernet keys."""
    from .conf import settings

    raw = settings.STATEMENT_PASSWORD_KEY
    if raw in (None, "", b"", [], ()):
        return [
            checks.Error(
                "STATEMENT_PASSWORD_KEY is not set; stored statement passwords and API keys "
                "cannot be encrypted or read.",
                hint=HOW_TO_GENERATE,
                id="expense_ai.E001",
            )
        ]
    try:
        configured_keys()
    except ConfigurationError as err:
        return [checks.Error(str(err).split(". Generate")[0] + ".", hint=HOW_TO_GENERATE, id="expense_ai.E002")]
    return []


REQUIRED_FIELDS = {
    "CurrencyInfo": ("code", "minor_units", "name"),
    "AISettings": ("user", "active_parser_provider", "openai_api_key", "claude_api_key", "gemini_api_key"),
    "UserPreferences": ("user", "quick_add_mode", "default_chat_parser", "default_currency"),
}


@checks.register(checks.Tags.models)
def check_swapped_models(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E003: a host's swapped model must carry the fields of the library's abstract base."""
    import swapper

    errors: list[checks.CheckMessage] = []
    for name, fields in REQUIRED_FIELDS.items():
        model = swapper.load_model("expense_ai", name, required=False)
        if model is None:
            continue
        present = {f.name for f in model._meta.get_fields()}
        missing = [f for f in fields if f not in present]
        if missing:
            errors.append(
                checks.Error(
                    f"{model._meta.label} (the EXPENSE_AI_{name.upper()}_MODEL) lacks {', '.join(missing)}.",
                    hint=f"Subclass django_expense_ai.models.Abstract{name} and run makemigrations.",
                    obj=model,
                    id="expense_ai.E003",
                )
            )
    return errors


@checks.register(checks.Tags.security)
def check_statement_storage(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E004: statement files have a storage; W004: it is not public.

    Public means: it hands out URLs (an explicit ``base_url`` other than
    ``MEDIA_URL``, a django-storages bucket with ``querystring_auth = False``
    or a ``public-read`` ACL), or its folder lies under ``MEDIA_ROOT`` or
    ``STATIC_ROOT`` (which web servers publish).
    """
    from .models.storage import configured_storage

    try:
        storage = configured_storage()
    except ConfigurationError as err:
        return [checks.Error(str(err), hint=_STORAGE_HINT, id="expense_ai.E004")]
    return [
        checks.Warning(f"Statement files are stored where they can be reached: {problem}.",
                       hint=_STORAGE_HINT, id="expense_ai.W004")
        for problem in _public_storage_problems(storage)
    ]


_STORAGE_HINT = (
    'Leave EXPENSE_AI["STORAGE_ALIAS"] = None and set EXPENSE_AI["PRIVATE_STORAGE_ROOT"] to an absolute folder '
    "outside MEDIA_ROOT and STATIC_ROOT, or name a private bucket's STORAGES alias; downloads go through "
    "the expense_ai:statement_download view. See docs/security.rst, 'Where statement files are stored'."
)


def _public_storage_problems(storage: Storage) -> list[str]:
    """What makes ``storage`` public, in words (empty when nothing does)."""
    from pathlib import Path

    from django.conf import settings as django_settings
    from django.core.files.storage import InMemoryStorage

    from .models.storage import PrivateFileSystemStorage

    problems: list[str] = []
    name = type(storage).__name__
    base_url = getattr(storage, "base_url", None)
    # MEDIA_URL is the fallback of a storage without its own URL: only a URL the host gave it publishes it
    # (a folder under MEDIA_ROOT is caught below).
    if base_url and base_url != django_settings.MEDIA_URL and not isinstance(storage, PrivateFileSystemStorage):
        problems.append(f"the storage ({name}) has the public base URL {base_url!r}")
    if getattr(storage, "querystring_auth", None) is False:
        problems.append(f"the storage ({name}) gives unsigned URLs (querystring_auth = False)")
    acl = getattr(storage, "default_acl", None)  # django-storages' bucket ACL
    if str(acl or "").startswith("public-"):
        problems.append(f"the storage ({name}) stores files with the ACL {acl!r}")
    location = getattr(storage, "location", None)
    if isinstance(location, (str, Path)) and not isinstance(storage, InMemoryStorage):
        folder = Path(location).resolve()
        if folder == Path.cwd().resolve():
            # A FileSystemStorage with an empty MEDIA_ROOT writes where the process was started.
            problems.append(f"its folder is the working directory ({str(folder)!r})")
        for setting in ("MEDIA_ROOT", "STATIC_ROOT"):
            root = getattr(django_settings, setting, None)
            if not root:
                continue
            root_path = Path(root).resolve()
            if folder == root_path or root_path in folder.parents:
                problems.append(f"its folder {str(folder)!r} lies under {setting} ({str(root_path)!r})")
    return problems


@checks.register(checks.Tags.urls)
def check_urls_included(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E005: the host's ``ROOT_URLCONF`` includes ``django_expense_ai.urls``.

    Without it, the admin's file pages fail with ``NoReverseMatch`` (a 500)
    while everything else looks fine.
    """
    from django.conf import settings as django_settings
    from django.urls import NoReverseMatch, reverse

    if not getattr(django_settings, "ROOT_URLCONF", None):
        return []  # Django's own checks speak about a missing URLconf
    try:
        reverse("expense_ai:statement_download", args=[1])
    except NoReverseMatch:
        return [
            checks.Error(
                "The URLs of django_expense_ai are not included in ROOT_URLCONF "
                f"({django_settings.ROOT_URLCONF}); statement downloads and the admin's file pages fail "
                "with NoReverseMatch.",
                hint='Add path("expense-ai/", include("django_expense_ai.urls")) to your urlpatterns '
                "(any prefix; keep the include's default namespace, expense_ai).",
                id="expense_ai.E005",
            )
        ]
    return []
