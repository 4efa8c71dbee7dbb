"""Plain create/update/delete services for rows that have no richer service.

Faces (the REST API, pages, the admin) write through these functions instead
of saving model forms or serializers: each one checks that every row it links
belongs to the acting user (raising :class:`~.exceptions.NotYours` for the row
acted on and :class:`~.exceptions.OwnershipError` for a linked row), and
delegates to the domain services where they exist (classification and
exclusion: :mod:`.ledger`; amounts and splits: :mod:`.splits.services`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction as db_transaction
from django.views.decorators.debug import sensitive_variables

from . import ledger
from .exceptions import BudgetError, ExpenseAIError, NotYours, OwnershipError
from .models import (
    Account,
    Budget,
    BudgetTemplate,
    Category,
    Group,
    GroupMember,
    StatementPassword,
    Transaction,
    TransactionSource,
    ownership,
)
from .money import normalize_currency, quantize
from .splits.services import apply_split, update_transaction_amount
from .swappable import ai_settings_for, preferences_for


class ReadOnlyRow(ExpenseAIError, PermissionError):
    """A row every user may read but nobody may change here (a system category or template)."""


def _signed_in(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotYours("Sign in first.")


def _owned(obj: Any, user: Any, field: str = "user_id") -> Any:
    # The ownership rules decide (models/ownership.py); ``field`` only names the owner for the reader.
    _signed_in(user)
    if obj is None:
        raise NotYours("No such row.")
    ownership.check_write(user, obj)
    return obj


def _own_link(model: Any, value: Any, user: Any, field: str) -> Any:
    """``value`` (a row or an id) when ``user`` may link to it (:func:`~.models.ownership.usable`)."""
    if value is None or value == "":
        return None
    pk = getattr(value, "pk", value)
    row = ownership.usable(user, model).filter(pk=pk).first()
    if row is None:
        raise OwnershipError(f"No such {field} among yours.", field=field)
    return row


# -- accounts ---------------------------------------------------------------------

_ACCOUNT_FIELDS = ("name", "institution", "number_mask", "currency", "is_default")


def save_account(user: Any, account: Account | None = None, **fields: Any) -> Account:
    """Create (``account`` is ``None``) or update one of ``user``'s accounts.

    :returns: the saved account.
    :raises NotYours: ``account`` is another user's.
    :raises UnknownCurrency: ``currency`` is not ISO 4217.
    """
    _signed_in(user)
    if account is None:
        account = Account(user=user)
    else:
        _owned(account, user)
    for name, value in fields.items():
        if name not in _ACCOUNT_FIELDS:
            raise TypeError(f"save_account() got an unexpected field {name!r}")
        setattr(account, name, normalize_currency(value) if name == "currency" else value)
    account.save()
    return account


def delete_account(user: Any, account: Account) -> None:
    """Delete one of ``user``'s accounts (its transactions keep no account).

    :raises NotYours: the account is another user's.
    """
    _owned(account, user).delete()


# -- categories ---------------------------------------------------------------------


def save_category(user: Any, category: Category | None = None, **fields: Any) -> Category:
    """Create or update one of ``user``'s own categories.

    :returns: the saved category.
    :raises ReadOnlyRow: ``category`` is a system category.
    :raises NotYours: it is another user's.
    :raises OwnershipError: ``parent`` is neither the user's nor a system category.
    """
    _signed_in(user)
    if category is None:
        category = Category(user=user, is_system=False)
    elif category.user_id is None:
        raise ReadOnlyRow("System categories are read-only; create your own with the same key instead.")
    else:
        _owned(category, user)
    if "parent" in fields:
        fields["parent"] = _own_link(Category, fields["parent"], user, "parent")
    for name, value in fields.items():
        if name not in ("key", "name", "parent"):
            raise TypeError(f"save_category() got an unexpected field {name!r}")
        setattr(category, name, value)
    if Category.objects.filter(user=user, key=category.key).exclude(pk=category.pk).exists():
        raise OwnershipError(f"You already have a category with the key {category.key!r}.", field="key",
                             code="duplicate_key")
    category.save()
    return category


def delete_category(user: Any, category: Category) -> None:
    """Delete one of ``user``'s own categories (its transactions become uncategorised).

    :raises ReadOnlyRow: a system category. :raises NotYours: another user's.
    """
    if category.user_id is None:
        raise ReadOnlyRow("System categories are read-only.")
    _owned(category, user).delete()


# -- groups ---------------------------------------------------------------------


def create_group(user: Any, *, name: str) -> Group:
    """Create a group; its creator is its first member.

    :returns: the group.
    """
    _signed_in(user)
    with db_transaction.atomic():
        group = Group.objects.create(name=name, created_by=user)
        GroupMember.objects.create(group=group, user=user)
    return group


def rename_group(user: Any, group: Group, *, name: str) -> Group:
    """Rename a group; only its creator may. :raises NotYours: not the creator."""
    _owned(group, user, "created_by_id")
    group.name = name
    group.save(update_fields=["name"])
    return group


def delete_group(user: Any, group: Group) -> None:
    """Delete a group; only its creator may. :raises NotYours: not the creator."""
    _owned(group, user, "created_by_id").delete()


def add_member(user: Any, group: Group, member: Any = None, *, username: str | None = None) -> GroupMember:
    """Add ``member`` (a user or id) or the user named ``username`` to ``group``; only the creator adds members.

    Faces ask for the exact username (:func:`~.models.ownership.member_candidates`).

    :returns: the membership (the existing one when already a member).
    :raises NotYours: ``user`` did not create the group.
    :raises OwnershipError: no such user.
    """
    _owned(group, user, "created_by_id")
    candidates = ownership.member_candidates(user)
    if username is not None:
        person = candidates.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    else:
        person = candidates.filter(pk=getattr(member, "pk", member)).first()
    if person is None:
        raise OwnershipError("No such user.", field="user")
    membership, _ = GroupMember.objects.get_or_create(group=group, user=person)
    return membership


def remove_member(user: Any, group: Group, member: Any) -> None:
    """Remove ``member`` from ``group``: the creator removes anyone but themself; a member may leave.

    :raises NotYours: ``user`` is neither the creator nor the member leaving.
    :raises OwnershipError: the creator cannot leave their own group (delete it instead).
    """
    _signed_in(user)
    pk = getattr(member, "pk", member)
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


def _tx_links(user: Any, fields: dict[str, Any]) -> None:
    for name, model in (("account", Account), ("category", Category), ("group", Group)):
        if name in fields:
            fields[name] = _own_link(model, fields[name], user, name)


def _participants(user: Any, participants: Sequence[Any]) -> list[Any]:
    ids = [getattr(p, "pk", p) for p in participants]
    try:
        ownership.check_participants(user, ids)
    except OwnershipError as err:
        raise OwnershipError(err.message_text, field="split") from err
    return ids


def save_transaction(
    user: Any,
    transaction: Transaction | None = None,
    *,
    split: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Transaction:
    """Create or update one of ``user``'s transactions, keeping splits and totals rules.

    An amount change re-derives the splits (:func:`update_transaction_amount`);
    a classification goes through :func:`ledger.classify`; ``exclude_from_totals``
    given by hand is an override (:func:`ledger.set_exclusion`); ``split``
    (``{"method", "participants", "values"}``) replaces the splits through
    :func:`apply_split`. All in one database transaction.

    :returns: the saved transaction.
    :raises NotYours: ``transaction`` is not ``user``'s own.
    :raises OwnershipError: an account, category, group or participant not the user's to use.
    :raises SplitError, ClassificationError, MoneyError: invalid values (nothing saved).
    """
    _signed_in(user)
    unknown = set(fields) - set(_TX_FIELDS)
    if unknown:
        raise TypeError(f"save_transaction() got unexpected fields {sorted(unknown)}")
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
        else:
            _owned(transaction, user)
            amount = fields.pop("amount", None)
            if "currency" in fields:
                fields["currency"] = normalize_currency(fields["currency"])
            for name, value in fields.items():
                setattr(transaction, name, value)
            if amount is not None:
                quantize(amount, transaction.currency, strict=True)
            transaction.save()
            if amount is not None and amount != transaction.amount:
                update_transaction_amount(transaction, amount)
            if classification is not None and classification != transaction.expense_classification:
                ledger.classify(transaction, classification)
        if excluded is not None:
            ledger.set_exclusion(transaction, excluded)
        if split is not None:
            participants = _participants(user, split.get("participants") or [])
            apply_split(transaction, participants, split.get("method", "equal"), split.get("values"))
    return transaction


def _default_currency(user: Any, fields: Mapping[str, Any]) -> str:
    account = fields.get("account")
    if account is not None:
        return account.currency
    return preferences_for(user).default_currency


def delete_transaction(user: Any, transaction: Transaction) -> None:
    """Delete one of ``user``'s own transactions (its splits and mentions go with it).

    :raises NotYours: not the user's own (a participant cannot delete it).
    """
    _owned(transaction, user).delete()


def classify_transactions(user: Any, ids: Sequence[Any], classification: str) -> int:
    """Bulk re-classification of ``user``'s own transactions named by ``ids``.

    :returns: the number classified.
    :raises NotYours: an id is not one of the user's own transactions (nothing changed).
    :raises ClassificationError: an unknown classification.
    """
    _signed_in(user)
    rows = Transaction.objects.filter(user=user, pk__in=list(ids))
    if rows.count() != len(set(ids)):
        raise NotYours("One or more of those transactions are not yours.")
    return ledger.classify_many(rows, classification)


# -- statement passwords -------------------------------------------------------------


@sensitive_variables("password", "password_row")
def save_statement_password(
    user: Any, password_row: StatementPassword | None = None, *, password: str | None = None, **fields: Any
) -> StatementPassword:
    """Create or update a statement password; ``password`` is encrypted and never returned.

    :returns: the saved row.
    :raises NotYours: another user's row. :raises OwnershipError: another user's account.
    :raises django.core.exceptions.ValidationError: a bad pattern or a second default.
    """
    _signed_in(user)
    if password_row is None:
        if not password:
            raise OwnershipError("A new statement password needs the password.", field="password",
                                 code="required")
        password_row = StatementPassword(user=user)
    else:
        _owned(password_row, user)
    if "account" in fields:
        fields["account"] = _own_link(Account, fields["account"], user, "account")
    for name, value in fields.items():
        if name not in ("account", "password_hint", "file_pattern", "is_default"):
            raise TypeError(f"save_statement_password() got an unexpected field {name!r}")
        setattr(password_row, name, value)
    if password:
        password_row.set_password(password)
    password_row.full_clean(exclude=["user", "encrypted_password", "default_scope"])
    password_row.save()
    return password_row


def delete_statement_password(user: Any, password_row: StatementPassword) -> None:
    """Delete one of ``user``'s statement passwords. :raises NotYours: another user's."""
    _owned(password_row, user).delete()


# -- settings and preferences ------------------------------------------------------------

_PROVIDER_KEYS = ("openai", "claude", "gemini")


@sensitive_variables("keys", "value", "row")
def update_ai_settings(user: Any, *, keys: Mapping[str, str | None] | None = None, **fields: Any) -> Any:
    """Change the user's AI settings: keys (encrypted; ``""``/``None`` clears), models, provider.

    :returns: the AISettings row.
    :raises django.core.exceptions.ValidationError: an unknown provider.
    """
    _signed_in(user)
    row = ai_settings_for(user)
    for provider, value in (keys or {}).items():
        if provider not in _PROVIDER_KEYS:
            raise TypeError(f"Unknown key provider {provider!r}")
        row.set_api_key(provider, value or None)
    for name, value in fields.items():
        if name not in ("openai_model", "claude_model", "gemini_model", "active_parser_provider"):
            raise TypeError(f"update_ai_settings() got an unexpected field {name!r}")
        setattr(row, name, value)
    row.full_clean(exclude=["user", "openai_api_key", "claude_api_key", "gemini_api_key"])
    row.save()
    return row


def update_preferences(user: Any, **fields: Any) -> Any:
    """Change the user's preferences. :returns: the UserPreferences row."""
    _signed_in(user)
    row = preferences_for(user)
    for name, value in fields.items():
        if name == "default_currency":
            value = normalize_currency(value)
        setattr(row, name, value)
    row.full_clean(exclude=["user"])
    row.save()
    return row


# -- budgets ------------------------------------------------------------------------


def save_budget(user: Any, budget: Budget | None = None, **fields: Any) -> Budget:
    """Create or update a manual budget of ``user``.

    :returns: the saved budget.
    :raises NotYours: another user's budget.
    :raises BudgetError: ``end_date`` before ``start_date`` or bad allocations.
    """
    from .budgets.allocations import clean_allocations

    _signed_in(user)
    if budget is None:
        budget = Budget(user=user)
    else:
        _owned(budget, user)
    if "category_allocations" in fields:
        fields["category_allocations"] = clean_allocations(fields["category_allocations"])
    for name, value in fields.items():
        if name not in ("name", "period", "start_date", "end_date", "amount", "currency", "category_allocations"):
            raise TypeError(f"save_budget() got an unexpected field {name!r}")
        setattr(budget, name, value)
    budget.currency = normalize_currency(budget.currency)
    budget.amount = quantize(budget.amount, budget.currency, strict=True)
    if isinstance(budget.start_date, dt.date) and isinstance(budget.end_date, dt.date) and (
        budget.end_date < budget.start_date
    ):
        raise BudgetError("A budget cannot end before it starts.", code="bad_period")
    budget.save()
    return budget


def delete_budget(user: Any, budget: Budget) -> None:
    """Delete one of ``user``'s budgets. :raises NotYours: another user's."""
    _owned(budget, user).delete()


def delete_template(user: Any, template: BudgetTemplate) -> None:
    """Delete one of ``user``'s own templates.

    :raises ReadOnlyRow: a system template. :raises NotYours: another user's.
    """
    if template.is_system:
        raise ReadOnlyRow("System templates are read-only.")
    _owned(template, user, "created_by_id").delete()


# -- merges -----------------------------------------------------------------------------


def choose_merge_strategy(user: Any, merge: Any, strategy: str) -> Any:
    """Set the strategy a merge will be completed with (before it is completed).

    :returns: the merge.
    :raises NotYours: another user's merge.
    :raises InvalidTransition: the merge is already completed or rejected.
    :raises MergeError: an unknown strategy.
    """
    from .exceptions import InvalidTransition, MergeError
    from .models import MergeStatus, MergeStrategy, StatementMerge

    _owned(merge, user, "merged_by_id")
    if strategy not in MergeStrategy.values:
        raise MergeError(f"Unknown merge strategy {strategy!r}; use one of {', '.join(MergeStrategy.values)}.")
    if merge.status not in (MergeStatus.SUGGESTED, MergeStatus.APPROVED):
        raise InvalidTransition(f"Statement merge #{merge.pk} is {merge.status!r}; its strategy cannot change.")
    StatementMerge.objects.filter(pk=merge.pk).update(merge_strategy=strategy)
    merge.merge_strategy = strategy
    return merge
