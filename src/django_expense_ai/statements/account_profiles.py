"""An account's own bank profile: saved after a first import, used for the next file.

After a CSV statement of a bank the library does not know was imported (its
columns guessed from their names), the user saves how it was read for the
account: :func:`save_account_profile` stores the profile as plain JSON on the
account (``Account.bank_profile``), and the next import into that account
reads its CSV with it, guessing nothing. Loading is :meth:`BankProfile.from_dict`
over JSON: no code runs.

Service layer: every function is scoped to the account's owner
(``Account.objects.for_user(user)``); another user's account is
:class:`~django_expense_ai.exceptions.NotYours`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ..exceptions import BankProfileError, NotYours
from ..models import Account, UploadedFile
from ..types import UserLike
from .formats.csvfmt import detect_profile
from .formats.profiles import BankProfile

__all__ = [
    "account_profile",
    "clear_account_profile",
    "learn_profile",
    "profile_for_import",
    "save_account_profile",
]

logger = logging.getLogger(__name__)


def _own_account(user: UserLike, account: Any) -> Account:
    pk = account.pk if isinstance(account, Account) else account
    found = Account.objects.for_user(user).filter(pk=pk).first()
    if found is None:
        raise NotYours("No such account.")
    return found


def save_account_profile(
    user: UserLike,
    account: Any,
    profile: BankProfile | Mapping[str, Any] | None = None,
    *,
    uploaded_file: Any = None,
) -> BankProfile:
    """Save a bank profile for one of ``user``'s accounts.

    :param account: an :class:`Account` of ``user`` or its id.
    :param profile: the profile (or its dict form); ``None`` learns it from
        ``uploaded_file``, a CSV statement of ``user`` that was read: its header
        names, date order, sign rule and decimal separator.
    :returns: the saved :class:`BankProfile`.
    :raises NotYours: the account (or the file) is not ``user``'s.
    :raises BankProfileError: the profile is malformed, or the file is not a CSV with a header to learn from.
    """
    owned = _own_account(user, account)
    if profile is None:
        if uploaded_file is None:
            raise BankProfileError("Give a profile, or the uploaded CSV file to learn it from.")
        profile = learn_profile(user, uploaded_file, name=f"account-{owned.pk}")
    elif isinstance(profile, Mapping):
        profile = BankProfile.from_dict(profile)
    elif not isinstance(profile, BankProfile):
        raise BankProfileError(f"A bank profile is a BankProfile or a dict, not {type(profile).__name__}.")
    with transaction.atomic():
        Account.objects.filter(pk=owned.pk).update(bank_profile=profile.to_dict())
    return profile


def learn_profile(user: UserLike, uploaded_file: Any, *, name: str = "saved") -> BankProfile:
    """The profile that reads ``uploaded_file`` (a CSV statement of ``user``) as it was read.

    :returns: the profile (not saved).
    :raises NotYours: the file is not ``user``'s.
    :raises BankProfileError: the file is not a CSV, or has no header row to learn from.
    """
    pk = uploaded_file.pk if isinstance(uploaded_file, UploadedFile) else uploaded_file
    found = UploadedFile.objects.for_user(user).filter(pk=pk).first()
    if found is None:
        raise NotYours("No such statement file.")
    parser = (found.parsed_json or {}).get("parser") if isinstance(found.parsed_json, dict) else None
    if parser != "csv" or not found.raw_text_extracted:
        raise BankProfileError(
            f"{found.filename!r} was not read as a CSV file, so there is no column mapping to save."
        )
    profile = detect_profile(found.raw_text_extracted, name=name)
    if profile is None:
        raise BankProfileError(
            f"{found.filename!r} has no header row naming its columns, so there is no mapping to save."
        )
    return profile


def account_profile(user: UserLike, account: Any) -> BankProfile | None:
    """The profile saved for one of ``user``'s accounts.

    :returns: the profile, or ``None`` when none is saved (or the stored JSON no longer loads; logged).
    :raises NotYours: the account is not ``user``'s.
    """
    return profile_for_import(_own_account(user, account))


def profile_for_import(account: Account | None) -> BankProfile | None:
    """The saved profile of an account the caller already holds (the pipeline's own account).

    :returns: the profile, or ``None`` (no account, none saved, or stored data that no longer loads).
    :raises: nothing.
    """
    if account is None or not account.bank_profile:
        return None
    try:
        return BankProfile.from_dict(account.bank_profile)
    except BankProfileError as err:
        logger.warning("The bank profile saved for account #%s is ignored: %s", account.pk, err)
        return None


def clear_account_profile(user: UserLike, account: Any) -> None:
    """Forget the profile saved for one of ``user``'s accounts (the next file is guessed again).

    :raises NotYours: the account is not ``user``'s.
    """
    owned = _own_account(user, account)
    Account.objects.filter(pk=owned.pk).update(bank_profile=None)
