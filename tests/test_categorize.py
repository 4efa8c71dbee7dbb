"""Categories from the user's own history: normaliser, payee memory, classifier,
the service (ownership, deleted categories, edits), import and chat wiring,
the hook, the accuracy report (command and admin view).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from django_expense_ai import hookimpl
from django_expense_ai.categorize import (
    CategorySuggestion,
    accuracy_report,
    suggest_categories,
    suggest_category,
    train,
)
from django_expense_ai.categorize import classifier as text_classifier
from django_expense_ai.categorize.core import NEW_PAYEE_TRUST, Categorizer, HistoryRow
from django_expense_ai.categorize.memory import PayeeMemory
from django_expense_ai.categorize.normalize import amount_band, normalize_description, payee_key
from django_expense_ai.exceptions import ConfigurationError
from django_expense_ai.models import Category, StatementProcessingLog, Transaction
from django_expense_ai.models.swappable import ai_settings_for, get_user_preferences_model
from django_expense_ai.providers.base import ChatEntry
from django_expense_ai.providers.fake import FakeProvider
from django_expense_ai.statements import import_statement

from . import categorize_data as data

needs_sklearn = pytest.mark.skipif(not text_classifier.available(), reason="scikit-learn (the [learn] extra) is not installed")


# -- pure: the normaliser ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "payee"),
    [
        ("SQ *BLUE BOTTLE 0423 OAKLAND CA", "BLUE BOTTLE"),
        ("POS 04/23 SQ*BLUE BOTTLE #0423", "BLUE BOTTLE"),
        ("TST* DUKES SEAFOOD SEATTLE WA", "DUKES SEAFOOD"),
        ("PAYPAL *NETFLIX 4029357733 CA", "NETFLIX"),
        ("CVS/PHARMACY #01234 SAN FRANCISCO CA", "CVS PHARMACY"),
        ("PURCHASE AUTHORIZED ON 03/12 SAFEWAY #1234 SAN JOSE CA S123456789 CARD 1234", "SAFEWAY"),
        ("STARBUCKS STORE 12345 NEW YORK NY", "STARBUCKS"),
        ("Salary ACME Corp", "SALARY ACME CORP"),
        ("CHECKCARD 0611 PEETS COFFEE 2024-06-11 10:42", "PEETS COFFEE"),
    ],
)
def test_normalize_removes_what_changes_and_keeps_the_payee(description, payee):
    assert normalize_description(description) == payee


def test_normalize_keeps_words_when_everything_looks_like_noise():
    assert normalize_description("POS") == "POS"
    assert normalize_description("") == ""
    assert normalize_description("   ") == ""


def test_payee_key_is_the_first_three_words():
    assert payee_key("SQ *BLUE BOTTLE COFFEE ROASTERS 0423 OAKLAND CA") == "BLUE BOTTLE COFFEE"


def test_amount_bands_come_from_decimals_never_floats():
    assert amount_band(Decimal("-4.50")) == "out0"
    assert amount_band(Decimal("-45.00")) == "out3"
    assert amount_band(Decimal("2500")) == "in6"
    assert amount_band("-12000.00") == "out7"
    assert amount_band(None) == ""
    with pytest.raises(TypeError):
        amount_band(4.5)


# -- pure: the payee memory -------------------------------------------------------------


def test_memory_counts_and_breaks_ties_by_the_latest_choice():
    memory = PayeeMemory.learn([("BLUE BOTTLE", 1), ("BLUE BOTTLE", 1), ("BLUE BOTTLE", 2), ("SAFEWAY", 3)])
    evidence = memory.recall("BLUE BOTTLE")
    assert (evidence.category, evidence.count, evidence.total) == (1, 2, 3)
    assert memory.recall("NOBODY") is None
    tied = PayeeMemory.learn([("X SHOP", 1), ("X SHOP", 2)])
    assert tied.recall("X SHOP").category == 2  # the user's latest choice wins a tie
    # Three agreeing transactions reach the default bar (0.8); one is a hint.
    assert PayeeMemory.learn([("A SHOP", 1)] * 3).recall("A SHOP").confidence == pytest.approx(0.8)
    assert PayeeMemory.learn([("A SHOP", 1)]).recall("A SHOP").confidence < 0.6


def test_memory_matches_a_description_the_bank_cut_off():
    memory = PayeeMemory.learn([("NORDSTROM RACK", 5)] * 4)
    assert memory.recall("NORDSTR") is None
    assert memory.recall_cut("NORDSTR").category == 5
    assert memory.recall_cut("NORDSTROM RACK SOMEWHERE") is None  # a longer name is another payee
    split = PayeeMemory.learn([("COASTAL MUTUAL", 1)] * 2 + [("COASTAL STREAMING", 2)] * 2)
    assert split.recall_cut("COASTAL").confidence < 0.5
    assert memory.recall_cut("NORD") is None  # too short to name one payee


def test_memory_round_trips_through_json_as_plain_data():
    memory = PayeeMemory.learn([("BLUE BOTTLE", 1), ("BLUE BOTTLE", 2), ("BLUE BOTTLE", 2)])
    again = PayeeMemory.from_data(json.loads(json.dumps(memory.to_data())))
    assert again.recall("BLUE BOTTLE") == memory.recall("BLUE BOTTLE")


# -- pure: both layers on a realistic history (fixed seed: a failable accuracy check) ----


def _rows(rows):
    return [HistoryRow(r.description, r.amount, r.category) for r in rows]


def _accuracy(categorizer, rows):
    guesses = categorizer.suggest_many([(r.description, r.amount, None) for r in rows])
    return sum(1 for g, r in zip(guesses, rows, strict=True) if g and g.category == r.category) / len(rows), guesses


@pytest.fixture(scope="module")
def realistic():
    train_rows, test_rows = data.split_known(data.history(2000))
    unseen = data.history(400, seed=8, pool=data.merchants()[1])
    return train_rows, test_rows, unseen


def test_memory_alone_knows_known_merchants_and_never_guesses_new_ones(realistic):
    train_rows, test_rows, unseen = realistic
    categorizer = Categorizer.train(_rows(train_rows), use_classifier=False)
    accuracy, _ = _accuracy(categorizer, test_rows)
    assert accuracy >= 0.9
    _, guesses = _accuracy(categorizer, unseen)
    assert sum(g is not None for g in guesses) < len(unseen) * 0.1  # payee collisions only


@needs_sklearn
def test_with_the_classifier_known_merchants_are_right_and_new_ones_beat_the_baseline(realistic):
    train_rows, test_rows, unseen = realistic
    categorizer = Categorizer.train(_rows(train_rows))
    assert categorizer.classifier is not None
    accuracy, _ = _accuracy(categorizer, test_rows)
    assert accuracy >= 0.95
    unseen_accuracy, guesses = _accuracy(categorizer, unseen)
    commonest = max({r.category for r in train_rows}, key=[r.category for r in train_rows].count)
    baseline = sum(r.category == commonest for r in unseen) / len(unseen)
    assert unseen_accuracy >= baseline + 0.2
    # A payee the user never categorised is never presented as sure.
    classifier_guesses = [g for g in guesses if g is not None and g.source == "classifier"]
    assert classifier_guesses and max(g.confidence for g in classifier_guesses) <= NEW_PAYEE_TRUST


def test_the_pure_layers_never_import_the_orm():
    code = (
        "import sys; from decimal import Decimal; "
        "from django_expense_ai.categorize.core import Categorizer, HistoryRow; "
        "c = Categorizer.train([HistoryRow('SQ *BLUE BOTTLE', Decimal('-4'), 1)] * 3, use_classifier=False); "
        "assert c.suggest('SQ *BLUE BOTTLE 9', Decimal('-4')).category == 1; "
        "bad = [m for m in sys.modules if m.startswith(('django.db', 'django_expense_ai.models'))]; "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": "src"}, cwd=root)


def test_without_scikit_learn_the_memory_answers_alone(monkeypatch, realistic):
    # What an install without the [learn] extra sees: available() is False.
    monkeypatch.setattr(text_classifier, "available", lambda: False)
    train_rows, test_rows, _unseen = realistic
    categorizer = Categorizer.train(_rows(train_rows), use_classifier=True)
    assert categorizer.classifier is None
    assert _accuracy(categorizer, test_rows)[0] >= 0.9


def test_an_empty_history_answers_nothing():
    categorizer = Categorizer.train([])
    assert categorizer.suggest("SQ *BLUE BOTTLE", Decimal("-4")) is None


# -- the service ------------------------------------------------------------------------


@pytest.fixture
def coffee(user):
    return Category.objects.create(user=user, key="coffee", name="Coffee")


@pytest.fixture
def groceries(user):
    return Category.objects.create(user=user, key="groceries-own", name="Groceries")


def _history(user, category, description, n, *, amount="-4.50", start=dt.date(2026, 1, 1)):
    return [
        Transaction.objects.create(
            user=user, date=start + dt.timedelta(days=i), amount=Decimal(amount), currency="USD",
            description=f"{description} {1000 + i}", category=category,
        )
        for i in range(n)
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_user_without_history_gets_none(user):
    assert suggest_category(user, "SQ *BLUE BOTTLE 0423 OAKLAND CA", Decimal("-4.50")) is None
    assert suggest_categories(user, [("A", Decimal("-1")), ("B", Decimal("2"))]) == [None, None]
    assert train(user) == {"transactions": 0, "payees": 0, "classifier": False}


@pytest.mark.django_db
def test_three_coffees_make_a_sure_suggestion_with_its_reason(user, coffee, groceries):
    _history(user, coffee, "SQ *BLUE BOTTLE OAKLAND CA", 3)
    _history(user, groceries, "SAFEWAY #1234 SAN JOSE CA", 2, amount="-60.00")
    suggestion = suggest_category(user, "SQ *BLUE BOTTLE 0423 OAKLAND CA", Decimal("-5.00"))
    assert isinstance(suggestion, CategorySuggestion)
    assert suggestion.category == coffee and suggestion.source == "payee"
    assert suggestion.confidence == pytest.approx(0.8)
    assert suggestion.reason == "3 of your 3 transactions at BLUE BOTTLE are Coffee"
    assert suggestion.to_data()["category_id"] == coffee.pk
    json.dumps(suggestion.to_data())  # plain data


@pytest.mark.django_db
def test_the_merchant_names_the_payee_when_given(user, coffee, groceries):
    _history(user, coffee, "SQ *BLUE BOTTLE OAKLAND CA", 3)
    _history(user, groceries, "SAFEWAY", 3)
    suggestion = suggest_category(user, "card purchase 0423", Decimal("-5"), merchant="Blue Bottle", currency="USD")
    assert suggestion.category == coffee


@pytest.mark.django_db
def test_float_amounts_are_refused(user, coffee):
    _history(user, coffee, "SQ *BLUE BOTTLE", 3)
    with pytest.raises(TypeError):
        suggest_category(user, "SQ *BLUE BOTTLE", -4.5)


@pytest.mark.django_db
def test_one_users_history_never_answers_for_another(user, other_user, coffee, groceries):
    _history(user, coffee, "SQ *BLUE BOTTLE OAKLAND CA", 5)
    _history(user, groceries, "SAFEWAY", 5, amount="-50")
    assert suggest_category(other_user, "SQ *BLUE BOTTLE 0423 OAKLAND CA", Decimal("-5")) is None
    bobs = Category.objects.create(user=other_user, key="treats", name="Treats")
    _history(other_user, bobs, "SQ *BLUE BOTTLE", 3)
    assert suggest_category(other_user, "SQ *BLUE BOTTLE 0423", Decimal("-5")).category == bobs
    assert suggest_category(user, "SQ *BLUE BOTTLE 0423", Decimal("-5")).category == coffee


@pytest.mark.django_db
@pytest.mark.parametrize("use_classifier", [False, pytest.param(True, marks=needs_sklearn)])
def test_a_deleted_category_is_never_suggested(user, coffee, groceries, use_classifier, settings):
    settings.EXPENSE_AI = {"CATEGORIZE_CLASSIFIER": use_classifier}
    _history(user, coffee, "SQ *BLUE BOTTLE OAKLAND CA", 4)
    _history(user, groceries, "SAFEWAY", 4, amount="-50")
    assert suggest_category(user, "SQ *BLUE BOTTLE", Decimal("-5")).category == coffee  # trained and kept
    coffee.delete()
    suggestion = suggest_category(user, "SQ *BLUE BOTTLE", Decimal("-5"))
    assert suggestion is None or suggestion.category == groceries
    assert all(
        s is None or s.category.pk != coffee.pk
        for s in suggest_categories(user, [("SQ *BLUE BOTTLE 1", Decimal("-4")), ("BLUE BOT", Decimal("-3"))])
    )


@pytest.mark.django_db
def test_an_edit_counts_the_next_time(user, coffee, groceries):
    rows = _history(user, coffee, "SQ *CORNER STORE", 2)
    assert suggest_category(user, "SQ *CORNER STORE 9", Decimal("-5")).category == coffee
    for tx in rows:  # the user re-files them (page, API, admin: save())
        tx.category = groceries
        tx.save()
    assert suggest_category(user, "SQ *CORNER STORE 9", Decimal("-5")).category == groceries
    # A bulk update that bypasses save() is seen too (the category ids changed).
    Transaction.objects.filter(user=user).update(category=coffee)
    assert suggest_category(user, "SQ *CORNER STORE 9", Decimal("-5")).category == coffee


@pytest.mark.django_db
@needs_sklearn
def test_the_setting_turns_the_classifier_off(user, coffee, groceries, settings):
    _history(user, coffee, "SQ *BLUE BOTTLE COFFEE", 6)
    _history(user, groceries, "SAFEWAY MARKET", 6, amount="-60")
    new_payee = ("SQ *RITUAL COFFEE 0101 SF", Decimal("-4.75"))
    with_classifier = suggest_category(user, *new_payee)
    assert with_classifier is not None and with_classifier.source == "classifier"
    assert with_classifier.category == coffee and with_classifier.confidence < 0.8
    assert "not categorised RITUAL COFFEE SF before" in with_classifier.reason
    settings.EXPENSE_AI = {"CATEGORIZE_CLASSIFIER": False}
    assert suggest_category(user, *new_payee) is None
    assert train(user)["classifier"] is False


# -- import ------------------------------------------------------------------------------


def _csv(rows):
    return ("Date,Description,Amount\n" + "".join(f"{d},{desc},{amt}\n" for d, desc, amt in rows)).encode()


def _creation_log(uf):
    return StatementProcessingLog.objects.get(uploaded_file=uf, processing_stage="transaction_creation")


@pytest.mark.django_db
def test_an_import_applies_sure_categories_and_keeps_the_rest_as_suggestions(user, coffee, groceries):
    _history(user, coffee, "SQ *BLUE BOTTLE OAKLAND CA", 4)
    _history(user, groceries, "SAFEWAY #1 SAN JOSE CA", 1, amount="-70")
    uf = import_statement(user, _csv([
        ("2026-03-01", "SQ *BLUE BOTTLE 0611 OAKLAND CA", "-4.75"),
        ("2026-03-02", "SAFEWAY #2211 SAN JOSE CA", "-81.20"),
        ("2026-03-03", "TOTALLY NEW PLACE", "-9.00"),
    ]), filename="march.csv")  # fmt: skip
    assert uf.status == "completed"
    created = {tx.description: tx for tx in Transaction.objects.filter(uploaded_file=uf)}
    assert created["SQ *BLUE BOTTLE 0611 OAKLAND CA"].category == coffee  # 4 of 4: applied
    assert created["SAFEWAY #2211 SAN JOSE CA"].category is None  # 1 of 1: only a suggestion
    details = _creation_log(uf).details
    assert details["categories"]["applied"] == 1
    suggested = {s["transaction_id"]: s for s in details["categories"]["suggested"]}
    safeway = suggested[created["SAFEWAY #2211 SAN JOSE CA"].pk]
    assert safeway["category_id"] == groceries.pk and safeway["reason"].startswith("1 of your 1")


@pytest.mark.django_db
def test_an_import_without_history_stays_uncategorised(user):
    uf = import_statement(user, _csv([("2026-03-01", "SQ *BLUE BOTTLE", "-4.75")]), filename="m.csv")
    assert list(Transaction.objects.filter(uploaded_file=uf).values_list("category", flat=True)) == [None]
    assert "categories" not in _creation_log(uf).details


@pytest.mark.django_db
def test_a_host_plugin_answers_first_and_a_broken_one_stops_nothing(user, coffee, groceries, register_plugin):
    _history(user, coffee, "SQ *BLUE BOTTLE", 4)

    class HostRules:
        @hookimpl
        def categorize_transactions(self, user_id, transactions):
            return [
                CategorySuggestion(groceries, 1.0, "host rule", "host") if "BLUE" in tx.description else None
                for tx in transactions
            ]

    register_plugin(HostRules())
    uf = import_statement(user, _csv([("2026-03-01", "SQ *BLUE BOTTLE 9", "-4.75")]), filename="a.csv")
    assert Transaction.objects.get(uploaded_file=uf).category == groceries

    class Broken:
        @hookimpl
        def categorize_transactions(self, transactions):
            raise RuntimeError("boom")

    register_plugin(Broken())
    uf = import_statement(user, _csv([("2026-03-05", "SQ *BLUE BOTTLE 7", "-4.75")]), filename="b.csv")
    assert uf.status == "completed"
    assert Transaction.objects.get(uploaded_file=uf).category is None


@pytest.mark.django_db
def test_a_plugin_cannot_file_into_another_users_category(user, other_user, register_plugin):
    bobs = Category.objects.create(user=other_user, key="bobs", name="Bobs")

    class Meddler:
        @hookimpl
        def categorize_transactions(self, transactions):
            return [CategorySuggestion(bobs, 1.0, "mine now", "meddler") for _ in transactions]

    class Junk:
        @hookimpl
        def categorize_transactions(self, transactions):
            return ["groceries" for _ in transactions]

    register_plugin(Meddler())
    register_plugin(Junk())
    uf = import_statement(user, _csv([("2026-03-01", "ANYTHING", "-4.75")]), filename="a.csv")
    assert uf.status == "completed"
    assert Transaction.objects.get(uploaded_file=uf).category is None


@pytest.mark.django_db
def test_a_bad_threshold_is_a_configuration_error(user, coffee, settings):
    _history(user, coffee, "SQ *BLUE BOTTLE", 3)
    settings.EXPENSE_AI = {"AUTO_CATEGORY_CONFIDENCE": 1.5}
    from django_expense_ai.categorize import categorize_new_transactions

    with pytest.raises(ConfigurationError, match="AUTO_CATEGORY_CONFIDENCE"):
        categorize_new_transactions(user.pk, [Transaction(user=user, description="x", amount=Decimal("-1"))])


# -- chat --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_chat_files_a_known_payee_and_the_users_hashtag_wins(user, coffee, groceries):
    from django_expense_ai.chat import submit_message

    _history(user, coffee, "blue bottle", 3)
    result = submit_message(user, "blue bottle 4.50")
    assert result.transaction.category == coffee
    meta = result.message.metadata["category_suggestion"]
    assert meta["applied"] is True and meta["category_id"] == coffee.pk
    assert "I filed it under Coffee" in result.reply.content
    typed = submit_message(user, "blue bottle 4.50 #groceries-own")
    assert typed.transaction.category == groceries
    assert "category_suggestion" not in typed.message.metadata


@pytest.mark.django_db
def test_chat_below_the_bar_leaves_a_suggestion(user, coffee):
    from django_expense_ai.chat import submit_message

    _history(user, coffee, "blue bottle", 1)
    result = submit_message(user, "blue bottle 4.50")
    assert result.transaction.category is None
    meta = result.message.metadata["category_suggestion"]
    assert meta["applied"] is False and meta["category"] == "Coffee"
    assert "Is it Coffee?" in result.reply.content


@pytest.fixture
def ai_mode(user):
    FakeProvider.reset()
    get_user_preferences_model().objects.update_or_create(user=user, defaults={"quick_add_mode": "ai"})
    row = ai_settings_for(user)
    row.active_parser_provider = "fake"
    row.save()
    yield FakeProvider
    FakeProvider.reset()


def _entry(category):
    return ChatEntry(amount=Decimal("4.50"), currency="USD", description="blue bottle", category=category,
                     date=timezone.localdate(), confidence=0.95)  # fmt: skip


@pytest.mark.django_db
def test_history_beats_the_ai_guess_and_the_ai_fills_what_history_cannot(user, coffee, groceries, ai_mode):
    from django_expense_ai.chat import submit_message

    _history(user, coffee, "blue bottle", 3)
    ai_mode.queue(_entry("groceries-own"))
    assert submit_message(user, "blue bottle 4.50").transaction.category == coffee
    Transaction.objects.filter(user=user).delete()
    ai_mode.queue(_entry("groceries-own"))
    assert submit_message(user, "blue bottle 4.50").transaction.category == groceries


# -- the report: service, command, admin --------------------------------------------------


@pytest.mark.django_db
def test_accuracy_report_checks_the_last_edits(user, coffee, groceries):
    _history(user, coffee, "SQ *BLUE BOTTLE", 6)
    _history(user, groceries, "SAFEWAY", 6, amount="-60")
    wrong = Transaction.objects.filter(user=user, category=groceries).latest("pk")
    wrong.category = coffee  # a one-off: the user filed one Safeway trip under Coffee
    wrong.save()
    report = accuracy_report(user, last=3)
    assert report["evaluated"] == 3 and report["trained_on"] == 9
    assert report["correct"] == 2 and report["accuracy"] == pytest.approx(0.6667, abs=1e-4)
    assert report["misses"][0]["id"] == wrong.pk and report["misses"][0]["chosen"] == "Coffee"
    assert accuracy_report(user, last=100)["trained_on"] == 0
    with pytest.raises(ValueError):
        accuracy_report(user, last=0)


@pytest.mark.django_db
def test_the_command_prints_the_report(user, coffee, groceries):
    _history(user, coffee, "SQ *BLUE BOTTLE", 5)
    _history(user, groceries, "SAFEWAY", 5, amount="-60")
    out = StringIO()
    call_command("expense_ai_categorize_report", "--user", "alice", "--last", "4", stdout=out)
    assert "4 of the last 4 categorised transactions suggested right (100.0%)" in out.getvalue()
    out = StringIO()
    call_command("expense_ai_categorize_report", "--user", str(user.pk), "--json", stdout=out)
    assert json.loads(out.getvalue())["evaluated"] == 10


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_user():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user"):
        call_command("expense_ai_categorize_report", "--user", "nobody")


@pytest.mark.django_db
def test_the_admin_view_shows_the_acting_users_own_accuracy(client, user, other_user, coffee, groceries):
    _history(user, coffee, "SQ *BLUE BOTTLE", 5)
    _history(user, groceries, "SAFEWAY", 5, amount="-60")
    bobs = Category.objects.create(user=other_user, key="secret", name="Bobs secret category")
    _history(other_user, bobs, "BOBS SECRET SHOP", 4)
    user.is_superuser = user.is_staff = True
    user.save()
    client.force_login(user)
    page = client.get(reverse("admin:expense_ai_transaction_categorize_accuracy") + "?last=4")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<td id="ea-correct">4 / 4</td>' in text
    assert "BOBS SECRET" not in text and "Bobs secret" not in text
    other_user.is_staff = True
    other_user.save()
    client.force_login(other_user)
    assert client.get(reverse("admin:expense_ai_transaction_categorize_accuracy")).status_code == 403
