"""Which password to try on a locked statement, and recording one that worked.

Try order (:func:`passwords_to_try`; the pipeline follows it as given):

0. the password the caller typed for this upload (never stored);

then the stored ones (:func:`candidate_passwords`):

1. the account's default password (the user's global default when no account is given);
2. passwords whose ``file_pattern`` matches the file's base name
   (``re.fullmatch``, case-insensitive);
3. the user's global passwords (no account).

Within each group: most successes first, then most recently used, never-used
last on every database; a password appears once, in its first group.

Whether the typed password is what opened a file is answered here too
(:func:`opened_with_given_password`, used by :func:`remember_password`), from
the file's fields, so no face reads the processing log for it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ..exceptions import InvalidArgument, NotYours, OwnershipError, UnexpectedField
from ..models import Account, StatementPassword, UploadedFile, ownership
from ..models.choices import FileStatus, ProcessingStage
from ..types import UserLike
from ..validators import MAX_PATTERN_LENGTH, validate_file_pattern  # noqa: F401  (re-exported)

logger = logging.getLogger(__name__)


def base_name(filename: str) -> str:
    """The file name without any directory, for both ``/`` and ``\\`` separators."""
    return re.split(r"[\\/]", filename or "")[-1]


def pattern_matches(pattern: str, filename: str) -> bool:
    """Whether ``pattern`` matches the whole base name of ``filename``, ignoring case.

    A pattern that fails :func:`validate_file_pattern` (stored before validation
    existed, or written around the form) never matches; it is logged, not raised,
    so one bad row cannot stop an import.
    """
    try:
        validate_file_pattern(pattern)
    except ValidationError:
        logger.warning("Ignoring an invalid or unsafe file_pattern %r.", pattern)
        return False
    return re.fullmatch(pattern, base_name(filename), flags=re.IGNORECASE) is not None


def _ordered(qs: models.QuerySet) -> models.QuerySet:
    # nulls_last explicitly: PostgreSQL sorts NULL first in DESC, SQLite/MariaDB last.
    return qs.order_by("-success_count", models.F("last_used").desc(nulls_last=True), "pk")


def candidate_passwords(user: UserLike, filename: str, account: Any = None) -> list[StatementPassword]:
    """The user's stored passwords to try on ``filename``, in try order (see the module docstring).

    :param user: the owner; only their passwords are considered.
    :param filename: the name the user gave the file; directories are ignored.
    :param account: the account the statement belongs to, if known.
    :returns: a list without duplicates, possibly empty. Nothing is decrypted here.
    """
    own = StatementPassword.objects.for_user(user)
    account_id = getattr(account, "pk", account)

    defaults = _ordered(own.filter(is_default=True, account_id=account_id))
    patterned = [
        pw for pw in _ordered(own.exclude(file_pattern="")) if pattern_matches(pw.file_pattern, filename)
    ]
    global_ones = _ordered(own.filter(account__isnull=True))

    seen: set[Any] = set()
    result: list[StatementPassword] = []
    for group in (defaults, patterned, global_ones):
        for pw in group:
            if pw.pk not in seen:
                seen.add(pw.pk)
                result.append(pw)
    return result


def passwords_to_try(
    user: UserLike, filename: str, account: Any = None, *, typed: bool = False
) -> list[StatementPassword | None]:
    """Every password to try on ``filename``, in try order (see the module docstring).

    :param typed: the caller typed a password for this upload; ``None`` stands
        for it in the list (its text never reaches this module).
    :returns: ``[None]`` first when ``typed``, then :func:`candidate_passwords`.
    """
    stored: list[StatementPassword | None] = list(candidate_passwords(user, filename, account))
    return [None, *stored] if typed else stored


def record_password_success(password: StatementPassword, uploaded_file: UploadedFile | None = None) -> None:
    """Count one successful unlock with ``password``, and mark the file it opened.

    ``success_count`` is incremented in the database (``F() + 1``) in one UPDATE,
    so concurrent imports never lose a count. ``password.success_count`` and
    ``password.last_used`` are refreshed; ``uploaded_file`` (when given) gets
    ``used_password`` and ``is_password_protected=True``.

    :raises InvalidArgument: the file and the password belong to different users (a ``ValueError``).
    """
    if uploaded_file is not None and uploaded_file.user_id != password.user_id:
        raise InvalidArgument(
            "A statement can only be unlocked with a password of its own user; pass one of the file owner's "
            "passwords (candidate_passwords)."
        )
    now = timezone.now()
    with transaction.atomic():
        StatementPassword.objects.filter(pk=password.pk).update(
            success_count=models.F("success_count") + 1, last_used=now, updated_at=now
        )
        if uploaded_file is not None:
            UploadedFile.objects.filter(pk=uploaded_file.pk).update(
                used_password=password, is_password_protected=True, updated_at=now
            )
    password.refresh_from_db(fields=["success_count", "last_used", "updated_at"])
    if uploaded_file is not None:
        uploaded_file.used_password = password
        uploaded_file.is_password_protected = True
        uploaded_file.updated_at = now


def pattern_for(filename: str) -> str:
    """A ``file_pattern`` matching "files like this one": the name with each run of digits a wildcard.

    ``estatement_2026-10.pdf`` gives ``estatement_\\d+\\-\\d+\\.pdf``, which the
    bank's next month's file also matches.

    :returns: a pattern :func:`pattern_matches` accepts, cut to the longest allowed.
    """
    name = base_name(filename)
    parts = re.split(r"(\d+)", name)
    pattern = "".join(r"\d+" if part.isdigit() else re.escape(part) for part in parts if part)
    return pattern[:MAX_PATTERN_LENGTH]


def opened_with_given_password(uploaded_file: UploadedFile) -> bool:
    """Whether the last run of ``uploaded_file`` was unlocked by the password its caller typed.

    True for an encrypted PDF that needed a password, got past the password
    stage and was not opened by a stored password (``used_password`` unset).
    """
    return (
        bool(uploaded_file.is_password_protected)
        and uploaded_file.used_password_id is None
        and uploaded_file.error_stage != ProcessingStage.PASSWORD_DECRYPT
        and uploaded_file.status != FileStatus.PENDING
    )


@sensitive_variables("password")
def remember_password(
    uploaded_file: UploadedFile,
    password: str,
    *,
    hint: str = "",
    file_pattern: str | None = None,
    user: UserLike | None = None,
) -> StatementPassword | None:
    """Store ``password`` (encrypted) for files like ``uploaded_file``, if it opened the file.

    :param file_pattern: default :func:`pattern_for` of the file's name.
    :returns: the new :class:`StatementPassword` (account and owner of the
        file), or ``None`` when the password was not what opened the file
        (nothing is stored then).
    :param user: who asks; when given, it must be the file's owner.
    :raises NotYours: ``user`` is not the file's owner.
    :raises django.core.exceptions.ValidationError: an unsafe pattern.
    """
    if user is not None and uploaded_file.user_id != getattr(user, "pk", None):
        raise NotYours("No such statement file.")
    if not password or not opened_with_given_password(uploaded_file):
        return None
    pattern = pattern_for(uploaded_file.filename) if file_pattern is None else file_pattern
    if pattern:
        validate_file_pattern(pattern)
    entry = StatementPassword(
        user_id=uploaded_file.user_id, account_id=uploaded_file.account_id,
        password_hint=(hint or "")[:255], file_pattern=pattern,
    )
    entry.set_password(password)
    entry.save()
    return entry


# -- editing (the faces call these) ------------------------------------------------


@sensitive_variables("password", "password_row")
def save_statement_password(
    user: UserLike, password_row: StatementPassword | None = None, *, password: str | None = None, **fields: Any
) -> StatementPassword:
    """Create or update a statement password; ``password`` is encrypted and never returned.

    :returns: the saved row.
    :raises NotYours: another user's row. :raises OwnershipError: another user's account.
    :raises django.core.exceptions.ValidationError: a bad pattern or a second default.
    """
    ownership.require_signed_in(user)
    if password_row is None:
        if not password:
            raise OwnershipError("A new statement password needs the password.", field="password",
                                 code="required")
        password_row = StatementPassword(user=user)
    else:
        ownership.owned(user, password_row)
    if "account" in fields:
        fields["account"] = ownership.usable_link(user, Account, fields["account"], "account")
    for name, value in fields.items():
        if name not in ("account", "password_hint", "file_pattern", "is_default"):
            raise UnexpectedField(f"save_statement_password() got an unexpected field {name!r}")
        setattr(password_row, name, value)
    if password:
        password_row.set_password(password)
    password_row.full_clean(exclude=["user", "encrypted_password", "default_scope"])
    password_row.save()
    return password_row


def delete_statement_password(user: UserLike, password_row: StatementPassword) -> None:
    """Delete one of ``user``'s statement passwords. :raises NotYours: another user's."""
    ownership.owned(user, password_row).delete()
