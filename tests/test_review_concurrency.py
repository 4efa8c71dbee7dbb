"""Two commits of one review at the same moment (a double click, a retried request) create its rows once.

Real threads and connections: PostgreSQL and MariaDB (in-memory SQLite gives
each thread its own empty database).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from django_expense_ai.models import Account, Transaction, UploadedFile
from django_expense_ai.statements import import_statement
from django_expense_ai.statements.review import commit_review

from .test_review import SECOND, csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_commits_at_once_create_the_rows_once(user):
    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite gives each thread its own empty database; run on PostgreSQL/MariaDB")
    account = Account.objects.create(user=user, name="Current", currency="EUR")
    uf = import_statement(user, csv_bytes(SECOND), filename="b.csv", account=account, review=True)
    assert uf.status == "awaiting_review"
    barrier = threading.Barrier(2)
    created: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            created.append(len(commit_review(user, uf.pk).created_transactions))
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors, errors
    assert sorted(created) == [0, 5]
    assert Transaction.objects.filter(uploaded_file=uf).count() == 5
    assert UploadedFile.objects.get(pk=uf.pk).status == "completed"
