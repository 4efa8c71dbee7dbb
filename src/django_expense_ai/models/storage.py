"""Where statement files are kept, under which names, and what a user sees as their name.

By default (``EXPENSE_AI["STORAGE_ALIAS"] = None``) statement files go to the
library's own :class:`PrivateFileSystemStorage`: a folder outside the web
roots (``EXPENSE_AI["PRIVATE_STORAGE_ROOT"]``, else ``BASE_DIR /
"expense_ai_private"``) whose ``url()`` refuses to give a URL, so the only way
to a file is the permission-checked download view. A host names another
storage (a private bucket) by its ``STORAGES`` alias instead.

The storage is chosen when it is used, not when the model is imported
(:class:`StatementStorage` forwards every call), so ``override_settings``
works and an unconfigured site still starts and says what is missing in
``manage.py check``.

Stored names are random tokens with the extension of the *detected* format;
display names (what the user called the file) lose control and bidi
characters (:func:`clean_display_name`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import IO, Any

from django.conf import settings as django_settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage

from ..conf import settings
from ..exceptions import ConfigurationError, InvalidArgument, NoPublicURL

__all__ = [
    "PRIVATE_FOLDER_NAME",
    "STORED_SUFFIXES",
    "PrivateFileSystemStorage",
    "StatementStorage",
    "clean_display_name",
    "configured_storage",
    "download_name",
    "private_storage_root",
    "random_stored_name",
    "stored_suffix",
]

#: Folder made under ``BASE_DIR`` when ``PRIVATE_STORAGE_ROOT`` is not set.
PRIVATE_FOLDER_NAME = "expense_ai_private"

#: The only extensions a stored statement file may have (``.qfx`` is OFX by content).
STORED_SUFFIXES = (".pdf", ".csv", ".ofx", ".qfx")

_SUFFIX_OF_FORMAT = {"pdf": ".pdf", "csv": ".csv", "ofx": ".ofx"}


# -- the storage ----------------------------------------------------------------


class PrivateFileSystemStorage(FileSystemStorage):
    """A :class:`~django.core.files.storage.FileSystemStorage` that has no URL.

    ``base_url`` is ``None`` and :meth:`url` raises :class:`NoPublicURL`, so no
    template or serializer can link to a statement file by accident. Files are
    readable by the site's own OS user only (``0o600``, folders ``0o700``),
    whatever ``FILE_UPLOAD_PERMISSIONS`` says for public uploads; a site that
    needs other modes names its own storage in ``STORAGE_ALIAS``.
    """

    def __init__(self, location: str | os.PathLike, **kwargs: Any):
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(location=os.fspath(location), base_url=None, **kwargs)

    @property
    # None on purpose, where FileSystemStorage (and its stub: str) falls back to MEDIA_URL.
    def base_url(self) -> None:  # type: ignore[override]
        return None

    def url(self, name: str | None) -> str:
        """Never a URL.

        :raises NoPublicURL: always; link to ``expense_ai:statement_download`` instead.
        """
        raise NoPublicURL(
            "Statement files have no public URL. Link to the permission-checked download view, "
            "reverse('expense_ai:statement_download', args=[uploaded_file.pk])."
        )


class StatementStorage(Storage):
    """The storage ``UploadedFile.file`` uses: every call goes to :func:`configured_storage`.

    A model field keeps its storage object for the life of the process; this
    stand-in lets the setting decide at each call instead (tests override it,
    and a missing setting is reported when a file is stored, not at import).
    """

    @property
    def target(self) -> Storage:
        """The storage the settings name right now (see :func:`configured_storage`)."""
        return configured_storage()

    def open(self, name: str, mode: str = "rb") -> File:
        return self.target.open(name, mode)

    def save(self, name: str | None, content: IO[Any], max_length: int | None = None) -> str:
        return self.target.save(name, content, max_length=max_length)

    def get_valid_name(self, name: str) -> str:
        return self.target.get_valid_name(name)

    def get_alternative_name(self, file_root: str, file_ext: str) -> str:
        return self.target.get_alternative_name(file_root, file_ext)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.target.get_available_name(name, max_length=max_length)

    def is_name_available(self, name: str, max_length: int | None = None) -> bool:  # Django 6.0+
        return self.target.is_name_available(name, max_length=max_length)

    def generate_filename(self, filename: str | os.PathLike[str]) -> str:
        return self.target.generate_filename(filename)

    def path(self, name: str) -> str:
        return self.target.path(name)

    def delete(self, name: str) -> None:
        return self.target.delete(name)

    def exists(self, name: str) -> bool:
        return self.target.exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.target.listdir(path)

    def size(self, name: str) -> int:
        return self.target.size(name)

    def url(self, name: str | None) -> str:
        return self.target.url(name)

    def get_accessed_time(self, name: str) -> dt.datetime:
        return self.target.get_accessed_time(name)

    def get_created_time(self, name: str) -> dt.datetime:
        return self.target.get_created_time(name)

    def get_modified_time(self, name: str) -> dt.datetime:
        return self.target.get_modified_time(name)


#: One private storage per root (FileSystemStorage is cheap, but its cached paths are not free).
_PRIVATE_STORAGES: dict[str, PrivateFileSystemStorage] = {}


def private_storage_root() -> Path:
    """The folder of the library's private storage.

    ``EXPENSE_AI["PRIVATE_STORAGE_ROOT"]`` when set, else ``BASE_DIR /
    "expense_ai_private"``. Never the working directory: a relative path, or
    neither setting, is an error.

    :returns: an absolute path (it may not exist yet; it is created on first save).
    :raises ConfigurationError: no root can be derived, or it is relative.
    """
    configured = settings.PRIVATE_STORAGE_ROOT
    if configured not in (None, ""):
        root, source = Path(os.fspath(configured)), 'EXPENSE_AI["PRIVATE_STORAGE_ROOT"]'
    else:
        base_dir = getattr(django_settings, "BASE_DIR", None)
        if base_dir in (None, ""):
            raise ConfigurationError(
                'Statement files have nowhere private to go: set EXPENSE_AI["PRIVATE_STORAGE_ROOT"] to an '
                "absolute folder outside MEDIA_ROOT and STATIC_ROOT (or define BASE_DIR, and they go to "
                f'BASE_DIR / "{PRIVATE_FOLDER_NAME}"), or name a private storage in EXPENSE_AI["STORAGE_ALIAS"].'
            )
        root, source = Path(os.fspath(base_dir)) / PRIVATE_FOLDER_NAME, "BASE_DIR"
    if not root.is_absolute():
        raise ConfigurationError(
            f"{source} is a relative path ({os.fspath(root)!r}); statement files would land wherever the "
            "process happens to start. Give an absolute folder."
        )
    return root


def configured_storage() -> Storage:
    """The storage statement files go to under the current settings.

    ``STORAGES[EXPENSE_AI["STORAGE_ALIAS"]]`` when the alias is set, else the
    library's :class:`PrivateFileSystemStorage` at :func:`private_storage_root`.

    :raises ConfigurationError: the alias is not in ``STORAGES``, or no private root is configured.
    """
    alias = settings.STORAGE_ALIAS
    if alias:
        from django.core.files.storage import InvalidStorageError, storages

        try:
            return storages[alias]
        except InvalidStorageError as err:
            raise ConfigurationError(
                f'EXPENSE_AI["STORAGE_ALIAS"] is {alias!r}, which is not a key of STORAGES. Add it to '
                "STORAGES, or set STORAGE_ALIAS to None for the library's private folder."
            ) from err
    key = os.fspath(private_storage_root())
    storage = _PRIVATE_STORAGES.get(key)
    if storage is None:
        storage = _PRIVATE_STORAGES[key] = PrivateFileSystemStorage(key)
    return storage


# -- names ----------------------------------------------------------------------


def stored_suffix(fmt: str, filename: str = "") -> str:
    """The extension a statement of detected format ``fmt`` is stored with.

    The user's own extension is never trusted: it only picks ``.qfx`` over
    ``.ofx`` for content already detected as OFX.

    :param fmt: ``"pdf"``, ``"csv"`` or ``"ofx"`` (see ``formats.detect.detect_format``).
    :returns: one of :data:`STORED_SUFFIXES`.
    :raises InvalidArgument: ``fmt`` is not a format the library reads (a ``ValueError``).
    """
    try:
        suffix = _SUFFIX_OF_FORMAT[fmt]
    except KeyError:
        raise InvalidArgument(
            f"{fmt!r} is not a statement format; pass one of {sorted(_SUFFIX_OF_FORMAT)} (what detect_format() returns)."
        ) from None
    if fmt == "ofx" and (filename or "").lower().endswith(".qfx"):
        return ".qfx"
    return suffix


def random_stored_name(filename: str, prefix: str) -> str:
    """``<prefix>/<random token><suffix>``: nothing of the user's name but an allowed extension.

    :param filename: the name asked for; its extension is kept only when it
        is one of :data:`STORED_SUFFIXES` (the pipeline passes the detected one).
    :returns: the storage name.
    """
    suffix = os.path.splitext(filename or "")[1].lower()
    if suffix not in STORED_SUFFIXES:
        suffix = ""
    return f"{prefix.rstrip('/')}/{secrets.token_urlsafe(24)}{suffix}"


# Characters that change how a name reads without being visible: bidi embeddings,
# overrides and isolates, the marks, and the other format characters (category Cf).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SPACES = re.compile(r"\s+")

#: Longest display name kept (the column's max_length).
MAX_DISPLAY_NAME = 255


def clean_display_name(name: str | None, default: str = "statement") -> str:
    """The name of an uploaded file as it may be shown and offered for download.

    Drops any folder part, control characters, bidi controls (U+202A–U+202E,
    U+2066–U+2069, U+200E/U+200F, U+061C) and other invisible format
    characters, so ``"statement\\u202efdp.exe"`` reads as what it is
    (``"statementfdp.exe"``); turns line breaks and tabs into spaces and
    collapses them; keeps at most 255 characters (and the extension).

    :returns: the cleaned name, or ``default`` when nothing printable is left.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _SPACES.sub(" ", text)  # line breaks and tabs separate words: keep them apart
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)
    text = _SPACES.sub(" ", text).strip()
    if text in ("", ".", ".."):
        return default
    if len(text) > MAX_DISPLAY_NAME:
        stem, suffix = os.path.splitext(text)
        suffix = suffix if len(suffix) <= 16 else ""
        text = stem[: MAX_DISPLAY_NAME - len(suffix)] + suffix
    return text


def download_name(display_name: str, stored_name: str) -> str:
    """The file name a download is offered under: the display name, ending in the stored extension.

    A file shown as ``evil.html`` whose content is CSV is offered as
    ``evil.html.csv``, so the browser and the desktop open it as what it is.

    :returns: the cleaned display name, with the stored file's extension appended when it differs.
    """
    name = clean_display_name(display_name)
    suffix = os.path.splitext(stored_name or "")[1].lower()
    if suffix in STORED_SUFFIXES and not name.lower().endswith(suffix):
        name = name[: MAX_DISPLAY_NAME - len(suffix)] + suffix
    return name
