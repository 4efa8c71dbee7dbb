"""The system budget templates the library ships, as plain data.

Loaded (upserted by name, ``is_system=True``) by
``manage.py expense_ai_load_templates`` and, for missing ones only, after
``migrate``. Allocation keys are the stable keys of
:data:`django_expense_ai.ledger.categories.SYSTEM_CATEGORIES`, never database ids;
percentages are decimal strings adding up to exactly 100. Income ranges are
**yearly** amounts in the range's currency.
"""

from __future__ import annotations

from typing import Any

from ..ledger.categories import SYSTEM_CATEGORIES


def _alloc(**percentages: str) -> dict[str, dict[str, str]]:
    return {
        key.replace("_", "-"): {"name": SYSTEM_CATEGORIES[key.replace("_", "-")], "percentage": value}
        for key, value in percentages.items()
    }


def _income(lo: str | None, hi: str | None, currency: str = "USD") -> dict[str, str]:
    span = {"currency": currency, "period": "year"}
    if lo is not None:
        span["min"] = lo
    if hi is not None:
        span["max"] = hi
    return span


SYSTEM_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        # The spec's sample, keyed by category key instead of the sample's ids "1".."8".
        "name": "Urban Professional (50-75k/year)",
        "description": "Budget template for urban professionals earning $50k-75k annually",
        "category_allocations": _alloc(
            housing="30", transportation="15", food="12", utilities="8",
            healthcare="10", savings="15", entertainment="5", other="5",
        ),
        "target_income_range": _income("50000", "75000"),
        "location_tags": ["urban", "mid_cost", "professional"],
    },
    {
        "name": "Balanced 50/30/20",
        "description": "Needs 50%, wants 30%, savings and debt 20%: the classic rule of thumb.",
        "category_allocations": _alloc(
            housing="25", utilities="5", groceries="10", transportation="6", insurance="4",
            dining="8", entertainment="7", shopping="8", subscriptions="3", travel="4",
            savings="15", debt="5",
        ),
        "target_income_range": {},
        "location_tags": ["any", "general"],
    },
    {
        "name": "Student on a Budget (under 25k/year)",
        "description": "Shared housing, cooking at home, books and a small cushion.",
        "category_allocations": _alloc(
            housing="35", groceries="18", transportation="10", education="12", utilities="5",
            entertainment="6", personal_care="4", savings="5", other="5",
        ),
        "target_income_range": _income(None, "25000"),
        "location_tags": ["student", "low_cost", "urban"],
    },
    {
        "name": "Young Professional (35-50k/year)",
        "description": "First full-time job: rent, commuting, paying down student debt.",
        "category_allocations": _alloc(
            housing="32", transportation="12", groceries="10", dining="6", utilities="6",
            healthcare="5", debt="10", savings="10", entertainment="5", other="4",
        ),
        "target_income_range": _income("35000", "50000"),
        "location_tags": ["urban", "mid_cost", "professional", "early_career"],
    },
    {
        "name": "High-Cost City Professional (75-150k/year)",
        "description": "Expensive rent in a big city, public transport, strong savings.",
        "category_allocations": _alloc(
            housing="35", transportation="6", groceries="9", dining="7", utilities="5",
            healthcare="6", insurance="3", entertainment="5", travel="4", savings="17", other="3",
        ),
        "target_income_range": _income("75000", "150000"),
        "location_tags": ["urban", "high_cost", "tech_professional", "professional"],
    },
    {
        "name": "Family with Children (60-120k/year)",
        "description": "Two adults and children: childcare, groceries and a family car.",
        "category_allocations": _alloc(
            housing="28", groceries="14", childcare="12", transportation="10", utilities="7",
            healthcare="7", insurance="5", education="4", entertainment="3", savings="8", other="2",
        ),
        "target_income_range": _income("60000", "120000"),
        "location_tags": ["suburban", "family", "mid_cost"],
    },
    {
        "name": "Single Parent (40-70k/year)",
        "description": "One income, childcare first, an emergency fund second.",
        "category_allocations": _alloc(
            housing="30", childcare="15", groceries="13", transportation="9", utilities="7",
            healthcare="6", insurance="4", education="3", savings="8", other="5",
        ),
        "target_income_range": _income("40000", "70000"),
        "location_tags": ["family", "single_parent", "mid_cost"],
    },
    {
        "name": "Rural Household (30-60k/year)",
        "description": "Lower rent, longer drives, more cooking at home.",
        "category_allocations": _alloc(
            housing="22", transportation="18", groceries="15", utilities="10", healthcare="8",
            insurance="6", entertainment="4", savings="12", other="5",
        ),
        "target_income_range": _income("30000", "60000"),
        "location_tags": ["rural", "low_cost", "family"],
    },
    {
        "name": "Debt Payoff Focus",
        "description": "Lean spending so a fifth of income goes to debt repayment.",
        "category_allocations": _alloc(
            housing="28", groceries="12", transportation="10", utilities="7", healthcare="5",
            insurance="4", debt="22", savings="5", entertainment="3", other="4",
        ),
        "target_income_range": _income("30000", "90000"),
        "location_tags": ["debt_payoff", "frugal"],
    },
    {
        "name": "Aggressive Saver (FIRE)",
        "description": "Financial independence: keep costs low and save at least 40%.",
        "category_allocations": _alloc(
            housing="22", groceries="9", transportation="5", utilities="5", healthcare="5",
            insurance="4", entertainment="3", savings="42", other="5",
        ),
        "target_income_range": _income("80000", None),
        "location_tags": ["fire", "frugal", "high_income"],
    },
    {
        "name": "Retiree on Fixed Income",
        "description": "Paid-off or small housing costs, higher healthcare, travel and family.",
        "category_allocations": _alloc(
            housing="20", healthcare="18", groceries="14", utilities="9", insurance="8",
            transportation="7", travel="8", family_support="5", charity="4", savings="3", other="4",
        ),
        "target_income_range": _income("20000", "70000"),
        "location_tags": ["retired", "fixed_income"],
    },
    {
        "name": "Freelancer with Irregular Income",
        "description": "A large buffer for lean months and money set aside for taxes and insurance.",
        "category_allocations": _alloc(
            housing="28", groceries="10", utilities="6", healthcare="8", insurance="6",
            transportation="6", subscriptions="4", savings="25", entertainment="3", other="4",
        ),
        "target_income_range": _income("30000", "120000"),
        "location_tags": ["freelancer", "irregular_income", "self_employed"],
    },
    {
        "name": "Metro Professional India (6-15 lakh/year)",
        "description": "Rent in a metro, support for parents, and a monthly SIP.",
        "category_allocations": _alloc(
            housing="28", groceries="12", transportation="8", utilities="6", healthcare="5",
            family_support="12", dining="5", entertainment="4", savings="16", other="4",
        ),
        "target_income_range": _income("600000", "1500000", "INR"),
        "location_tags": ["urban", "india", "metro", "professional", "family_support"],
    },
    {
        "name": "Eurozone City Couple (40-80k/year)",
        "description": "Two people sharing rent in a European city, transit pass, holidays.",
        "category_allocations": _alloc(
            housing="33", groceries="13", transportation="6", utilities="8", insurance="5",
            dining="6", travel="7", entertainment="5", savings="14", other="3",
        ),
        "target_income_range": _income("40000", "80000", "EUR"),
        "location_tags": ["urban", "europe", "couple", "mid_cost"],
    },
)
