"""Split services: write ``TransactionSplit`` rows, keep them in step, and add them up.

The arithmetic lives in :mod:`.arithmetic` (pure); this module only looks up
what it needs (the currency row, the remainder policy), calls it, and writes.

Keeping splits in step with the amount is explicit, not a signal: change an
amount with :func:`update_transaction_amount` (which saves it through the
ledger's writer, :func:`..writer.update_transaction`), or call
:func:`rederive_splits` after changing it through the writer yourself (the
admin's ``save_related`` does that when the amount field changed). A ``post_save`` handler would also fire for
bulk imports and fixtures, where re-splitting is not wanted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from django.db import models
from django.db import transaction as db_transaction
from django.db.models.functions import Coalesce

from ...conf import settings
from ...exceptions import ConfigurationError, MoneyError, SplitError
from ...models import Group, SplitMethod, Transaction, TransactionSplit, ownership
from ...models.swappable import currency_for_code
from ...money import currency_code, from_minor, quantize, to_decimal, to_minor
from ...types import UserLike
from .. import writer as ledger
from .arithmetic import allocate_minor, split_amount

REMAINDER_POLICIES = ("largest_remainder", "payer_absorbs")


def _remainder_policy() -> str:
    policy = settings.SPLIT_REMAINDER_POLICY
    if policy not in REMAINDER_POLICIES:
        raise ConfigurationError(
            f"EXPENSE_AI['SPLIT_REMAINDER_POLICY'] is {policy!r}; use one of {', '.join(REMAINDER_POLICIES)}."
        )
    return policy


def _payer_index(transaction: Transaction, participant_ids: Sequence[Any], payer: Any) -> int | None:
    """Position of the payer under the "payer absorbs" policy, else ``None``.

    The payer is ``payer`` when given, else the transaction's ``paid_by``,
    else its owner. A payer who is not among the participants cannot absorb
    anything, so the largest-remainder rule applies then.
    """
    if _remainder_policy() != "payer_absorbs":
        return None
    if payer is not None:
        payer_id = getattr(payer, "pk", payer)
    else:
        payer_id = transaction.paid_by_id or transaction.user_id
    try:
        return list(participant_ids).index(payer_id)
    except ValueError:
        return None


def apply_split(
    transaction: Transaction,
    participants: Sequence[Any],
    method: str,
    values: Sequence[Any] | None = None,
    *,
    payer: Any = None,
    new_transaction: bool = False,
    currency: Any = None,
    user: UserLike | None = None,
    checked_participants: Collection[Any] = (),
) -> list[TransactionSplit]:
    """Split ``transaction`` between ``participants``, replacing its existing splits.

    :param transaction: a saved transaction; its ``amount`` (sign ignored:
        split rows hold absolute shares) and ``currency`` are split.
    :param participants: users (or user ids), in order; ``values`` line up with them.
    :param method: a :class:`~django_expense_ai.models.SplitMethod` value.
    :param values: percentages, share counts or custom amounts, one per
        participant; ignored (may be ``None``) for ``equal``.
    :param payer: who absorbs leftover minor units when
        ``EXPENSE_AI["SPLIT_REMAINDER_POLICY"]`` is ``"payer_absorbs"``;
        defaults to ``paid_by``, then the owner.
    :param new_transaction: the fast path for a transaction created in the
        current database transaction, which cannot have splits yet: the rows
        are written with one ``INSERT`` (no delete, no savepoint, and no
        re-read where the backend returns primary keys from a bulk insert),
        instead of about six round trips. Passing it for a transaction that
        has splits fails on the (transaction, participant) unique constraint
        or leaves the old rows beside the new ones.
    :param currency: the currency model's row for the transaction's currency
        when the caller has read it already (saves a query); ignored when its
        code is another one.
    :param user: who asks; when given, only the transaction's owner (or a
        superuser) may split it.
    :param checked_participants: ids the caller read through the owner's
        :func:`~..models.ownership.mentionable_users` in this same request (as
        chat resolves ``@name``): the split rule is asked only about the others.
    :returns: the new rows, in participant order. ``split_value`` holds the
        percentage, the share count or the entered custom amount (0 for equal).
    :raises SplitError: invalid method or values (see :func:`split_amount`),
        repeated participants, or a count of values that does not match.
    :raises NotYours: ``user`` is not the transaction's owner.
    :raises OwnershipError: a participant is neither the owner nor someone
        the owner may split with (:func:`~..models.ownership.mentionable_users`).
    :raises ConfigurationError: an unknown remainder policy.
    """
    if transaction.pk is None:
        raise SplitError("Save the transaction before splitting it.")
    if user is not None:
        ownership.check_write(user, transaction)
    if method not in SplitMethod.values:
        raise SplitError(f"Unknown split method {method!r}; use one of {', '.join(SplitMethod.values)}.")
    participant_ids = _participant_ids(transaction, participants, checked_participants)
    if method == SplitMethod.EQUAL:
        weights: Sequence[Any] = participant_ids
    else:
        if values is None or len(values) != len(participant_ids):
            given = 0 if values is None else len(values)
            raise SplitError(
                f"{len(participant_ids)} participants but {given} values; give one value per participant.",
                code="value_count",
            )
        weights = values

    if currency is None or currency_code(currency).upper() != transaction.currency.upper():
        currency = currency_for_code(transaction.currency)
    parts = split_amount(
        abs(to_decimal(transaction.amount)),
        method,
        weights,
        currency=currency,
        tiebreak_key=transaction.pk,
        payer_index=_payer_index(transaction, participant_ids, payer),
    )
    stored_values = _stored_values(method, weights)
    rows = [
        TransactionSplit(
            transaction=transaction,
            participant_id=pid,
            amount=part,
            split_method=method,
            split_value=value,
            currency=currency,
        )
        for pid, part, value in zip(participant_ids, parts, stored_values, strict=True)
    ]
    if new_transaction:
        created = TransactionSplit.objects.bulk_create(rows)
        if all(row.pk is not None for row in created):  # the backend returned the keys
            return created
    else:
        with db_transaction.atomic():
            TransactionSplit.objects.filter(transaction=transaction).delete()
            TransactionSplit.objects.bulk_create(rows)
    # Re-read: not every backend returns primary keys from a bulk insert.
    return list(TransactionSplit.objects.filter(transaction=transaction).order_by("pk"))


def _participant_ids(transaction: Transaction, participants: Sequence[Any], checked: Collection[Any]) -> list[Any]:
    """The participants' ids, each once, every one the owner or someone the owner may split with."""
    ids = [getattr(p, "pk", p) for p in participants]
    if not ids:
        raise SplitError("No participants: a split needs at least one person.", code="no_participants")
    if len(set(ids)) != len(ids):
        raise SplitError("A participant appears twice; list each person once.", code="duplicate_participant")
    # Whom the caller has just read through the rule is not asked about again (no query when nobody is left).
    ownership.check_participants(transaction.user, [pid for pid in ids if pid not in checked])
    return ids


#: ``split_value`` is DECIMAL(12, 4): the largest value it holds, exclusive.
_SPLIT_VALUE_LIMIT = Decimal(10) ** 8


def _stored_values(method: str, values: Sequence[Any]) -> list[Decimal]:
    """What goes into ``split_value`` (already validated by ``split_amount``)."""
    if method == SplitMethod.EQUAL:
        return [Decimal(0)] * len(values)
    stored = [to_decimal(v) for v in values]
    if method in (SplitMethod.PERCENTAGE, SplitMethod.SHARES):
        for value in stored:
            # The column would round it, and re-deriving from rounded values could miss 100 %.
            if value != value.quantize(Decimal("0.0001")) or value >= _SPLIT_VALUE_LIMIT:
                raise SplitError(
                    f"{method} value {value} does not fit split_value (at most 4 decimals, below 10^8).",
                    code="value_precision",
                )
    if method == SplitMethod.CUSTOM_AMOUNT and any(v >= _SPLIT_VALUE_LIMIT for v in stored):
        # Too large for the column: store none, and re-scaling uses the amounts instead.
        return [Decimal(0)] * len(values)
    return stored


def rederive_splits(transaction: Transaction) -> list[TransactionSplit]:
    """Re-compute the stored splits of ``transaction`` from their methods and values.

    Call it after the amount (or currency) changed. Equal splits are shared
    again; percentages and shares use ``split_value``; custom amounts are
    re-scaled in proportion to the amounts people entered (``split_value``,
    or the current amounts for rows migrated from 1.0), since the old amounts
    no longer add up to the new total.

    :returns: the updated rows in their original order (empty when the
        transaction has no splits).
    :raises SplitError: the rows mix split methods, or their values cannot
        split the new amount (e.g. it has too many decimals).
    """
    with db_transaction.atomic():
        splits = list(TransactionSplit.objects.select_for_update().filter(transaction=transaction).order_by("pk"))
        if not splits:
            return []
        methods = {s.split_method for s in splits}
        if len(methods) != 1:
            raise SplitError(
                f"Transaction {transaction.pk} mixes split methods ({', '.join(sorted(methods))}); "
                "split it again with apply_split().",
                code="mixed_methods",
            )
        method = methods.pop()
        participant_ids = [s.participant_id for s in splits]
        currency = currency_for_code(transaction.currency)
        payer_index = _payer_index(transaction, participant_ids, None)
        if method == SplitMethod.CUSTOM_AMOUNT:
            parts = _rescale_custom(transaction, splits, currency, payer_index)
        else:
            values: Sequence[Any] = (
                participant_ids if method == SplitMethod.EQUAL else [s.split_value for s in splits]
            )
            parts = split_amount(
                abs(to_decimal(transaction.amount)),
                method,
                values,
                currency=currency,
                tiebreak_key=transaction.pk,
                payer_index=payer_index,
            )
        for split, part in zip(splits, parts, strict=True):
            split.amount = part
            split.currency = currency
        TransactionSplit.objects.bulk_update(splits, ["amount", "currency"])
    return splits


def _rescale_custom(
    transaction: Transaction, splits: Sequence[TransactionSplit], currency: Any, payer_index: int | None
) -> list[Decimal]:
    """Custom amounts re-scaled to the new total, in proportion to what people entered.

    The entered amounts (``split_value``; the current amounts for rows
    migrated from 1.0, whose ``split_value`` is 0) become integer weights in
    minor units, so the re-scaling is exact and never compounds over edits.
    """
    entered = [s.split_value for s in splits]
    if not any(entered):
        entered = [s.amount for s in splits]
    try:
        total = abs(quantize(transaction.amount, currency, strict=True))
    except MoneyError as err:
        raise SplitError(f"Cannot split {transaction.amount}: {err}", code="too_many_decimals") from err
    weights = [abs(to_minor(quantize(v, currency), currency)) for v in entered]
    minor = allocate_minor(
        to_minor(total, currency), weights, tiebreak_key=transaction.pk, payer_index=payer_index
    )
    return [from_minor(units, currency) for units in minor]


def update_transaction_amount(transaction: Transaction, amount: Any) -> Transaction:
    """Change the amount of ``transaction`` and re-derive its splits, atomically.

    :param amount: the new signed amount (``Decimal``, ``int`` or string).
    :returns: the saved transaction.
    :raises MoneyError: ``amount`` is a float or has more decimals than the
        transaction's currency allows.
    :raises SplitError: the stored splits cannot be re-derived (nothing is saved then).
    """
    new_amount = quantize(amount, currency_for_code(transaction.currency), strict=True)
    with db_transaction.atomic():
        ledger.update_transaction(transaction, amount=new_amount)
        rederive_splits(transaction)
    return transaction


def balances(subject: Any, *, include_settled: bool = False) -> dict[Any, dict[str, Decimal]]:
    """Who owes whom, per person and currency, over the splits of ``subject``.

    ``subject`` is a :class:`~django_expense_ai.models.Group` (every debt
    between people over the group's transactions) or a user (only the debts
    between that user and others: splits they take part in, or of
    transactions they paid for).
    The payer of a transaction is ``paid_by``, else its owner. For money out
    (negative amount) each participant owes the payer their share; for money
    in (a shared refund) the payer owes it to them. A participant's share of
    what they paid themselves nets out. Currencies are never converted.

    One query: the splits grouped by (participant, payer, currency) with a
    ``Sum``; the pairs are folded into balances in Python.

    :returns: ``{user_id: {currency_code: Decimal}}``; positive means the
        person is owed money, negative that they owe. Zero balances are left out.
        Per currency the balances sum to zero.
    """
    money = models.DecimalField(max_digits=20, decimal_places=4)
    splits = TransactionSplit.objects.annotate(
        payer=Coalesce("transaction__paid_by", "transaction__user"),
        code=Coalesce("currency__code", "transaction__currency", output_field=models.CharField()),
    )
    if isinstance(subject, Group):
        splits = splits.filter(transaction__group=subject)
    else:
        subject_id = getattr(subject, "pk", subject)
        splits = splits.filter(models.Q(participant=subject_id) | models.Q(payer=subject_id))
    if not include_settled:
        splits = splits.filter(is_settled=False)
    rows = (
        splits.values("participant", "payer", "code")
        .annotate(
            # Positive: the participant owes the payer (money out).
            owed=models.Sum(
                models.Case(
                    models.When(transaction__amount__lt=0, then=models.F("amount")),
                    default=models.F("amount") * Decimal(-1),
                    output_field=money,
                ),
                output_field=money,
            )
        )
        .order_by()
    )
    result: dict[Any, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        if row["participant"] == row["payer"] or not row["owed"]:
            continue
        code = row["code"].upper()
        result[row["payer"]][code] += row["owed"]
        result[row["participant"]][code] -= row["owed"]
    # Sums arrive with the column's 4 places (as floats on SQLite): quantise to the currency.
    return {
        person: {code: quantize(value, code) for code, value in per_currency.items() if value}
        for person, per_currency in result.items()
        if any(per_currency.values())
    }
