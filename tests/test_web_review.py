"""The review on the statement page: table with checkboxes and verdicts, bulk, mapping panel, commit."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from django_expense_ai.models import Account, Category, Transaction, UploadedFile
from django_expense_ai.statements import import_statement
from django_expense_ai.statements.review import review_of
from tests.webdata import upload

from .test_review import FIRST, SECOND, csv_bytes
from .test_statement_readers import knab_csv, knab_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="Current", currency="EUR")


def test_upload_with_review_shows_the_rows_and_commits_the_ticked_ones(client, user, account):
    import_statement(user, csv_bytes(FIRST), filename="a.csv", account=account)
    client.force_login(user)
    form = client.get(reverse("expense_ai:statement_upload")).content.decode()
    widget = re.search(r'<input[^>]*name="review"[^>]*>', form)
    assert widget is not None and "checked" in widget.group(0)  # ticked by default (REVIEW_UPLOADS)

    response = client.post(reverse("expense_ai:statement_upload"),
                           {"file": upload("b.csv", csv_bytes(SECOND)), "account": account.pk, "review": "on"})
    uploaded = UploadedFile.objects.get(filename="b.csv")
    assert response.status_code == 302 and uploaded.status == "awaiting_review"
    page = client.get(response["Location"]).content.decode()
    assert "Review before it lands" in page and "Waiting for your review" in page
    assert page.count('type="checkbox" name="include"') == 5
    assert "Possible duplicate" in page and "Duplicate (same date, amount, text)" in page
    assert "Resembles" in page and "Coffee Corner Amsterdam" in page  # the existing transaction, on expand
    assert 'name="map-amount" value="Amount"' in page  # the CSV's mapping panel
    assert Transaction.objects.filter(uploaded_file=uploaded).count() == 0

    rows = {r["description"]: r["row"] for r in review_of(user, uploaded)["rows"]}
    groceries = Category.objects.create(user=user, name="Groceries")
    ticked = [rows["Bakery Jansen BV"], rows["Groceries Albert"], rows["Cinema Pathe"]]  # coffee unticked
    response = client.post(reverse("expense_ai:statement_review", args=[uploaded.pk]), {
        "include": [str(i) for i in ticked], f"category-{rows['Groceries Albert']}": str(groceries.pk),
        "commit": "1",
    })
    assert response.status_code == 302
    created = Transaction.objects.filter(uploaded_file=uploaded)
    assert sorted(created.values_list("description", flat=True)) == [
        "Bakery Jansen BV", "Cinema Pathe", "Groceries Albert",
    ]
    assert created.get(description="Groceries Albert").category_id == groceries.pk
    page = client.get(response["Location"]).content.decode()
    assert "3 transaction(s) created" in page and "Review before it lands" not in page
    # Committing again from a stale page creates nothing.
    client.post(reverse("expense_ai:statement_review_commit", args=[uploaded.pk]))
    assert Transaction.objects.filter(uploaded_file=uploaded).count() == 3


def test_bulk_and_mapping_forms(client, user, account):
    rows = knab_rows(6)
    uploaded = import_statement(user, knab_csv(rows), filename="knab.csv", account=account, review=True)
    client.force_login(user)
    url = reverse("expense_ai:statement_review", args=[uploaded.pk])
    client.post(url, {"bulk": "none"})
    assert review_of(user, uploaded)["counts"]["included"] == 0
    client.post(url, {"bulk": "all"})
    assert review_of(user, uploaded)["counts"]["included"] == 6

    client.post(url, {"mapping": "1", "map-sign_rule": "signed"})
    assert [Decimal(r["amount"]) for r in review_of(user, uploaded)["rows"]] == [r.amount for r in rows]
    page = client.get(reverse("expense_ai:statement_detail", args=[uploaded.pk])).content.decode()
    assert "read again" in page
    client.post(url, {"mapping": "1", "map-sign_rule": "indicator", "map-indicator": "CreditDebet"})
    assert [Decimal(r["amount"]) for r in review_of(user, uploaded)["rows"]] == [r.signed for r in rows]
    client.post(url, {"mapping": "1", "map-date": "No such column"})
    page = client.get(reverse("expense_ai:statement_detail", args=[uploaded.pk])).content.decode()
    assert "does not fit" in page

    client.post(url, {"include": [str(i) for i in range(6)], "keep_mapping": "1", "commit": "1"})
    assert Transaction.objects.filter(uploaded_file=uploaded).count() == 6
    account.refresh_from_db()
    assert account.bank_profile["sign_rule"] == "indicator"


def test_another_users_review_is_not_found(client, user, other_user):
    theirs = import_statement(other_user, csv_bytes(FIRST), filename="t.csv", review=True)
    client.force_login(user)
    assert client.get(reverse("expense_ai:statement_detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("expense_ai:statement_review", args=[theirs.pk]), {"bulk": "none"}).status_code == 404
    assert client.post(reverse("expense_ai:statement_review_commit", args=[theirs.pk])).status_code == 404
    assert Transaction.objects.filter(user=other_user).count() == 0
    assert UploadedFile.objects.get(pk=theirs.pk).status == "awaiting_review"
