"""REST API: accounts, categories, groups, transactions (scoping, splits, filters, queries)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from django_expense_ai.ledger.splits import split_amount  # noqa: E402
from django_expense_ai.models import (  # noqa: E402  (after the importorskip)
    Account,
    Category,
    Group,
    GroupMember,
    Transaction,
    TransactionMention,
    TransactionSplit,
)

from .api_helpers import BASE, assert_problem, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(user):
    return client_for(user)


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="Current", currency="USD")


@pytest.fixture
def friend(django_user_model, user):
    """A user who shares a group with ``user`` (so splits with them are allowed)."""
    carol = django_user_model.objects.create_user(username="carol", password="pw")
    group = Group.objects.create(name="Flat", created_by=user)
    GroupMember.objects.create(group=group, user=user)
    GroupMember.objects.create(group=group, user=carol)
    return carol


def test_accounts_crud_and_money_fields(api, user):
    r = api.post(BASE + "accounts/", {"name": "Savings", "currency": "jpy"}, format="json")
    assert r.status_code == 201, r.data
    pk = r.data["id"]
    assert Account.objects.get(pk=pk).user == user and r.data["currency"] == "JPY"
    assert api.patch(f"{BASE}accounts/{pk}/", {"institution": "Bank"}, format="json").data["institution"] == "Bank"
    assert [a["id"] for a in api.get(BASE + "accounts/").data] == [pk]
    assert api.delete(f"{BASE}accounts/{pk}/").status_code == 204
    assert not Account.objects.filter(pk=pk).exists()


def test_another_users_rows_are_404_never_403(api, other_user):
    foreign_account = Account.objects.create(user=other_user, name="Theirs")
    foreign_tx = Transaction.objects.create(user=other_user, date=dt.date(2024, 1, 1), amount=Decimal("-5"),
                                            description="secret thing")
    foreign_cat = Category.objects.create(user=other_user, key="mine", name="Mine")
    foreign_group = Group.objects.create(name="Theirs", created_by=other_user)
    for url in (f"accounts/{foreign_account.pk}/", f"transactions/{foreign_tx.pk}/",
                f"categories/{foreign_cat.pk}/", f"groups/{foreign_group.pk}/"):
        for method in ("get", "patch", "delete"):
            response = getattr(api, method)(BASE + url, {}, format="json")
            body = assert_problem(response, 404)
            assert "secret" not in str(body)
    assert Transaction.objects.filter(pk=foreign_tx.pk, amount=Decimal("-5")).exists()
    # a relation to another user's account is a field error, and nothing is written
    r = api.post(BASE + "transactions/", {"date": "2024-01-02", "amount": "-1.00", "account": foreign_account.pk},
                 format="json")
    body = assert_problem(r, 400, "invalid")
    assert "account" in body["errors"]
    assert not Transaction.objects.filter(description="").exclude(user=other_user).exists()
    r = api.post(BASE + "transactions/classify/", {"ids": [foreign_tx.pk], "expense_classification": "charity"},
                 format="json")
    assert_problem(r, 404, "NotYours")
    assert Transaction.objects.get(pk=foreign_tx.pk).expense_classification == "regular_monthly"


def test_categories_own_and_system_system_read_only(api, user):
    system = Category.objects.filter(user=None).order_by("pk").first()
    r = api.post(BASE + "categories/", {"key": "coffee", "name": "Coffee", "parent": system.pk}, format="json")
    assert r.status_code == 201, r.data
    keys = {c["key"]: c["is_system"] for c in api.get(BASE + "categories/").data}
    assert keys == {**dict.fromkeys(Category.objects.filter(user=None).values_list("key", flat=True), True),
                    "coffee": False}
    name = system.name
    assert_problem(api.patch(f"{BASE}categories/{system.pk}/", {"name": "Eats"}, format="json"), 403, "ReadOnlyRow")
    assert_problem(api.delete(f"{BASE}categories/{system.pk}/"), 403, "ReadOnlyRow")
    assert Category.objects.get(pk=system.pk).name == name
    dup = api.post(BASE + "categories/", {"key": "coffee", "name": "Again"}, format="json")
    assert_problem(dup, 400, "OwnershipError")


def test_groups_only_creator_adds_members_and_members_may_leave(api, user, other_user, django_user_model):
    r = api.post(BASE + "groups/", {"name": "Trip"}, format="json")
    assert r.status_code == 201
    gid = r.data["id"]
    assert [m["user"]["id"] for m in r.data["members"]] == [user.pk]
    r = api.post(f"{BASE}groups/{gid}/members/", {"username": other_user.username}, format="json")
    assert r.status_code == 201, r.data
    assert {m["user"]["username"] for m in r.data["members"]} == {"alice", "bob"}
    bob = client_for(other_user)
    dave = django_user_model.objects.create_user(username="dave", password="pw")
    # bob sees the group but cannot add members (404: nothing of his to change) nor rename it
    assert bob.get(f"{BASE}groups/{gid}/").status_code == 200
    assert_problem(bob.post(f"{BASE}groups/{gid}/members/", {"username": dave.username}, format="json"), 404, "NotYours")
    assert_problem(bob.patch(f"{BASE}groups/{gid}/", {"name": "Mine"}, format="json"), 404, "NotYours")
    assert not GroupMember.objects.filter(user=dave).exists()
    assert bob.post(f"{BASE}groups/{gid}/leave/").status_code == 204
    assert not GroupMember.objects.filter(group_id=gid, user=other_user).exists()
    assert_problem(bob.get(f"{BASE}groups/{gid}/"), 404)


def test_transaction_create_with_split_matches_split_amount(api, user, account, friend):
    payload = {"date": "2024-03-05", "amount": "-100.00", "description": "Dinner", "account": account.pk,
               "split": {"method": "percentage", "participants": [user.pk, friend.pk], "values": ["33.3", "66.7"]}}
    r = api.post(BASE + "transactions/", payload, format="json")
    assert r.status_code == 201, r.data
    expected = split_amount(Decimal("100.00"), "percentage", [Decimal("33.3"), Decimal("66.7")], currency="USD",
                            tiebreak_key=r.data["id"])
    assert [s["amount"] for s in r.data["splits"]] == [str(v) for v in expected]
    assert r.data["amount"] == "-100.00" and r.data["currency"] == "USD"  # the account's currency
    assert isinstance(r.data["amount"], str)
    # change the amount: splits are re-derived by the service
    r = api.patch(f"{BASE}transactions/{r.data['id']}/", {"amount": "-50.00"}, format="json")
    assert r.status_code == 200, r.data
    assert sum(Decimal(s["amount"]) for s in r.data["splits"]) == Decimal("50.00")


def test_bad_split_is_a_problem_with_the_librarys_message(api, user, friend):
    payload = {"date": "2024-03-05", "amount": "-10.00",
               "split": {"method": "percentage", "participants": [user.pk, friend.pk], "values": ["50", "40"]}}
    body = assert_problem(api.post(BASE + "transactions/", payload, format="json"), 422, "SplitError")
    assert "10 short of 100" in body["detail"]
    assert not Transaction.objects.exists()  # nothing half-written


def test_split_with_a_stranger_is_refused(api, user, other_user):
    payload = {"date": "2024-03-05", "amount": "-10.00",
               "split": {"method": "equal", "participants": [user.pk, other_user.pk]}}
    assert_problem(api.post(BASE + "transactions/", payload, format="json"), 400, "OwnershipError")
    assert not Transaction.objects.exists()


def test_too_many_decimals_for_the_currency(api):
    r = api.post(BASE + "transactions/", {"date": "2024-03-05", "amount": "-10.5", "currency": "JPY"}, format="json")
    assert_problem(r, 422 if r.status_code == 422 else 400)
    assert not Transaction.objects.exists()


def _ledger(user, account, n=60):
    food = Category.objects.create(user=user, key="food", name="Food")
    txs = [
        Transaction(user=user, account=account if i % 2 else None, category=food if i % 3 == 0 else None,
                    date=dt.date(2024, 1, 1) + dt.timedelta(days=i), amount=Decimal(-i - 1),
                    description=f"shop {i}" if i % 5 else f"coffee {i}", source="manual" if i % 4 else "chat",
                    expense_classification="charity" if i % 7 == 0 else "regular_monthly",
                    exclude_from_totals=i % 7 == 0)
        for i in range(n)
    ]
    Transaction.objects.bulk_create(txs)
    return food


def test_filters_and_cursor_pagination(api, user, account):
    food = _ledger(user, account)
    first = api.get(BASE + "transactions/", {"page_size": 25})
    assert first.status_code == 200
    assert len(first.data["results"]) == 25 and first.data["next"]
    seen = [row["id"] for row in first.data["results"]]
    page = first
    while page.data["next"]:
        page = api.get(page.data["next"])
        seen += [row["id"] for row in page.data["results"]]
    assert seen == list(Transaction.objects.filter(user=user).order_by("-date", "-id").values_list("pk", flat=True))

    def ids(**params):
        return {row["id"] for row in api.get(BASE + "transactions/", params).data["results"]}

    mine = Transaction.objects.filter(user=user)
    assert ids(date_from="2024-01-10", date_to="2024-01-12") == set(
        mine.filter(date__range=("2024-01-10", "2024-01-12")).values_list("pk", flat=True))
    assert ids(account=account.pk) == set(mine.filter(account=account).values_list("pk", flat=True))
    assert ids(category=food.pk) == set(mine.filter(category=food).values_list("pk", flat=True))
    assert ids(expense_classification="charity") == set(
        mine.filter(expense_classification="charity").values_list("pk", flat=True))
    assert ids(exclude_from_totals="true") == set(mine.filter(exclude_from_totals=True).values_list("pk", flat=True))
    assert ids(source="chat") == set(mine.filter(source="chat").values_list("pk", flat=True))
    assert ids(q="coffee") == set(mine.filter(description__icontains="coffee").values_list("pk", flat=True))
    assert_problem(api.get(BASE + "transactions/", {"date_from": "yesterday"}), 400)


def test_bulk_reclassification(api, user, account):
    _ledger(user, account, n=5)
    pks = list(Transaction.objects.values_list("pk", flat=True)[:3])
    r = api.post(BASE + "transactions/classify/", {"ids": pks, "expense_classification": "one_time"}, format="json")
    assert r.status_code == 200 and r.data == {"updated": 3}
    rows = Transaction.objects.filter(pk__in=pks)
    assert set(rows.values_list("expense_classification", "exclude_from_totals")) == {("one_time", True)}


def test_transaction_list_queries_do_not_grow_with_the_page(api, user, account, friend,
                                                             django_assert_num_queries):
    _ledger(user, account, n=50)
    for tx in Transaction.objects.all():
        TransactionSplit.objects.create(transaction=tx, participant=friend, amount=Decimal(1))
        TransactionMention.objects.create(transaction=tx, created_by=user, mention_type="user",
                                          mentioned_user=friend, mentioned_text="@carol")

    def count_queries(size):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            r = api.get(BASE + "transactions/", {"page_size": size})
        assert r.status_code == 200 and len(r.data["results"]) == size
        assert all(row["splits"] and row["mentions"] for row in r.data["results"])
        return len(ctx.captured_queries)

    small, full = count_queries(5), count_queries(50)
    assert small == full  # constant: no query per row
    # a page from each part of for_user (own, split with me, my groups; with account and category),
    # then the page's splits and mentions
    with django_assert_num_queries(5):
        api.get(BASE + "transactions/", {"page_size": 50})


def test_unauthenticated_is_a_problem(client):
    r = client.get(BASE + "transactions/")
    assert_problem(r, 403, "not_authenticated")


def test_feed_merges_own_and_shared_rows_in_order_across_pages(api, user, other_user, friend, django_user_model):
    """The list reads for_user_parts(); it must give exactly for_user(), in order, page after page."""
    group = Group.objects.get(name="Flat")
    stranger = django_user_model.objects.create_user(username="zed", password="pw")
    day = dt.date(2024, 5, 1)
    rows = []
    for i in range(12):
        owner = (user, friend, other_user)[i % 3]
        tx = Transaction.objects.create(user=owner, date=day + dt.timedelta(days=i % 4), amount=Decimal(-1 - i),
                                        description=f"row {i}", group=group if owner == friend and i % 2 else None)
        if owner == other_user:
            TransactionSplit.objects.create(transaction=tx, participant=user, amount=Decimal(1))
        if owner == friend and i % 2 == 0:  # in a group and split with me: listed once
            tx.group = group
            tx.save()
            TransactionSplit.objects.create(transaction=tx, participant=user, amount=Decimal(1))
        rows.append(tx)
    Transaction.objects.create(user=stranger, date=day, amount=Decimal(-9), description="not visible")
    expected = list(Transaction.objects.for_user(user).order_by("-date", "-id").values_list("pk", flat=True))
    assert len(expected) == 12
    page = api.get(BASE + "transactions/", {"page_size": 5})
    seen = [row["id"] for row in page.data["results"]]
    while page.data["next"]:
        page = api.get(page.data["next"])
        seen += [row["id"] for row in page.data["results"]]
    assert seen == expected
    # going back gives what DRF's cursor gives over the plain for_user() queryset
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from django_expense_ai.api.views import TransactionCursor

    back = api.get(page.data["previous"]).data["results"]
    plain = TransactionCursor().paginate_queryset(
        Transaction.objects.for_user(user), Request(APIRequestFactory().get(page.data["previous"])))
    assert [row["id"] for row in back] == [tx.pk for tx in plain] and back
    shared = {row["id"] for row in api.get(BASE + "transactions/", {"q": "row", "page_size": 50}).data["results"]}
    assert shared == set(expected)


@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 7, 50])
def test_feed_pages_are_exact_when_later_parts_are_bounded(api, user, other_user, friend, page_size):
    """Own rows fill a page first; the shared parts are then read only up to its last row (ties on date)."""
    day = dt.date(2024, 5, 1)
    for i in range(9):
        Transaction.objects.create(user=user, date=day + dt.timedelta(days=i % 3), amount=Decimal(-1 - i))
    for i in range(6):
        tx = Transaction.objects.create(user=other_user, date=day + dt.timedelta(days=i % 4), amount=Decimal(-1))
        TransactionSplit.objects.create(transaction=tx, participant=user, amount=Decimal(1))
    expected = list(Transaction.objects.for_user(user).order_by("-date", "-id").values_list("pk", flat=True))
    page = api.get(BASE + "transactions/", {"page_size": page_size})
    seen = [row["id"] for row in page.data["results"]]
    while page.data["next"]:
        page = api.get(page.data["next"])
        seen += [row["id"] for row in page.data["results"]]
    assert seen == expected and len(expected) == 15


def test_money_stays_a_string_when_the_host_turns_decimal_coercion_off(api, user, friend, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "COERCE_DECIMAL_TO_STRING": False}
    payload = {"date": "2024-03-05", "amount": "-10.00",
               "split": {"method": "shares", "participants": [user.pk, friend.pk], "values": ["1", "2"]}}
    r = api.post(BASE + "transactions/", payload, format="json")
    assert r.status_code == 201, r.data
    body = r.json()
    assert body["amount"] == "-10.00"
    assert [s["amount"] for s in body["splits"]] == ["3.33", "6.67"]
    assert all(isinstance(s["split_value"], str) for s in body["splits"])
