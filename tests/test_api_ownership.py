"""Cross-user: every URL pattern of the API, with each of A's ids, as B. Written over the URLconf, so a
new route is covered the day it lands (a route whose id kind is unknown fails the test)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from django_expense_ai.budgets import services as budget_services
from django_expense_ai.chat import submit_message
from django_expense_ai.models import (
    Account,
    Budget,
    Category,
    ChatMessage,
    Group,
    GroupMember,
    StatementMerge,
    StatementPassword,
    Transaction,
    UploadedFile,
)
from django_expense_ai.statements import import_statement

from .api_helpers import BASE, client_for
from .test_merges import BASE as MERGE_ROWS
from .test_merges import ofx

pytestmark = pytest.mark.django_db
SECRET = "ZQXSECRET"


@pytest.fixture
def world(user, other_user):
    """A's rows of every kind, each carrying SECRET where it has text."""
    a = user
    account = Account.objects.create(user=a, name=f"{SECRET} account")
    category = Category.objects.create(user=a, key="zqx", name=f"{SECRET} cat")
    group = Group.objects.create(name=f"{SECRET} group", created_by=a)
    GroupMember.objects.create(group=group, user=a)
    tx = Transaction.objects.create(user=a, account=account, date=dt.date(2024, 1, 2), amount=Decimal("-5"),
                                    description=f"{SECRET} tx")
    message = submit_message(a, f"$3 {SECRET} lunch").message
    pw = StatementPassword(user=a, password_hint=f"{SECRET} hint")
    pw.set_password(SECRET)
    pw.save()
    import_statement(a, ofx(MERGE_ROWS, ids=[f"A-{i}" for i in range(20)]), filename=f"{SECRET}1.ofx",
                     account=account)
    import_statement(a, ofx(MERGE_ROWS, ids=[f"B-{i}" for i in range(20)]), filename=f"{SECRET}2.ofx",
                     account=account)
    merge = StatementMerge.objects.get()
    budget = Budget.objects.create(user=a, name=f"{SECRET} budget", start_date=dt.date(2024, 1, 1),
                                   end_date=dt.date(2024, 1, 31), amount=Decimal(100))
    template = budget_services.create_template(a, name=f"{SECRET} tpl", category_allocations={
        "food": {"name": "Food", "percentage": "100"}})
    return {
        "accounts": account.pk, "categories": category.pk, "groups": group.pk, "transactions": tx.pk,
        "chat/messages": message.pk, "statements": UploadedFile.objects.filter(user=a).first().pk,
        "statement-passwords": pw.pk, "merges": merge.pk, "budgets": budget.pk, "budget-templates": template.pk,
    }


def _snapshot():
    models = (Account, Category, Group, GroupMember, Transaction, ChatMessage, StatementPassword, UploadedFile,
              StatementMerge, Budget)
    return {m.__name__: sorted(map(str, m.objects.values_list(*[f.attname for f in m._meta.concrete_fields
                                                                 if f.attname != "updated_at"])))
            for m in models}


def test_b_reaches_nothing_of_a_through_any_route(world, user, other_user):
    from django_expense_ai.api.urls import urlpatterns

    bob = client_for(other_user)
    before = _snapshot()
    checked = 0
    for pattern in urlpatterns:
        regex = str(pattern.pattern).lstrip("^").rstrip("$")
        path = re.sub(r"\(\?P<user_id>[^)]*\)", str(user.pk), regex)
        if "(?P<pk>" not in path:
            # lists and singletons: B's answers never show A's data
            for method in ("get",):
                response = getattr(bob, method)(BASE + path)
                assert SECRET not in response.content.decode(errors="replace"), path
            continue
        prefix = path.split("/(?P<pk>")[0]
        assert prefix in world, f"no id of A for route {regex!r}: add one to the world fixture"
        url = BASE + re.sub(r"\(\?P<pk>[^)]*\)", str(world[prefix]), path)
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(bob, method)(url, {"name": "taken", "user": other_user.pk}, format="json")
            assert response.status_code in (404, 405), (method, url, response.status_code)
            assert SECRET not in response.content.decode(errors="replace"), (method, url)
            checked += 1
    assert checked > 100
    assert _snapshot() == before  # no write of B's landed
    # and A herself still reaches her rows
    alice = client_for(user)
    for prefix, pk in world.items():
        assert alice.get(f"{BASE}{prefix}/{pk}/").status_code == 200, prefix
