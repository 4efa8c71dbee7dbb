"""The admin as a host sees it: money in minor units, income as income, the admin's own
bar and buttons on custom pages, keys shown once, no test provider on offer, a working
"View site", a read-only chat log, readable labels, and a quiet import command off a terminal."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import StringIO

import django
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from django_expense_ai.admin import view_site_url
from django_expense_ai.admin.statements import score_in_words
from django_expense_ai.management.commands.expense_ai_import import progress_mode
from django_expense_ai.models import (
    Budget,
    ChatMessage,
    StatementMerge,
    Transaction,
    TransactionSplit,
    UploadedFile,
)
from django_expense_ai.models.swappable import get_ai_settings_model
from django_expense_ai.money import format_money
from django_expense_ai.providers.registry import provider_choices
from django_expense_ai.statements import import_statement

pytestmark = pytest.mark.django_db

CSV = b"Date,Description,Amount\n2024-03-01,Coffee,-3.50\n2024-03-02,Salary,2500.00\n"


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    client.admin = admin
    return client


def text_of(response) -> str:
    # Amounts are written with a no-break space before the code (one unit in a narrow column).
    return response.content.decode().replace("\u00a0", " ")


# -- money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("-1450.0000", "USD", "-1,450.00 USD"),
        ("30.0000", "USD", "30.00 USD"),
        ("1234567.5", "JPY", "1,234,568 JPY"),  # no minor unit; half-even
        ("12.3456", "BHD", "12.346 BHD"),  # three places
        ("-0.0040", "USD", "0.00 USD"),  # never "-0.00"
        ("5", "XQQ", "5.00 XQQ"),  # unknown code: two places, shown as given
    ],
)
def test_format_money_uses_the_currency_minor_units(amount, currency, expected):
    assert format_money(Decimal(amount), currency) == expected


def test_format_money_refuses_a_float():
    from django_expense_ai.exceptions import MoneyError

    with pytest.raises(MoneyError):
        format_money(1.5, "USD")


def test_admin_amounts_follow_the_active_locale():
    from django.utils import translation

    from django_expense_ai.admin.base import money_display

    assert money_display(Decimal("-1450.0000"), "USD") == "-1,450.00\u00a0USD"
    with translation.override("de"):
        assert money_display(Decimal("-1450.0000"), "EUR") == "-1.450,00\u00a0EUR"
    assert money_display(None, "USD") == "-"


def test_transaction_list_shows_minor_units_and_income_as_income(admin_client):
    owner = admin_client.admin
    Transaction.objects.create(user=owner, date=dt.date(2026, 1, 1), amount=Decimal("-1450.0000"),
                               currency="USD", description="Rent January")
    Transaction.objects.create(user=owner, date=dt.date(2026, 1, 25), amount=Decimal("3200.0000"),
                               currency="USD", description="ACME SALARY")
    page = text_of(admin_client.get(reverse("admin:expense_ai_transaction_changelist")))
    assert "-1,450.00 USD" in page and "3,200.00 USD" in page
    assert "1450.0000" not in page and "3200.0000" not in page
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*ACME SALARY(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    assert "Income" in row and "Regular Monthly Expense" not in row
    rent = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Rent January(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    assert "Regular Monthly Expense" in rent


def test_split_amounts_show_two_places_in_lists_labels_and_inputs(admin_client, django_user_model):
    owner = admin_client.admin
    friend = django_user_model.objects.create_user("friend", "f@example.com", "pw")
    tx = Transaction.objects.create(user=owner, date=dt.date(2026, 1, 3), amount=Decimal("-60.0000"),
                                    currency="USD", description="Dinner")
    split = TransactionSplit.objects.create(transaction=tx, participant=friend, amount=Decimal("30.0000"),
                                            split_method="percentage", split_value=Decimal("50.0000"))
    listing = text_of(admin_client.get(reverse("admin:expense_ai_transactionsplit_changelist")))
    assert "30.00 USD" in listing and "30.0000" not in listing
    assert re.search(r'<td class="field-split_value_display">50</td>', listing) and "50.0000" not in listing
    assert str(split).endswith(": 30.00") and "-60.00 USD" in str(tx)
    form = text_of(admin_client.get(reverse("admin:expense_ai_transaction_change", args=[tx.pk])))
    assert 'value="-60.00"' in form and 'value="30.00"' in form
    assert "60.0000" not in form and "30.0000" not in form


def test_a_saved_amount_keeps_the_places_it_uses(admin_client):
    owner = admin_client.admin
    tx = Transaction.objects.create(user=owner, date=dt.date(2026, 1, 3), amount=Decimal("-12.3456"),
                                    currency="USD", description="Fuel")
    form = text_of(admin_client.get(reverse("admin:expense_ai_transaction_change", args=[tx.pk])))
    assert 'value="-12.3456"' in form  # nothing is rounded away in an input


def test_budget_list_shows_minor_units(admin_client):
    Budget.objects.create(user=admin_client.admin, name="Food", amount=Decimal("400.0000"), currency="JPY",
                          start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 1, 31))
    page = text_of(admin_client.get(reverse("admin:expense_ai_budget_changelist")))
    assert "400 JPY" in page and "400.0000" not in page


# -- custom admin pages look like admin pages -----------------------------------------------


def breadcrumb_bar(page: str) -> str:
    if django.VERSION >= (6, 0):
        match = re.search(r'<ol class="breadcrumbs">(.*?)</ol>', page, re.S)
    else:
        match = re.search(r'<div class="breadcrumbs">(.*?)</div>', page, re.S)
    assert match, "the admin's breadcrumb bar is missing"
    return match.group(1)


def test_upload_page_has_the_admin_bar_and_styled_form(admin_client):
    page = text_of(admin_client.get(reverse("admin:expense_ai_uploadedfile_upload")))
    bar = breadcrumb_bar(page)
    assert reverse("admin:index") in bar and reverse("admin:expense_ai_uploadedfile_changelist") in bar
    assert "Upload a statement" in bar
    assert "admin/css/forms.css" in page  # the admin's form styles, as on every change form
    assert 'class="submit-row"' in page and 'class="default"' in page


def test_compare_page_has_the_admin_bar(admin_client):
    uploaded = import_statement(admin_client.admin, CSV, filename="march.csv")
    page = text_of(admin_client.get(reverse("admin:expense_ai_uploadedfile_compare", args=[uploaded.pk])))
    bar = breadcrumb_bar(page)
    assert reverse("admin:expense_ai_uploadedfile_change", args=[uploaded.pk]) in bar
    assert "Raw text and parsed rows" in bar
    # The scrollable text boxes can be reached with the keyboard.
    assert page.count('<pre tabindex="0"') == 2


def test_reupload_says_which_file_it_duplicates(admin_client):
    url = reverse("admin:expense_ai_uploadedfile_upload")
    admin_client.post(url, {"file": SimpleUploadedFile("march.csv", CSV)})
    response = admin_client.post(url, {"file": SimpleUploadedFile("march-copy.csv", CSV)}, follow=True)
    first = UploadedFile.objects.get(filename="march.csv")
    text = text_of(response)
    assert f"The file march-copy.csv is a duplicate of march.csv (file #{first.pk}" in text
    assert "Nothing was imported again" in text
    assert "0 created" not in text and Transaction.objects.count() == 2


def test_a_first_upload_reports_rows_read_and_created(admin_client):
    response = admin_client.post(reverse("admin:expense_ai_uploadedfile_upload"),
                                 {"file": SimpleUploadedFile("march.csv", CSV)}, follow=True)
    assert "Imported march.csv: 2 row(s) read, 2 transaction(s) created." in text_of(response)


def reworded_pair(user):
    base = "Date,Description,Amount\n" + "".join(
        f"2024-03-{day:02d},Shop {day},-{day}.50\n" for day in range(1, 21)
    )
    reworded = base.replace("Shop 3,", "SHOP THREE LTD,").replace("Shop 4,", "Shop four,")
    first = import_statement(user, base.encode(), filename="march.csv")
    second = import_statement(user, reworded.encode(), filename="march-again.csv")
    return first, second


def test_merge_review_explains_the_score_in_words_that_match_it(admin_client):
    reworded_pair(admin_client.admin)
    merge = StatementMerge.objects.get()
    page = text_of(admin_client.get(reverse("admin:expense_ai_statementmerge_review", args=[merge.pk])))
    bar = breadcrumb_bar(page)
    assert "Compare and decide" in bar
    assert "score now" not in page
    assert re.search(r"Rows: 20 of the 20 rows of the shorter statement have a twin", page)
    assert "Period: 2024-03-01 to 2024-03-20 against 2024-03-01 to 2024-03-20" in page
    assert 'class="button default"' in page  # the admin's button style
    assert "-1.50 USD" in page and "1.5000" not in page


def test_score_in_words_for_identical_bytes_says_nothing_was_compared():
    explained = {"score": "100", "identical_bytes": True, "parts": {"rows": {"value": "0", "weight": "0.70"}}}
    words = " ".join(score_in_words(explained, primary="a.pdf", duplicate="b.pdf"))
    assert "same file, byte for byte" in words and "no rows were compared" in words
    assert "0 of the" not in words


def test_score_in_words_adds_up_the_parts():
    explained = {
        "score": "86.50", "identical_bytes": False,
        "parts": {
            "rows": {"value": "0.85", "weight": "0.70", "rows_primary": 20, "rows_duplicate": 20,
                     "by_tier": {"exact": 17}},
            "period": {"value": "1", "weight": "0.15", "primary": ["2024-03-01", "2024-03-31"],
                       "duplicate": ["2024-03-01", "2024-03-31"]},
            "totals": {"value": "0.80", "weight": "0.15", "gross_primary": "100", "gross_duplicate": "80"},
        },
    }
    words = score_in_words(explained, primary="a.csv", duplicate="b.csv")
    assert words[0] == "Score 86.50 of 100, made of three parts:"
    assert "17 of the 20 rows" in words[1] and "(17 exact)" in words[1] and "59.5 points" in words[1]
    assert "15.0 points" in words[2] and "12.0 points" in words[3]
    # The parts add up to the score the sentence opens with.
    points = [Decimal(re.search(r"([\d.]+) points", w).group(1)) for w in words[1:]]
    assert sum(points) == Decimal(explained["score"])


# -- AI settings --------------------------------------------------------------------------


def test_ai_settings_form_shows_each_key_once_with_its_state(admin_client):
    model = get_ai_settings_model()
    row = model.objects.create(user=admin_client.admin)
    row.set_api_key("openai", "sk-test-not-real-123456")
    row.save()
    page = text_of(admin_client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                                            args=[row.pk])))
    assert page.count(">OpenAI key:<") == 1 and "Openai key" not in page
    assert page.count(">Claude (Anthropic) key:<") == 1 and page.count(">Gemini (Google) key:<") == 1
    assert "OpenAI key set" not in page  # the list's column is not repeated on the form
    assert page.count('type="password"') == 3 and "sk-test-not-real" not in page
    assert "a key is set (hidden)" in page and page.count('placeholder="not set"') == 2
    assert ">OpenAI model:<" in page and "Openai model" not in page
    assert "not given: nothing is sent to an AI provider" in page and "Ai opt in at" not in page


def test_fake_provider_is_not_offered_unless_a_setting_says_so(admin_client):
    assert "fake" not in dict(provider_choices())
    model = get_ai_settings_model()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    page = text_of(admin_client.get(url))
    assert 'value="fake"' not in page and "Fake (tests only" not in page
    with override_settings(EXPENSE_AI={"OFFER_TEST_PROVIDERS": True}):
        assert "fake" in dict(provider_choices())
        assert 'value="fake"' in text_of(admin_client.get(url))


def test_fake_provider_stays_usable_from_code(user):
    row = get_ai_settings_model().objects.create(user=user)
    row.active_parser_provider = "fake"
    row.save()  # tests (the library's and a host's) still pick it by name
    row.refresh_from_db()
    assert row.active_parser_provider == "fake"


# -- view site ----------------------------------------------------------------------------


def test_view_site_never_leads_to_a_404(admin_client):
    page = admin_client.get(reverse("admin:index"))
    site_url = page.context["site_url"]
    if site_url:
        assert admin_client.get(site_url).status_code != 404
    else:
        assert "View site" not in text_of(page)


def test_view_site_is_the_home_page_when_the_host_has_one(admin_client):
    with override_settings(ROOT_URLCONF="tests.urls_with_home"):
        assert view_site_url() == "/"
        page = admin_client.get(reverse("admin:index"))
        assert page.context["site_url"] == "/"


# -- chat messages ------------------------------------------------------------------------


def test_chat_messages_are_not_added_or_edited_in_the_admin(admin_client):
    msg = ChatMessage.objects.create(user=admin_client.admin, conversation_id="main", content="$5 coffee")
    assert admin_client.get(reverse("admin:expense_ai_chatmessage_add")).status_code == 403
    listing = text_of(admin_client.get(reverse("admin:expense_ai_chatmessage_changelist")))
    assert reverse("admin:expense_ai_chatmessage_add") not in listing
    assert "read-only log" in listing
    change = text_of(admin_client.get(reverse("admin:expense_ai_chatmessage_change", args=[msg.pk])))
    assert 'name="metadata"' not in change and 'name="_save"' not in change
    response = admin_client.post(reverse("admin:expense_ai_chatmessage_change", args=[msg.pk]),
                                 {"content": "changed", "conversation_id": "main"})
    assert response.status_code == 403
    msg.refresh_from_db()
    assert msg.content == "$5 coffee"


def test_chat_message_label_has_no_microseconds(user):
    msg = ChatMessage.objects.create(user=user, conversation_id="main", content="hi")
    label = str(msg)
    assert label.startswith("alice@example.com - main - ")
    assert re.search(r" - \d{4}-\d{2}-\d{2} \d{2}:\d{2}$", label), label


# -- the import command off a terminal ----------------------------------------------------


class TTY(StringIO):
    def isatty(self) -> bool:
        return True


def import_with(tmp_path, *options, stderr):
    path = tmp_path / "march.csv"
    path.write_bytes(CSV)
    out = StringIO()
    call_command("expense_ai_import", str(path), "--user", "alice", *options, stdout=out, stderr=stderr)
    return out.getvalue(), stderr.getvalue()


def test_no_progress_bar_junk_when_stderr_is_not_a_terminal(user, tmp_path):
    out, err = import_with(tmp_path, stderr=StringIO())
    assert "\r" not in out + err and err == ""
    assert "march.csv" in out  # the summary still says what happened


def test_verbose_off_a_terminal_gives_one_plain_line_per_stage(user, tmp_path):
    _, err = import_with(tmp_path, "-v", "2", stderr=StringIO())
    assert "\r" not in err and "#" not in err
    lines = err.splitlines()
    assert lines[0] == "[1/1] march.csv starting"
    assert "[1/1] march.csv completion: success" in lines


def test_quiet_means_no_progress_even_on_a_terminal(user, tmp_path):
    _, err = import_with(tmp_path, "-v", "0", stderr=TTY())
    assert err == ""


def test_a_terminal_gets_the_bar(user, tmp_path):
    _, err = import_with(tmp_path, stderr=TTY())
    assert "\r[1/1] [" in err and "#" in err and "completion: success" in err


@pytest.mark.parametrize(
    ("tty", "verbosity", "mode"),
    [(True, 1, "bar"), (True, 0, "off"), (False, 1, "off"), (False, 2, "lines"), (False, 3, "lines")],
)
def test_progress_mode(tty, verbosity, mode):
    stream = TTY() if tty else StringIO()
    assert progress_mode(stream, verbosity) == mode
