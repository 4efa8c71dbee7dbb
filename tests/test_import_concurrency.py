"""Two imports of overlapping statements at the same time create each shared row once.

Both imports are held after their de-duplication stage (a plugin waits on a
barrier) so each has matched its rows against a ledger without the other's;
the creation stage's lock and re-check must then keep the shared rows from
being created twice. Real threads and connections: PostgreSQL and MariaDB
(in-memory SQLite gives each thread its own empty database).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from django_expense_ai import hookimpl
from django_expense_ai.models import Account, StatementProcessingLog, Transaction
from django_expense_ai.statements import import_statement

pytestmark = pytest.mark.django_db(transaction=True)


def _statement(first: int, last: int) -> bytes:
    start = dt.date(2025, 3, 1)
    lines = ["Date,Description,Amount"]
    for i in range(first, last):
        lines.append(f"{(start + dt.timedelta(days=i // 3)).isoformat()},SHOP {i:03d},-{10 + i}.25")
    return ("\n".join(lines) + "\n").encode()


class _HoldAfterDedup:
    """Keeps every import waiting after its de-duplication until all have reached it."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties)

    @hookimpl
    def statement_stage_completed(self, uploaded_file, stage, status, details):
        if stage == "deduplication":
            self.barrier.wait(timeout=30)


def _import_at_once(user, account, statements: list[bytes]) -> list:
    results: list = [None] * len(statements)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            results[index] = import_statement(user, statements[index], filename=f"s{index}.csv", account=account)
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(statements))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors, errors
    return results


@pytest.mark.parametrize("with_account", [True, False], ids=["account", "no-account"])
def test_overlapping_imports_at_once_create_the_shared_rows_once(user, register_plugin, with_account):
    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite gives each thread its own empty database; run on PostgreSQL/MariaDB")
    account = Account.objects.create(user=user, name="Checking", currency="USD") if with_account else None
    register_plugin(_HoldAfterDedup(2))
    # Rows 0-59 and 30-89: thirty rows are on both statements.
    first, second = _import_at_once(user, account, [_statement(0, 60), _statement(30, 90)])

    assert first.status == second.status == "completed"
    descriptions = list(Transaction.objects.filter(user=user).values_list("description", flat=True))
    assert len(descriptions) == 90 == len(set(descriptions))
    assert sorted(len(uf.created_transactions) for uf in (first, second)) == [30, 60]
    # The import that went second matched the other's rows again, and its log says so.
    rechecked = [
        log.details["rechecked"]
        for log in StatementProcessingLog.objects.filter(processing_stage="transaction_creation")
        if "rechecked" in log.details
    ]
    assert len(rechecked) == 1
    assert rechecked[0]["duplicates_before"] == 0 and rechecked[0]["duplicates_now"] == 30
    assert all(skip["matched_transaction_id"] for skip in rechecked[0]["skipped"])


def test_an_unchanged_ledger_is_not_matched_twice(user):
    # One import on its own: the mark is unchanged, so the rows are matched once.
    uf = import_statement(user, _statement(0, 30), filename="alone.csv")
    log = StatementProcessingLog.objects.get(uploaded_file=uf, processing_stage="transaction_creation")
    assert "rechecked" not in log.details
    assert len(uf.created_transactions) == 30
