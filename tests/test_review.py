"""Review before it lands: rows wait with their verdicts, the user chooses, commit creates exactly those."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from django_expense_ai.exceptions import BankProfileError, InvalidTransition, NotYours, ReviewError
from django_expense_ai.models import Account, Category, StatementProcessingLog, Transaction, UploadedFile
from django_expense_ai.statements import import_statement
from django_expense_ai.statements.account_profiles import account_profile, save_account_profile
from django_expense_ai.statements.formats.profiles import BankProfile
from django_expense_ai.statements.pipeline import STAGES
from django_expense_ai.statements.review import commit_review, expire_reviews, review_of, update_review

from .test_statement_readers import knab_csv, knab_rows

pytestmark = pytest.mark.django_db

STAGE_NAMES = [name for name, _ in STAGES]


def csv_bytes(rows: list[tuple[str, str, str]]) -> bytes:
    lines = ["Date,Description,Amount"] + [f"{d},{desc},{amt}" for d, desc, amt in rows]
    return ("\n".join(lines) + "\n").encode()


FIRST = [
    ("2024-03-01", "Salary ACME", "2500.00"),
    ("2024-03-02", "Rent March", "-900.00"),
    ("2024-03-04", "Bakery Jansen", "-2.10"),
    ("2024-03-05", "Coffee Corner Amsterdam", "-3.50"),
]
# Overlaps FIRST: the rent again (a sure duplicate), two look-alikes (possible duplicates), two new rows.
SECOND = [
    ("2024-03-02", "Rent March", "-900.00"),
    ("2024-03-05", "Bakery Jansen BV", "-2.10"),
    ("2024-03-06", "Coffee Corner Amsterdm", "-3.50"),
    ("2024-03-07", "Groceries Albert", "-54.20"),
    ("2024-03-08", "Cinema Pathe", "-12.00"),
]


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="Current", currency="EUR")


@pytest.fixture
def first_imported(user, account):
    uf = import_statement(user, csv_bytes(FIRST), filename="march-1.csv", account=account)
    assert uf.status == "completed", uf.error_message
    return {t.description: t for t in Transaction.objects.filter(user=user)}


@pytest.fixture
def reviewed(user, account, first_imported):
    uf = import_statement(user, csv_bytes(SECOND), filename="march-2.csv", account=account, review=True)
    assert uf.status == "awaiting_review", uf.error_message
    return uf


def by_description(review: dict) -> dict[str, dict]:
    return {row["description"]: row for row in review["rows"]}


def test_review_holds_the_rows_with_verdicts_and_creates_nothing(user, reviewed, first_imported):
    assert Transaction.objects.filter(user=user).count() == 4
    assert reviewed.created_transactions == []
    review = review_of(user, reviewed)
    rows = by_description(review)
    assert [r["verdict"] for r in review["rows"]] == [
        "duplicate_fingerprint", "possible_duplicate", "possible_duplicate", "new", "new",
    ]
    rent = rows["Rent March"]
    assert rent["include"] is False and rent["transaction_id"] == first_imported["Rent March"].pk
    bakery = rows["Bakery Jansen BV"]
    assert bakery["include"] is True  # a possible duplicate is the user's choice, shown ticked
    assert bakery["transaction_id"] == first_imported["Bakery Jansen"].pk
    assert 80 <= bakery["score"] < 100
    assert bakery["resembles"] == {
        "id": first_imported["Bakery Jansen"].pk, "date": "2024-03-04", "amount": "-2.10",
        "currency": "EUR", "description": "Bakery Jansen",
    }
    assert rows["Groceries Albert"]["amount"] == "-54.20" and rows["Groceries Albert"]["verdict"] == "new"
    assert review["counts"]["included"] == 4 and review["counts"]["rows"] == 5
    assert review["mapping"]["date"] == "Date" and review["mapping"]["amount"] == "Amount"
    # The audit stops after de-duplication, which says the file was held.
    stages = list(reviewed.processing_logs.order_by("pk").values_list("processing_stage", flat=True))
    assert stages == STAGE_NAMES[:7]
    assert reviewed.processing_logs.get(processing_stage="deduplication").details["held_for_review"] is True


def test_untick_a_possible_duplicate_then_commit_creates_exactly_the_chosen_rows(user, reviewed):
    groceries = Category.objects.create(user=user, name="Groceries")
    review = review_of(user, reviewed)
    coffee = by_description(review)["Coffee Corner Amsterdm"]["row"]
    shop = by_description(review)["Groceries Albert"]["row"]
    after = update_review(user, reviewed, exclude=[coffee], categories={shop: groceries.pk})
    assert by_description(after)["Coffee Corner Amsterdm"]["include"] is False

    done = commit_review(user, reviewed)
    assert done.status == "completed", done.error_message
    assert sorted(t.description for t in done.created_transactions) == [
        "Bakery Jansen BV", "Cinema Pathe", "Groceries Albert",
    ]
    mine = Transaction.objects.filter(user=user, uploaded_file=reviewed)
    assert sorted(mine.values_list("description", flat=True)) == [
        "Bakery Jansen BV", "Cinema Pathe", "Groceries Albert",
    ]
    assert mine.get(description="Groceries Albert").category_id == groceries.pk
    assert mine.aggregate(total=Sum("amount"))["total"] == Decimal("-68.30")
    assert Transaction.objects.filter(user=user).count() == 7
    stages = list(reviewed.processing_logs.order_by("pk").values_list("processing_stage", "status"))
    assert [s for s, _ in stages] == STAGE_NAMES
    assert stages[-2:] == [("transaction_creation", "success"), ("completion", "success")]
    creation = reviewed.processing_logs.get(processing_stage="transaction_creation").details
    assert creation["review"] == {"chosen": 3, "left_out_by_user": 2}
    assert review_of(user, reviewed)["state"] == "committed"


def test_committing_twice_creates_nothing_the_second_time(user, reviewed):
    first = commit_review(user, reviewed)
    assert len(first.created_transactions) == 4  # both possible duplicates stayed ticked
    count = Transaction.objects.filter(user=user).count()
    again = commit_review(user, reviewed.pk)
    assert again.created_transactions == []
    assert Transaction.objects.filter(user=user).count() == count
    assert StatementProcessingLog.objects.filter(
        uploaded_file=reviewed, processing_stage="transaction_creation"
    ).count() == 1
    with pytest.raises(InvalidTransition):
        update_review(user, reviewed, bulk="none")


def test_another_users_review_is_not_found(user, other_user, reviewed):
    with pytest.raises(NotYours):
        review_of(other_user, reviewed)
    with pytest.raises(NotYours):
        update_review(other_user, reviewed, bulk="none")
    with pytest.raises(NotYours):
        commit_review(other_user, reviewed.pk)
    theirs = Category.objects.create(user=other_user, name="Theirs")
    with pytest.raises(NotYours):
        update_review(user, reviewed, categories={3: theirs.pk})
    assert UploadedFile.objects.get(pk=reviewed.pk).status == "awaiting_review"
    assert Transaction.objects.filter(uploaded_file=reviewed).count() == 0


def test_sure_duplicates_stay_out_unless_forced_and_bulk_choices(user, reviewed, first_imported):
    rent = by_description(review_of(user, reviewed))["Rent March"]["row"]
    with pytest.raises(ReviewError, match="already in the ledger"):
        update_review(user, reviewed, include=[rent])
    with pytest.raises(ReviewError, match="no row 99"):
        update_review(user, reviewed, exclude=[99])
    with pytest.raises(ReviewError, match="Unknown bulk"):
        update_review(user, reviewed, bulk="everything")
    review = update_review(user, reviewed, bulk="no_possible_duplicates")
    assert [r["include"] for r in review["rows"]] == [False, False, False, True, True]
    review = update_review(user, reviewed, bulk="all")
    assert [r["include"] for r in review["rows"]] == [False, True, True, True, True]
    review = update_review(user, reviewed, bulk="all_new", force=[rent])
    assert [r["include"] for r in review["rows"]] == [True, False, False, True, True]
    done = commit_review(user, reviewed)
    assert sorted(t.description for t in done.created_transactions) == [
        "Cinema Pathe", "Groceries Albert", "Rent March",
    ]
    assert Transaction.objects.filter(user=user, description="Rent March").count() == 2


def test_commit_rechecks_under_the_lock_when_another_import_landed(user, account, reviewed):
    # Meanwhile another statement (imported without review) brings the groceries row.
    other = import_statement(user, csv_bytes([("2024-03-07", "Groceries Albert", "-54.20")]),
                             filename="other.csv", account=account)
    assert other.status == "completed" and len(other.created_transactions) == 1
    done = commit_review(user, reviewed)
    assert sorted(t.description for t in done.created_transactions) == [
        "Bakery Jansen BV", "Cinema Pathe", "Coffee Corner Amsterdm",
    ]
    assert Transaction.objects.filter(user=user, description="Groceries Albert").count() == 1
    creation = reviewed.processing_logs.get(processing_stage="transaction_creation").details
    assert creation["review"]["left_out_now_duplicate"] == [3]


def test_fixing_the_mapping_of_a_dutch_dc_csv_changes_the_signs_and_is_kept(user, account):
    rows = knab_rows(12)
    # A wrong profile saved for the account: it reads the amounts as signed, ignoring CreditDebet.
    save_account_profile(user, account, BankProfile(
        name="wrong", date="Transactiedatum", amount="Bedrag", description=("Omschrijving",),
        counterparty="Tegenrekeninghouder", currency="Valutacode",
    ))
    account.refresh_from_db()  # the profile was saved with an UPDATE
    uf = import_statement(user, knab_csv(rows), filename="knab.csv", account=account, review=True)
    assert uf.status == "awaiting_review", uf.error_message
    review = review_of(user, uf)
    assert review["mapping"]["sign_rule"] == "signed"
    assert [Decimal(r["amount"]) for r in review["rows"]] == [r.amount for r in rows]  # all positive: wrong

    fixed = {**review["mapping"], "sign_rule": "indicator", "indicator": "CreditDebet"}
    review = update_review(user, uf, mapping=fixed)
    assert [Decimal(r["amount"]) for r in review["rows"]] == [r.signed for r in rows]
    assert any(Decimal(r["amount"]) < 0 for r in review["rows"])
    assert review["mapping"]["sign_rule"] == "indicator"
    with pytest.raises(BankProfileError, match="does not fit"):
        update_review(user, uf, mapping={**fixed, "amount": "No such column"})
    assert review_of(user, uf)["mapping"]["sign_rule"] == "indicator"  # a refused mapping changes nothing

    done = commit_review(user, uf, keep_mapping_for_account=True)
    assert done.status == "completed", done.error_message
    created = Transaction.objects.filter(uploaded_file=uf)
    assert created.aggregate(total=Sum("amount"))["total"] == sum(r.signed for r in rows)
    assert account_profile(user, account).sign_rule == "indicator"

    # The next file into the account is read with the kept mapping, without asking.
    later = knab_rows(20)[12:]
    nxt = import_statement(user, knab_csv(later), filename="knab-2.csv", account=account.pk, review=True)
    assert [Decimal(r["amount"]) for r in review_of(user, nxt)["rows"]] == [r.signed for r in later]


def test_expired_reviews_fail_and_keep_their_logs(user, reviewed):
    assert expire_reviews() == 0  # fresh
    UploadedFile.objects.filter(pk=reviewed.pk).update(
        updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    )
    logs_before = reviewed.processing_logs.count()
    call_command("expense_ai_expire_reviews", "--days", "7", stdout=open("/dev/null", "w"))  # noqa: SIM115
    uf = UploadedFile.objects.get(pk=reviewed.pk)
    assert uf.status == "failed" and uf.error_stage == "review" and "expired" in uf.error_message
    assert uf.processing_logs.count() == logs_before + 2
    assert Transaction.objects.filter(uploaded_file=uf).count() == 0
    with pytest.raises(InvalidTransition):
        commit_review(user, uf)


def test_without_review_nothing_changes_and_the_command_reviews_on_request(user, account, tmp_path):
    uf = import_statement(user, csv_bytes(FIRST), filename="a.csv", account=account)
    assert uf.status == "completed" and len(uf.created_transactions) == 4
    with pytest.raises(ReviewError, match="not imported with a review"):
        review_of(user, uf)
    path = tmp_path / "b.csv"
    path.write_bytes(csv_bytes(SECOND))
    call_command("expense_ai_import", str(path), "--user", user.username, "--account", str(account.pk),
                 "--review", stdout=open("/dev/null", "w"))  # noqa: SIM115
    held = UploadedFile.objects.get(filename="b.csv")
    assert held.status == "awaiting_review"
    assert Transaction.objects.filter(uploaded_file=held).count() == 0


def test_the_users_preference_decides_before_the_site(user, django_user_model):
    from django.test import override_settings

    from django_expense_ai.models.swappable import preferences_for
    from django_expense_ai.statements.review import review_wanted

    with override_settings(EXPENSE_AI={"REVIEW_UPLOADS": True}):
        assert review_wanted(user) is True  # no preferences row: the site's default
        prefs = preferences_for(user)
        prefs.review_uploads = False
        prefs.save()
        assert review_wanted(user) is False
    with override_settings(EXPENSE_AI={"REVIEW_UPLOADS": False}):
        prefs.review_uploads = True
        prefs.save()
        assert review_wanted(user) is True
        prefs.review_uploads = None
        prefs.save()
        assert review_wanted(user) is False
