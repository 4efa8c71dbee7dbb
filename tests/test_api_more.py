"""REST API: merges, AI settings, preferences, budgets and templates, reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from django_expense_ai.budgets import services as budget_services
from django_expense_ai.ledger import reports
from django_expense_ai.models import Account, Budget, BudgetTemplate, StatementMerge, Transaction
from django_expense_ai.models.swappable import ai_settings_for

from .api_helpers import BASE, assert_problem, client_for
from .test_merges import BASE as MERGE_ROWS
from .test_merges import load, ofx

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(user):
    return client_for(user)


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="Current", currency="EUR")


@pytest.fixture
def merge(user, account):
    load(user, ofx(MERGE_ROWS, ids=[f"JAN-{i}" for i in range(20)]), "a.ofx", account)
    load(user, ofx(MERGE_ROWS, ids=[f"NEW-{i}" for i in range(20)]), "b.ofx", account)
    return StatementMerge.objects.get()


def test_merge_review_approve_complete_undo_purge(api, user, account, merge):
    listing = api.get(BASE + "merges/")
    assert [m["id"] for m in listing.data["results"]] == [merge.pk]
    detail = api.get(f"{BASE}merges/{merge.pk}/")
    assert detail.status_code == 200 and detail.data["similarity_score"] == "100.00"
    review = detail.data["review"][0]
    dup = merge.duplicate_files.get()
    assert review["file"]["id"] == dup.pk and review["comparison"]["score"] == "100.00"
    assert [t["id"] for t in review["transactions"]] == list(
        Transaction.objects.filter(uploaded_file=dup).order_by("date", "pk").values_list("pk", flat=True))
    before = Transaction.objects.filter(user=user).count()
    assert api.post(f"{BASE}merges/{merge.pk}/approve/").data["status"] == "approved"
    r = api.post(f"{BASE}merges/{merge.pk}/complete/", {"strategy": "keep_primary"}, format="json")
    assert r.status_code == 200, r.data
    assert r.data["status"] == "completed" and r.data["merge_strategy"] == "keep_primary"
    after = Transaction.objects.filter(user=user).count()
    assert after == before - len(r.data["details"]["removed"])
    assert_problem(api.post(f"{BASE}merges/{merge.pk}/complete/", {}, format="json"), 409, "InvalidTransition")
    assert api.post(f"{BASE}merges/{merge.pk}/undo/").data["status"] == "approved"
    assert Transaction.objects.filter(user=user).count() == before
    removed = len(api.post(f"{BASE}merges/{merge.pk}/complete/", {}, format="json").data["details"]["removed"])
    r = api.post(f"{BASE}merges/{merge.pk}/purge/")
    assert r.status_code == 200 and r.data["purged"] == removed


def test_merge_of_another_user_is_404(merge, other_user):
    bob = client_for(other_user)
    for action in ("", "approve/", "reject/", "complete/", "undo/", "purge/"):
        method = bob.get if not action else bob.post
        assert_problem(method(f"{BASE}merges/{merge.pk}/{action}"), 404)
    merge.refresh_from_db()
    assert merge.status == "suggested"


def test_ai_settings_keys_write_only_opt_in_and_test_keys(api, user):
    r = api.get(BASE + "settings/ai/")
    assert r.status_code == 200 and r.data["has_openai_key"] is False and r.data["ai_opt_in_at"] is None
    r = api.patch(BASE + "settings/ai/", {"openai_api_key": "sk-test-123", "openai_model": "gpt-x",
                                         "ai_opt_in": True, "active_parser_provider": "openai"}, format="json")
    assert r.status_code == 200, r.data
    assert r.data["has_openai_key"] is True and "sk-test-123" not in str(r.data)
    assert r.data["openai_model"] == "gpt-x" and r.data["ai_opt_in_at"]
    row = ai_settings_for(user)
    assert row.get_api_key("openai") == "sk-test-123" and row.ai_opt_in_at is not None
    body = assert_problem(api.patch(BASE + "settings/ai/", {"active_parser_provider": "nope"}, format="json"), 400)
    assert "nope" in body["detail"]
    r = api.patch(BASE + "settings/ai/", {"openai_api_key": "", "ai_opt_in": False}, format="json")
    assert r.data["has_openai_key"] is False and r.data["ai_opt_in_at"] is None
    r = api.post(BASE + "settings/ai/test-keys/", {"providers": ["fake"]}, format="json")
    assert r.status_code == 200, r.data
    assert r.data["results"]["fake"]["status"] in ("ok", "failed")
    assert ai_settings_for(user).api_key_test_status == r.data["results"]


def test_preferences(api):
    assert api.get(BASE + "settings/preferences/").data["quick_add_mode"] == "normal"
    r = api.patch(BASE + "settings/preferences/", {"quick_add_mode": "shortcut", "default_currency": "eur"},
                  format="json")
    assert r.status_code == 200 and r.data["quick_add_mode"] == "shortcut" and r.data["default_currency"] == "EUR"
    assert_problem(api.patch(BASE + "settings/preferences/", {"quick_add_mode": "wild"}, format="json"), 400)


def test_templates_apply_suggest_report(api, user, other_user):
    budget_services.load_system_templates()
    system = BudgetTemplate.objects.filter(is_system=True).first()
    theirs = budget_services.create_template(other_user, name="Bob's", category_allocations={
        "food": {"name": "Food", "percentage": "100"}})
    listing = api.get(BASE + "budget-templates/")
    ids = {t["id"] for t in listing.data}
    assert system.pk in ids and theirs.pk not in ids
    assert_problem(api.get(f"{BASE}budget-templates/{theirs.pk}/"), 404)
    assert_problem(api.delete(f"{BASE}budget-templates/{system.pk}/"), 403, "ReadOnlyRow")
    r = api.post(BASE + "budget-templates/", {"name": "Mine", "category_allocations": {
        "food": {"name": "Food", "percentage": "60"}, "rent": {"name": "Rent", "percentage": "40"}}}, format="json")
    assert r.status_code == 201, r.data
    bad = api.post(BASE + "budget-templates/", {"name": "Bad", "category_allocations": {
        "food": {"name": "Food", "percentage": "60"}}}, format="json")
    assert_problem(bad, 422, "BudgetError")
    r = api.post(f"{BASE}budget-templates/{r.data['id']}/apply/",
                 {"monthly_income": "1000.00", "start_date": "2024-03-01", "currency": "USD"}, format="json")
    assert r.status_code == 201, r.data
    assert r.data["amount"] == "1000.00" and r.data["budget_type"] == "template"
    budget = Budget.objects.get(pk=r.data["id"])
    Transaction.objects.create(user=user, date=dt.date(2024, 3, 5), amount=Decimal("-12.34"), currency="USD",
                               category=None, description="x")
    report = api.get(f"{BASE}budgets/{budget.pk}/report/")
    assert report.status_code == 200, report.data
    expected = budget_services.budget_report(budget)
    assert report.data["spent"] == str(expected.spent) and report.data["allocated"] == "1000.00"
    assert [line["allocated"] for line in report.data["lines"]] == [str(x.allocated) for x in expected.lines]
    suggestions = api.get(BASE + "budget-templates/suggestions/", {"income": "60000", "currency": "USD"})
    assert suggestions.status_code == 200 and suggestions.data
    assert_problem(api.get(BASE + "budget-templates/suggestions/", {"income": "-5", "currency": "USD"}), 422)
    r = api.post(BASE + "budgets/suggest/", {"monthly_income": "2000.00", "currency": "USD"}, format="json")
    assert r.status_code == 201, r.data
    assert r.data["budget_type"] == "ai_suggested"
    assert_problem(client_for(other_user).get(f"{BASE}budgets/{budget.pk}/report/"), 404)


def test_manual_budget_crud(api):
    r = api.post(BASE + "budgets/", {"name": "March", "start_date": "2024-03-01", "end_date": "2024-03-31",
                                     "amount": "500.00", "currency": "USD"}, format="json")
    assert r.status_code == 201, r.data
    assert r.data["amount"] == "500.00" and r.data["budget_type"] == "manual"
    bad = api.patch(f"{BASE}budgets/{r.data['id']}/", {"end_date": "2024-02-01"}, format="json")
    assert_problem(bad, 422, "BudgetError")
    assert api.delete(f"{BASE}budgets/{r.data['id']}/").status_code == 204


def test_reports_monthly_and_account_totals(api, user, account, other_user):
    Transaction.objects.create(user=user, account=account, date=dt.date(2024, 3, 5), amount=Decimal("-12.34"),
                               currency="EUR")
    Transaction.objects.create(user=user, account=account, date=dt.date(2024, 3, 9), amount=Decimal("100"),
                               currency="EUR")
    r = api.get(BASE + "reports/monthly/", {"year": 2024, "month": 3})
    assert r.status_code == 200
    expected = reports.monthly_totals(user, 2024, 3)[0]
    assert r.data[0]["by_currency"] == {k: str(v) for k, v in expected.by_currency.items()}
    assert r.data[0]["count"] == 2
    assert_problem(api.get(BASE + "reports/monthly/", {"year": 2024, "month": 13}), 400, "ReportError")
    r = api.get(f"{BASE}accounts/{account.pk}/totals/", {"start": "2024-03-01", "end": "2024-03-31"})
    assert r.status_code == 200 and r.data["money_in"] == {"EUR": "100.00"} and r.data["count"] == 2
    assert_problem(client_for(other_user).get(f"{BASE}accounts/{account.pk}/totals/",
                                              {"start": "2024-03-01", "end": "2024-03-31"}), 404)


def test_key_tests_and_uploads_have_their_own_throttle_scopes(api, settings):
    settings.EXPENSE_AI = {"API_THROTTLE_RATES": {"expense_ai_keys": "1/min", "expense_ai_upload": "1/min"}}
    assert api.post(BASE + "settings/ai/test-keys/", {"providers": []}, format="json").status_code == 200
    r = api.post(BASE + "settings/ai/test-keys/", {"providers": []}, format="json")
    assert_problem(r, 429, "throttled")
    assert r["Retry-After"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"Date,Description,Amount\n2024-03-01,Coffee,-3.50\n"
    first = api.post(BASE + "statements/", {"file": SimpleUploadedFile("a.csv", csv)}, format="multipart")
    assert first.status_code == 201
    again = api.post(BASE + "statements/", {"file": SimpleUploadedFile("b.csv", csv)}, format="multipart")
    assert_problem(again, 429, "throttled")
    # the host's DRF rates win over the library's defaults
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"expense_ai_upload": None}}
    assert api.post(BASE + "statements/", {"file": SimpleUploadedFile("c.csv", csv)},
                    format="multipart").status_code == 201
