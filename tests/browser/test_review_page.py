"""The review in a real Chromium: an overlapping statement's rows are flagged, one possible duplicate is
unticked, a Dutch D/C CSV's mapping is fixed and its amounts change sign, commit creates exactly the
chosen rows; with the keyboard, and checked with axe-core."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from django_expense_ai.models import Account, Transaction, UploadedFile
from django_expense_ai.statements import import_statement
from django_expense_ai.statements.account_profiles import save_account_profile
from django_expense_ai.statements.formats.profiles import BankProfile

from ..test_review import FIRST, SECOND, csv_bytes
from ..test_statement_readers import knab_csv, knab_rows
from .conftest import ARTIFACTS, describe

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "pw", first_name="Alice")


def test_overlapping_statement_is_reviewed_and_only_the_chosen_rows_land(open_session, alice):
    account = Account.objects.create(user=alice, name="Current", currency="EUR")
    import_statement(alice, csv_bytes(FIRST), filename="first.csv", account=account)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "second.csv"
    path.write_bytes(csv_bytes(SECOND))

    s = open_session(alice)
    page = s.page
    s.goto(reverse("expense_ai:statement_upload"))
    assert page.locator("input[name=review]").is_checked()  # the default for the pages
    page.locator("input[name=file]").set_input_files(str(path))
    page.select_option("select[name=account]", str(account.pk))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url(re.compile(r"/statements/\d+/$"))
    uploaded = UploadedFile.objects.get(filename="second.csv")
    assert uploaded.status == "awaiting_review"

    table = page.locator("table", has=page.locator("input[name=include]"))
    assert table.locator("tbody tr").count() == 5
    rent = table.locator("tr[data-verdict=duplicate_fingerprint]")
    assert rent.count() == 1 and not rent.locator("input[name=include]").is_checked()
    possible = table.locator("tr[data-verdict=possible_duplicate]")
    assert possible.count() == 2
    coffee = table.locator("tr", has_text="Coffee Corner Amsterdm")
    coffee.get_by_text("Resembles").click()
    assert "Coffee Corner Amsterdam" in coffee.inner_text()  # the existing transaction, on expand
    violations = s.axe("review")
    assert not violations, describe(violations)

    # Untick the coffee with the keyboard: focus its box, Space.
    coffee.locator("input[name=include]").focus()
    page.keyboard.press("Space")
    assert not coffee.locator("input[name=include]").is_checked()
    page.get_by_role("button", name="Import the ticked rows").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "3 transaction(s) created" in page.content()
    assert sorted(Transaction.objects.filter(uploaded_file=uploaded).values_list("description", flat=True)) == [
        "Bakery Jansen BV", "Cinema Pathe", "Groceries Albert",
    ]
    assert Transaction.objects.filter(user=alice).count() == 7
    assert not s.errors, s.errors


def test_fix_the_mapping_of_a_dutch_dc_csv_and_watch_the_signs_change(open_session, alice):
    account = Account.objects.create(user=alice, name="Knab", currency="EUR")
    save_account_profile(alice, account, BankProfile(
        name="wrong", date="Transactiedatum", amount="Bedrag", description=("Omschrijving",),
        counterparty="Tegenrekeninghouder", currency="Valutacode",
    ))
    rows = knab_rows(6)
    uploaded = import_statement(alice, knab_csv(rows), filename="knab.csv", account=account.pk, review=True)
    s = open_session(alice)
    page = s.page
    s.goto(reverse("expense_ai:statement_detail", args=[uploaded.pk]))

    def shown_amounts() -> list[Decimal]:
        cells = page.locator("td[data-amount]")
        return [Decimal(cells.nth(i).get_attribute("data-amount")) for i in range(cells.count())]

    assert shown_amounts() == [r.amount for r in rows]  # every amount positive: read wrong
    page.get_by_text("Column mapping (CSV)").click()
    page.select_option("select[name=map-sign_rule]", "indicator")
    page.fill("input[name=map-indicator]", "CreditDebet")
    with page.expect_navigation():
        page.get_by_role("button", name="Read the rows again").click()
    assert shown_amounts() == [r.signed for r in rows]
    assert any(amount < 0 for amount in shown_amounts())

    page.locator("input[name=keep_mapping]").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Import the ticked rows").click()
    assert "6 transaction(s) created" in page.content()
    created = Transaction.objects.filter(uploaded_file=uploaded).order_by("date", "pk")
    assert [t.amount for t in created] == [r.signed for r in rows]
    account.refresh_from_db()
    assert account.bank_profile["sign_rule"] == "indicator"
    assert not s.errors, s.errors
