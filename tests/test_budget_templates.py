"""Budget templates: shipped data, validation, loading (twice), ranking, user templates."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_expense_ai.budgets import (
    clean_allocations,
    create_template,
    load_system_templates,
    template_suggestions,
)
from django_expense_ai.budgets.allocations import check_suggestion, largest_remainder_percents, score_template
from django_expense_ai.budgets.templates_data import SYSTEM_TEMPLATES
from django_expense_ai.exceptions import BudgetError, UnknownCurrency
from django_expense_ai.ledger.categories import SYSTEM_CATEGORIES
from django_expense_ai.models import BudgetTemplate

URBAN = "Urban Professional (50-75k/year)"


# -- shipped data (no database) -------------------------------------------------


def test_between_10_and_20_system_templates_with_unique_names() -> None:
    names = [t["name"] for t in SYSTEM_TEMPLATES]
    assert 10 <= len(names) <= 20
    assert len(set(names)) == len(names)
    assert URBAN in names
    assert all(len(n) <= 100 for n in names)  # they fit Budget.template_source


@pytest.mark.parametrize("data", SYSTEM_TEMPLATES, ids=lambda t: t["name"])
def test_each_system_template_is_valid(data) -> None:
    cleaned = clean_allocations(data["category_allocations"])
    assert sum(Decimal(e["percentage"]) for e in cleaned.values()) == 100
    assert set(cleaned) <= set(SYSTEM_CATEGORIES)
    assert all(isinstance(e["percentage"], str) for e in cleaned.values())  # decimal strings, never floats
    span = data["target_income_range"]
    if span:
        assert span["currency"] and span["period"] == "year"
        if "min" in span and "max" in span:
            assert Decimal(span["min"]) < Decimal(span["max"])
    assert data["location_tags"] and all(isinstance(t, str) for t in data["location_tags"])


def test_spec_sample_is_shipped_with_keys_instead_of_ids() -> None:
    urban = next(t for t in SYSTEM_TEMPLATES if t["name"] == URBAN)
    assert {k: v["percentage"] for k, v in urban["category_allocations"].items()} == {
        "housing": "30", "transportation": "15", "food": "12", "utilities": "8",
        "healthcare": "10", "savings": "15", "entertainment": "5", "other": "5",
    }
    assert urban["target_income_range"] == {"min": "50000", "max": "75000", "currency": "USD", "period": "year"}
    assert urban["location_tags"] == ["urban", "mid_cost", "professional"]


# -- validation -------------------------------------------------------------------


def test_clean_allocations_normalises() -> None:
    cleaned = clean_allocations({"housing": {"percentage": 30}, "food": "12.50", "my-hobby": {"name": "Hobby",
                                                                                           "percentage": "57.5"}})
    assert cleaned == {
        "housing": {"name": "Housing", "percentage": "30"},
        "food": {"name": "Food", "percentage": "12.5"},
        "my-hobby": {"name": "Hobby", "percentage": "57.5"},
    }


def test_spec_style_ids_are_rekeyed_by_name() -> None:
    spec_sample = {
        "1": {"name": "Housing", "percentage": 30}, "2": {"name": "Transportation", "percentage": 15},
        "3": {"name": "Food", "percentage": 12}, "4": {"name": "Utilities", "percentage": 8},
        "5": {"name": "Healthcare", "percentage": 10}, "6": {"name": "Savings", "percentage": 15},
        "7": {"name": "Entertainment", "percentage": 5}, "8": {"name": "Other", "percentage": 5},
    }
    cleaned = clean_allocations(spec_sample)
    assert list(cleaned) == ["housing", "transportation", "food", "utilities", "healthcare", "savings",
                             "entertainment", "other"]
    assert clean_allocations({"9": {"name": "Personal care", "percentage": "100"}}) == {
        "personal-care": {"name": "Personal care", "percentage": "100"}
    }


def test_json_floats_are_read_through_their_shortest_text() -> None:
    assert clean_allocations({"food": 12.5, "housing": 87.5})["food"]["percentage"] == "12.5"


@pytest.mark.parametrize(
    ("allocations", "needle"),
    [
        ({"housing": "30", "food": "60"}, "sum to 90, 10 short of 100"),
        ({"housing": "30", "food": "70.5"}, "sum to 100.5, 0.5 over 100"),
        ({"housing": "-10", "food": "110"}, "-10 is negative"),
        ({"Housing": "100"}, "not a stable key"),
        ({"house hold": "100"}, "not a stable key"),
        ({"7": {"percentage": "100"}}, "looks like a database id"),
        ({"housing": "abc"}, "is not a percentage"),
        ({"1": {"name": "Food", "percentage": "50"}, "food": "50"}, "appears twice"),
        ({}, "needs category allocations"),
        ([["housing", "100"]], "needs category allocations"),
    ],
)
def test_clean_allocations_refuses(allocations, needle) -> None:
    with pytest.raises(BudgetError) as info:
        clean_allocations(allocations)
    assert needle in str(info.value)


def test_check_suggestion_rules() -> None:
    allowed = ["housing", "food", "savings"]
    assert check_suggestion({"housing": "60", "food": "40", "savings": 0}, allowed=allowed) == {
        "housing": Decimal("60"), "food": Decimal("40")
    }
    with pytest.raises(BudgetError, match="unknown category 'yachts'"):
        check_suggestion({"housing": "50", "yachts": "50"}, allowed=allowed)
    with pytest.raises(BudgetError, match="10 short of 100"):
        check_suggestion({"housing": "90"}, allowed=allowed)
    # within the AI tolerance: rescaled to exactly 100 in hundredths
    fixed = check_suggestion({"housing": "33.33", "food": "33.33", "savings": "33.33"}, allowed=allowed,
                             tolerance=Decimal("0.01"))
    assert sum(fixed.values()) == 100 and fixed["housing"] == Decimal("33.34")
    with pytest.raises(BudgetError, match="short of 100"):
        check_suggestion({"housing": "33.33", "food": "33.33", "savings": "33.33"}, allowed=allowed)


def test_largest_remainder_percents_sum_to_exactly_100() -> None:
    assert largest_remainder_percents({"a": 1, "b": 1, "c": 1}) == {
        "a": Decimal("33.34"), "b": Decimal("33.33"), "c": Decimal("33.33")
    }
    with pytest.raises(BudgetError):
        largest_remainder_percents({"a": 0})


def test_pure_modules_do_not_import_the_orm() -> None:
    src = Path(__file__).resolve().parents[1] / "src"
    code = (
        "import sys; import django_expense_ai.budgets, django_expense_ai.budgets.heuristic, "
        "django_expense_ai.budgets.templates_data, django_expense_ai.budgets.allocations; "
        "bad = [m for m in sys.modules if m.startswith(('django.db', 'django_expense_ai.models'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# -- ranking (pure) ---------------------------------------------------------------


def test_score_prefers_income_in_range_then_near_then_other_currency() -> None:
    span = {"min": "50000", "max": "75000", "currency": "USD"}
    inside = score_template(income_range=span, template_tags=[], usage_count=0, income=Decimal(60000), currency="USD")
    near = score_template(income_range=span, template_tags=[], usage_count=0, income=Decimal(80000), currency="USD")
    far = score_template(income_range=span, template_tags=[], usage_count=0, income=Decimal(300000), currency="USD")
    other = score_template(income_range={**span, "currency": "EUR"}, template_tags=[], usage_count=0,
                           income=Decimal(60000), currency="USD")
    assert inside.score == 50 and inside.reasons == ("income within range",)
    assert 0 < far.score < near.score < inside.score
    assert near.score == Decimal("23.44")  # 25 * 75000 / 80000
    assert other.score == 0 and "not converted" in other.reasons[0]


def test_score_tags_and_usage() -> None:
    fit = score_template(income_range={}, template_tags=["urban", "family", "x", "y"], usage_count=250,
                         income=Decimal(1), currency="USD", tags=["urban", "family", "x", "y", "z"])
    # 10 (no range) + 30 (four tags, capped) + 10 (usage, capped)
    assert fit.score == 50
    assert "tags: family, urban, x, y" in fit.reasons


# -- database -------------------------------------------------------------------


@pytest.mark.django_db
def test_post_migrate_loaded_the_system_templates() -> None:
    names = set(BudgetTemplate.objects.filter(is_system=True).values_list("name", flat=True))
    assert names == {t["name"] for t in SYSTEM_TEMPLATES}
    urban = BudgetTemplate.objects.get(name=URBAN, is_system=True)
    assert urban.created_by is None and urban.category_allocations["housing"] == {"name": "Housing",
                                                                                    "percentage": "30"}


@pytest.mark.django_db
def test_load_command_is_safe_to_run_twice_and_restores_shipped_data() -> None:
    BudgetTemplate.objects.filter(is_system=True).delete()
    out = StringIO()
    call_command("expense_ai_load_templates", stdout=out)
    assert f"{len(SYSTEM_TEMPLATES)} created, 0 updated" in out.getvalue()
    call_command("expense_ai_load_templates", stdout=(out := StringIO()))
    assert "0 created, 0 updated" in out.getvalue()
    assert BudgetTemplate.objects.filter(is_system=True).count() == len(SYSTEM_TEMPLATES)

    urban = BudgetTemplate.objects.get(name=URBAN)
    urban.category_allocations = {"housing": {"name": "Housing", "percentage": "100"}}
    urban.usage_count = 7
    urban.is_active = False
    urban.save()
    assert load_system_templates(update=False) == (0, 0)  # what post_migrate does: keeps the edit
    urban.refresh_from_db()
    assert urban.category_allocations["housing"]["percentage"] == "100"
    call_command("expense_ai_load_templates", stdout=(out := StringIO()))
    assert "0 created, 1 updated" in out.getvalue()
    urban.refresh_from_db()
    assert urban.category_allocations["housing"]["percentage"] == "30"
    assert (urban.usage_count, urban.is_active) == (7, False)  # never touched


@pytest.mark.django_db
def test_loading_is_one_query_when_nothing_is_missing() -> None:
    with CaptureQueriesContext(connection) as ctx:
        assert load_system_templates(update=False) == (0, 0)
        assert load_system_templates() == (0, 0)
    assert len(ctx.captured_queries) == 2  # one SELECT each, no transaction


@pytest.mark.django_db
def test_user_templates_do_not_clash_with_system_ones(user) -> None:
    mine = create_template(user, name=URBAN, category_allocations={"housing": "40", "food": "60"},
                           target_income_range={"min": Decimal("1000"), "currency": "USD"}, location_tags=["x"])
    assert (mine.is_system, mine.created_by) == (False, user)
    assert mine.target_income_range == {"min": "1000", "currency": "USD"}  # decimal strings in JSON
    assert load_system_templates() == (0, 0)
    assert BudgetTemplate.objects.filter(name=URBAN).count() == 2
    with pytest.raises(BudgetError, match="5 short of 100"):
        create_template(user, name="Bad", category_allocations={"housing": "95"})
    assert not BudgetTemplate.objects.filter(name="Bad").exists()


@pytest.mark.django_db
def test_template_suggestions_rank_by_income_tags_usage_and_currency(user, other_user) -> None:
    ranked = template_suggestions(Decimal("60000"), "USD", tags=["urban", "professional"])
    assert ranked[0].template.name == URBAN
    template, score, reasons = ranked[0]
    assert score == Decimal(70) and reasons == ("income within range", "tags: professional, urban")
    assert all(s.template.is_system for s in ranked)
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    # The EUR template fits the number but not the currency: below every USD one that fits it.
    names = [s.template.name for s in ranked]
    assert names.index("Eurozone City Couple (40-80k/year)") > names.index("Single Parent (40-70k/year)")

    # monthly income is the same as twelve times it, yearly
    assert [s.template.pk for s in template_suggestions(5000, "USD", period="month")] == [
        s.template.pk for s in template_suggestions(60000, "USD")
    ]
    # usage breaks ties between otherwise equal templates
    BudgetTemplate.objects.filter(name="Single Parent (40-70k/year)").update(usage_count=100)
    top = template_suggestions(Decimal("60000"), "USD")
    assert top[0].template.name == "Single Parent (40-70k/year)"
    assert "used 100 times" in top[0].reasons


@pytest.mark.django_db
def test_template_suggestions_include_own_inactive_excluded(user, other_user) -> None:
    mine = create_template(user, name="Mine", category_allocations={"housing": "100"})
    theirs = create_template(other_user, name="Theirs", category_allocations={"housing": "100"})
    BudgetTemplate.objects.filter(name=URBAN).update(is_active=False)
    pks = {s.template.pk for s in template_suggestions(60000, "USD", user=user)}
    assert mine.pk in pks and theirs.pk not in pks
    assert not BudgetTemplate.objects.filter(pk__in=pks, name=URBAN).exists()
    assert len(template_suggestions(60000, "USD", limit=3)) == 3
    with pytest.raises(UnknownCurrency):
        template_suggestions(60000, "XXY")
    with pytest.raises(BudgetError):
        template_suggestions(-1, "USD")
