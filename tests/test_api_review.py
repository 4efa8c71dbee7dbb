"""REST API of the review: upload stops for review by default, GET rows with verdicts, PATCH, POST commit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from django_expense_ai.models import Account, Category, Transaction
from django_expense_ai.statements import import_statement

from .api_helpers import BASE, assert_problem, client_for
from .test_review import FIRST, SECOND, csv_bytes
from .test_statement_readers import knab_csv, knab_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(user):
    return client_for(user)


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="Current", currency="EUR")


def upload(api, data: bytes, name: str, **extra):
    return api.post(BASE + "statements/", {"file": SimpleUploadedFile(name, data), **extra}, format="multipart")


def test_overlapping_upload_is_reviewed_chosen_and_committed_once(api, user, account):
    assert import_statement(user, csv_bytes(FIRST), filename="a.csv", account=account).status == "completed"
    r = upload(api, csv_bytes(SECOND), "b.csv", account=account.pk)  # review: the default for the API
    assert r.status_code == 201, r.data
    assert r.data["status"] == "awaiting_review" and r.data["created_transactions"] == []
    pk = r.data["id"]
    assert Transaction.objects.filter(user=user).count() == 4

    review = api.get(f"{BASE}statements/{pk}/review/")
    assert review.status_code == 200
    body = review.json()
    verdicts = {row["description"]: row for row in body["rows"]}
    assert verdicts["Rent March"]["verdict"] == "duplicate_fingerprint" and not verdicts["Rent March"]["include"]
    coffee = verdicts["Coffee Corner Amsterdm"]
    assert coffee["verdict"] == "possible_duplicate" and coffee["resembles"]["description"] == "Coffee Corner Amsterdam"
    assert coffee["amount"] == "-3.50"  # money is a decimal string

    groceries = Category.objects.create(user=user, name="Groceries")
    shop = verdicts["Groceries Albert"]["row"]
    patched = api.patch(f"{BASE}statements/{pk}/review/",
                        {"exclude": [coffee["row"]], "categories": {str(shop): groceries.pk}}, format="json")
    assert patched.status_code == 200, patched.json()
    assert {r["description"]: r["include"] for r in patched.json()["rows"]}["Coffee Corner Amsterdm"] is False

    done = api.post(f"{BASE}statements/{pk}/review/commit/", {}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
    assert sorted(t["description"] for t in done.json()["created_transactions"]) == [
        "Bakery Jansen BV", "Cinema Pathe", "Groceries Albert",
    ]
    assert Transaction.objects.get(uploaded_file_id=pk, description="Groceries Albert").category_id == groceries.pk
    again = api.post(f"{BASE}statements/{pk}/review/commit/", {}, format="json")
    assert again.status_code == 200 and again.json()["created_transactions"] == []
    assert Transaction.objects.filter(user=user).count() == 7
    assert_problem(api.patch(f"{BASE}statements/{pk}/review/", {"bulk": "none"}, format="json"), 409)


def test_review_false_imports_directly(api, user):
    r = upload(api, csv_bytes(FIRST), "a.csv", review="false")
    assert r.status_code == 201 and r.data["status"] == "completed"
    assert len(r.data["created_transactions"]) == 4
    assert_problem(api.get(f"{BASE}statements/{r.data['id']}/review/"), 400, "ReviewError")


def test_mapping_patch_changes_signs_and_commit_keeps_it(api, user, account):
    rows = knab_rows(8)
    r = upload(api, knab_csv(rows), "knab.csv", account=account.pk)
    pk = r.data["id"]
    mapping = api.get(f"{BASE}statements/{pk}/review/").json()["mapping"]
    assert mapping["sign_rule"] == "indicator"
    wrong = api.patch(f"{BASE}statements/{pk}/review/", {"mapping": {**mapping, "sign_rule": "signed"}},
                      format="json")
    assert [Decimal(row["amount"]) for row in wrong.json()["rows"]] == [r.amount for r in rows]
    fixed = api.patch(f"{BASE}statements/{pk}/review/", {"mapping": mapping}, format="json")
    assert [Decimal(row["amount"]) for row in fixed.json()["rows"]] == [r.signed for r in rows]
    assert_problem(api.patch(f"{BASE}statements/{pk}/review/", {"mapping": {**mapping, "date": "Nope"}},
                             format="json"), 400, "BankProfileError")
    done = api.post(f"{BASE}statements/{pk}/review/commit/", {"keep_mapping_for_account": True}, format="json")
    assert done.status_code == 200
    assert Transaction.objects.filter(uploaded_file_id=pk).aggregate(t=Sum("amount"))["t"] == sum(
        r.signed for r in rows)
    account.refresh_from_db()
    assert account.bank_profile["sign_rule"] == "indicator"


def test_another_users_review_is_a_404(api, other_user, user):
    theirs = import_statement(other_user, csv_bytes(FIRST), filename="t.csv", review=True)
    assert_problem(api.get(f"{BASE}statements/{theirs.pk}/review/"), 404)
    assert_problem(api.patch(f"{BASE}statements/{theirs.pk}/review/", {"bulk": "none"}, format="json"), 404)
    assert_problem(api.post(f"{BASE}statements/{theirs.pk}/review/commit/", {}, format="json"), 404)
    assert Transaction.objects.filter(user=other_user).count() == 0


def test_bad_choices_are_problems(api, user):
    pk = upload(api, csv_bytes(FIRST), "a.csv").data["id"]
    assert_problem(api.patch(f"{BASE}statements/{pk}/review/", {"exclude": [42]}, format="json"), 400, "ReviewError")
    r = api.patch(f"{BASE}statements/{pk}/review/", {"bulk": "everything"}, format="json")
    assert r.status_code in (400, 422) and r["Content-Type"].startswith("application/problem+json")


def test_an_upload_without_review_follows_the_users_preference(api, user):
    from django_expense_ai.models.swappable import preferences_for

    prefs = preferences_for(user)
    prefs.review_uploads = False  # the site says review (REVIEW_UPLOADS defaults to True); the user does not
    prefs.save()
    r = upload(api, csv_bytes(FIRST), "a.csv")
    assert r.status_code == 201 and r.data["status"] == "completed"
    r = api.patch(f"{BASE}settings/preferences/", {"review_uploads": None}, format="json")
    assert r.status_code == 200 and r.data["review_uploads"] is None
    r = upload(api, csv_bytes(SECOND), "b.csv")
    assert r.data["status"] == "awaiting_review"
