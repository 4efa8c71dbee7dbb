"""Every list of the API costs the same number of queries for 2 rows as for 6 (no query per row)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_expense_ai.budgets import services as budget_services
from django_expense_ai.chat import submit_message
from django_expense_ai.models import Account, Budget, Group, GroupMember, StatementMerge, StatementPassword
from django_expense_ai.statements import import_statement

from .api_helpers import BASE, client_for

pytestmark = pytest.mark.django_db


def _make(user, other_user, n):
    files = []
    for i in range(n):
        Account.objects.create(user=user, name=f"acct {n}-{i}")
        group = Group.objects.create(name=f"g {n}-{i}", created_by=user)
        GroupMember.objects.create(group=group, user=user)
        GroupMember.objects.create(group=group, user=other_user)
        submit_message(user, f"${i + 1} thing {n}-{i}")
        csv = f"Date,Description,Amount\n2024-0{1 + i % 9}-0{1 + i % 9},Shop {n} {i},-{i + 1}.00\n".encode()
        uf = import_statement(user, csv, filename=f"s{n}-{i}.csv")
        files.append(uf)
        if i % 2:
            merge = StatementMerge.objects.create(primary_file=files[-2], merged_by=user, similarity_score=90)
            merge.duplicate_files.add(uf)
        pw = StatementPassword(user=user, password_hint=f"h{n}-{i}")
        pw.set_password("x")
        pw.save()
        Budget.objects.create(user=user, name=f"b{n}-{i}", start_date=dt.date(2024, 1, 1),
                              end_date=dt.date(2024, 1, 31), amount=Decimal(10))
        budget_services.create_template(user, name=f"t{n}-{i}", category_allocations={
            "food": {"name": "Food", "percentage": "100"}})


LISTS = ["accounts/", "categories/", "groups/", "chat/messages/", "statements/", "statement-passwords/",
         "merges/", "budgets/", "budget-templates/"]


@pytest.mark.parametrize("path", LISTS)
def test_list_queries_do_not_grow_with_rows(user, other_user, path):
    api = client_for(user)
    counts = []
    for n in (2, 4):
        _make(user, other_user, n)
        api.get(BASE + path)  # the user's AI/preferences rows etc. exist after a first call
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(BASE + path)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], (path, counts)
