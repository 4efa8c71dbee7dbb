"""Plain create/update/delete services for rows that have no richer service.

Faces (the REST API, pages, the admin) write through these functions instead
of saving model forms or serializers: each one checks that every row it links
belongs to the acting user (raising :class:`~.exceptions.NotYours` for the row
acted on and :class:`~.exceptions.OwnershipError` for a linked row), and
delegates to the domain services where they exist (classification and
exclusion: :mod:`.ledger`; amounts and splits: :mod:`.splits.services`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction as db_transaction

from ..exceptions import NotYours, OwnershipError, ReadOnlyRow, UnexpectedField
from ..models import (
    Account,
    Category,
    Group,
    GroupMember,
    Transaction,
    TransactionSource,
    ownership,
)
from ..models.swappable import preferences_for
from ..money import normalize_currency, quantize
from ..types import UserLike, UserOrId
from . import writer as ledger
from .splits.services import apply_split, update_transaction_amount

# -- accounts ---------------------------------------------------------------------

_ACCOUNT_FIELDS = ("name", "institution", "number_mask", "currency", "is_default")


def save_account(user: UserLike, account: Account | None = None, **fields: Any) -> Account:
    """Create (``account`` is ``None``) or update one of ``user``'s accounts.

    :returns: the saved account.
    :raises NotYours: ``account`` is another user's.
    :raises UnknownCurrency: ``currency`` is not ISO 4217.
    """
    ownership.require_signed_in(user)
    if account is None:
        account = Account(user=user)
    else:
        ownership.owned(user, account)
    for name, value in fields.items():
        if name not in _ACCOUNT_FIELDS:
            raise UnexpectedField(f"save_account() got an unexpected field {name!r}")
        setattr(account, name, normalize_currency(value) if name == "currency" else value)
    account.save()
    return account


def delete_account(user: UserLike, account: Account) -> None:
    """Delete one of ``user``'s accounts (its transactions keep no account).

    :raises NotYours: the account is another user's.
    """
    ownership.owned(user, account).delete()


# -- categories ---------------------------------------------------------------------


def save_category(user: UserLike, category: Category | None = None, **fields: Any) -> Category:
    """Create or update one of ``user``'s own categories.

    :returns: the saved category.
    :raises ReadOnlyRow: ``category`` is a system category.
    :raises NotYours: it is another user's.
    :raises OwnershipError: ``parent`` is neither the user's nor a system category.
    """
    ownership.require_signed_in(user)
    if category is None:
        category = Category(user=user, is_system=False)
    elif category.user_id is None:
        raise ReadOnlyRow("System categories are read-only; create your own with the same key instead.")
    else:
        ownership.owned(user, category)
    if "parent" in fields:
        fields["parent"] = ownership.usable_link(user, Category, fields["parent"], "parent")
    for name, value in fields.items():
        if name not in ("key", "name", "parent"):
            raise UnexpectedField(f"save_category() got an unexpected field {name!r}")
        setattr(category, name, value)
    if Category.objects.filter(user=user, key=category.key).exclude(pk=category.pk).exists():
        raise OwnershipError(f"You already have a category with the key {category.key!r}.", field="key",
                             code="duplicate_key")
    category.save()
    return category


def delete_category(user: UserLike, category: Category) -> None:
    """Delete one of ``user``'s own categories (its transactions become uncategorised).

    :raises ReadOnlyRow: a system category. :raises NotYours: another user's.
    """
    if category.user_id is None:
        raise ReadOnlyRow("System categories are read-only.")
    ownership.owned(user, category).delete()


# -- groups ---------------------------------------------------------------------


def create_group(user: UserLike, *, name: str) -> Group:
    """Create a group; its creator is its first member.

    :returns: the group.
    """
    ownership.require_signed_in(user)
    with db_transaction.atomic():
        group = Group.objects.create(name=name, created_by=user)
        GroupMember.objects.create(group=group, user=user)
    return group


def rename_group(user: UserLike, group: Group, *, name: str) -> Group:
    """Rename a group; only its creator may. :raises NotYours: not the creator."""
    ownership.owned(user, group)
    group.name = name
    group.save(update_fields=["name"])
    return group


def delete_group(user: UserLike, group: Group) -> None:
    """Delete a group; only its creator may. :raises NotYours: not the creator."""
    ownership.owned(user, group).delete()


def add_member(user: UserLike, group: Group, member: UserOrId | None = None, *, username: str | None = None) -> GroupMember:
    """Add ``member`` (a user or id) or the user named ``username`` to ``group``; only the creator adds members.

    Faces ask for the exact username (:func:`~.models.ownership.member_candidates`).

    :returns: the membership (the existing one when already a member).
    :raises NotYours: ``user`` did not create the group.
    :raises OwnershipError: no such user.
    """
    ownership.owned(user, group)
    candidates = ownership.member_candidates(user)
    if username is not None:
        person = candidates.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    else:
        person = candidates.filter(pk=getattr(member, "pk", member)).first()
    if person is None:
        raise OwnershipError("No such user.", field="user")
    membership, _ = GroupMember.objects.get_or_create(group=group, user=person)
    return membership


def remove_member(user: UserLike, group: Group, member: UserOrId) -> None:
    """Remove ``member`` from ``group``: the creator removes anyone but themself; a member may leave.

    :raises NotYours: ``user`` is neither the creator nor the member leaving.
    :raises OwnershipError: the creator cannot leave their own group (delete it instead).
    """
    ownership.require_signed_in(user)
    pk = member if isinstance(member, int) else member.pk
    is_creator = group.created_by_id == user.pk
    if not is_creator and str(pk) != str(user.pk):
        raise NotYours("No such member.")
    if str(pk) == str(group.created_by_id):
        raise OwnershipError("The creator cannot leave the group; delete it instead.", field="user")
    deleted, _ = GroupMember.objects.filter(group=group, user_id=pk).delete()
    if not deleted:
        raise NotYours("No such member.")


# -- transactions -----------------------------------------------------------------

_TX_FIELDS = (
    "date", "amount", "currency", "description", "merchant", "notes", "account", "category", "group",
    "is_reimbursable", "is_recurring", "expense_classification", "exclude_from_totals",
)


def _tx_links(user: UserLike, fields: dict[str, Any]) -> None:
    for name, model in (("account", Account), ("category", Category), ("group", Group)):
        if name in fields:
            fields[name] = ownership.usable_link(user, model, fields[name], name)


def _participants(user: UserLike, participants: Sequence[Any]) -> list[Any]:
    ids = [getattr(p, "pk", p) for p in participants]
    try:
        ownership.check_participants(user, ids)
    except OwnershipError as err:
        raise OwnershipError(err.message_text, field="split") from err
    return ids


def save_transaction(
    user: UserLike,
    transaction: Transaction | None = None,
    *,
    split: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Transaction:
    """Create or update one of ``user``'s transactions, keeping splits and totals rules.

    The row is written by the ledger's writer (:func:`ledger.create_transactions`,
    :func:`ledger.update_transaction`); an amount change re-derives the splits
    (:func:`update_transaction_amount`); ``exclude_from_totals`` given by hand
    is an override (as :func:`ledger.set_exclusion`); ``split``
    (``{"method", "participants", "values"}``) replaces the splits through
    :func:`apply_split`. All in one database transaction.

    :returns: the saved transaction.
    :raises NotYours: ``transaction`` is not ``user``'s own.
    :raises OwnershipError: an account, category, group or participant not the user's to use.
    :raises SplitError, ClassificationError, MoneyError: invalid values (nothing saved).
    """
    ownership.require_signed_in(user)
    unknown = set(fields) - set(_TX_FIELDS)
    if unknown:
        raise UnexpectedField(f"save_transaction() got unexpected fields {sorted(unknown)}")
    _tx_links(user, fields)
    classification = fields.pop("expense_classification", None)
    excluded = fields.pop("exclude_from_totals", None)
    with db_transaction.atomic():
        if transaction is None:
            currency = normalize_currency(fields.get("currency") or _default_currency(user, fields))
            fields["currency"] = currency
            fields["amount"] = quantize(fields["amount"], currency, strict=True)
            transaction = Transaction(user=user, source=TransactionSource.MANUAL, **fields)
            if classification is not None:
                transaction.expense_classification = ledger.check_classification(classification)
            # The one writer of new transactions (a given classification is kept: no hook asked).
            ledger.create_transactions(user, [transaction], classify=classification is None, one_by_one=True)
            if excluded is not None:
                ledger.set_exclusion(transaction, excluded)
        else:
            ownership.owned(user, transaction)
            amount = fields.pop("amount", None)
            if "currency" in fields:
                fields["currency"] = normalize_currency(fields["currency"])
            if amount is not None:
                quantize(amount, fields.get("currency", transaction.currency), strict=True)
            if classification is not None:
                fields["expense_classification"] = classification
            if excluded is not None:
                fields["exclude_from_totals"] = excluded  # by hand: the writer sets the override
            ledger.update_transaction(transaction, **fields)
            if amount is not None and amount != transaction.amount:
                update_transaction_amount(transaction, amount)
        if split is not None:
            participants = _participants(user, split.get("participants") or [])
            apply_split(transaction, participants, split.get("method", "equal"), split.get("values"))
    return transaction


def _default_currency(user: UserLike, fields: Mapping[str, Any]) -> str:
    account = fields.get("account")
    if account is not None:
        return account.currency
    return preferences_for(user).default_currency


def delete_transaction(user: UserLike, transaction: Transaction) -> None:
    """Delete one of ``user``'s own transactions (its splits and mentions go with it).

    :raises NotYours: not the user's own (a participant cannot delete it).
    """
    ledger.delete_transactions(user, [ownership.owned(user, transaction)])


def classify_transactions(user: UserLike, ids: Sequence[Any], classification: str) -> int:
    """Bulk re-classification of ``user``'s own transactions named by ``ids``.

    :returns: the number classified.
    :raises NotYours: an id is not one of the user's own transactions (nothing changed).
    :raises ClassificationError: an unknown classification.
    """
    ownership.require_signed_in(user)
    rows = Transaction.objects.filter(user=user, pk__in=list(ids))
    if rows.count() != len(set(ids)):
        raise NotYours("One or more of those transactions are not yours.")
    return ledger.classify_many(rows, classification)


# -- settings and preferences ------------------------------------------------------------

def update_preferences(user: UserLike, **fields: Any) -> Any:
    """Change the user's preferences. :returns: the UserPreferences row."""
    ownership.require_signed_in(user)
    row = preferences_for(user)
    for name, value in fields.items():
        if name == "default_currency":
            value = normalize_currency(value)
        setattr(row, name, value)
    row.full_clean(exclude=["user"])
    row.save()
    return row
