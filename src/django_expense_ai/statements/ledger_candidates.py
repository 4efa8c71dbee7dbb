"""The ledger side of de-duplication: fetch the transactions imported rows are matched against.

One query whatever the number of rows (user + account + date range +
amounts, the ``(user, account, date)`` index); the matching itself is the pure
:func:`.dedup.match_rows`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models.expressions import RawSQL

from ..conf import settings
from ..models import Transaction
from ..money import ledger_amount
from ..types import UserLike
from .dedup import MAX_AMOUNTS_IN_QUERY, DedupResult, match_rows
from .types import LedgerRow, StatementRow

__all__ = ["candidate_scope", "find_duplicates"]


def candidate_scope(user: UserLike, account: Any, rows: Sequence[StatementRow]) -> Any:
    """The transactions ``rows`` are compared with, before the amount filter: same user and
    account (``None``: without account), dates within the rows' range widened by
    ``DEDUP_DATE_WINDOW_DAYS``.

    :param rows: at least one row.
    :returns: a ``Transaction`` queryset.
    """
    window = dt.timedelta(days=int(settings.DEDUP_DATE_WINDOW_DAYS))
    dates = [r.date for r in rows]
    account_id = getattr(account, "pk", account)
    qs = Transaction.objects.filter(user=user, date__range=(min(dates) - window, max(dates) + window))
    return qs.filter(account_id=account_id) if account_id is not None else qs.filter(account__isnull=True)


def find_duplicates(
    user: UserLike, account: Any, rows: Sequence[StatementRow], *, unique_bank_ids: bool = False
) -> DedupResult:
    """Match ``rows`` against the user's transactions in ``account`` (``None``: without account).

    One query fetches every candidate: :func:`candidate_scope` and (up to
    :data:`MAX_AMOUNTS_IN_QUERY` distinct values) the rows' amounts.

    :returns: a :class:`DedupResult`.
    :raises DatabaseError: the query failed.
    """
    window_days = int(settings.DEDUP_DATE_WINDOW_DAYS)
    account_id = getattr(account, "pk", account)
    existing: list[LedgerRow] = []
    if rows:
        qs = candidate_scope(user, account, rows)
        amounts = {ledger_amount(r.amount) for r in rows}
        if len(amounts) <= MAX_AMOUNTS_IN_QUERY:
            if connections[qs.db].vendor == "postgresql":
                # One array parameter: an IN list of a thousand literals costs PostgreSQL
                # (and the driver) ten times more to read than the query takes to run.
                qs = qs.filter(amount__in=RawSQL("SELECT unnest(%s::numeric[])", [sorted(amounts)]))
            else:
                qs = qs.filter(amount__in=sorted(amounts))
        existing = [
            LedgerRow(id=pk, date=date, amount=amount, description=description, bank_id=bank_id,
                      import_fingerprint=stored)
            for pk, date, amount, description, bank_id, stored in qs.order_by("date", "pk").values_list(
                "pk", "date", "amount", "description", "bank_id", "import_fingerprint"
            )
        ]
    return match_rows(
        rows,
        existing,
        account_id=account_id,
        window_days=window_days,
        min_similarity=float(settings.DEDUP_DESCRIPTION_SIMILARITY),
        unique_bank_ids=unique_bank_ids,
    )
