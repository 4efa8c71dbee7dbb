"""The system budget heuristic: allocate income by what the user really spends.

Pure code: it takes spending totals already summed per category key (the
service layer queries them) and returns percentages. The formula, also in
``docs/budgets.rst``:

1. ``spend[c]`` is the regular spending of category ``c`` over the last
   ``months`` full calendar months (money out positive, refunds in the same
   category subtracted; a category whose net is not positive is left out).
2. ``average[c] = spend[c] / months`` and ``S = sum(average)``.
3. When ``S < income`` the remainder ``income - S`` is savings (added to the
   ``savings`` key), so each category gets ``average[c] / income``;
   otherwise spending is scaled down to the income: ``average[c] / S``.
4. The shares become hundredths of a percent with the largest remainder
   method, so they add up to exactly 100.

All arithmetic is in integer minor units (``average`` and ``income`` are
compared after multiplying by ``months``, so nothing is divided early).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ..exceptions import BudgetError
from ..money import from_minor, quantize, to_minor
from .allocations import largest_remainder_percents

#: Months of history the heuristic looks at.
HISTORY_MONTHS = 3
SAVINGS_KEY = "savings"


@dataclass(frozen=True)
class HeuristicAllocation:
    """The heuristic's answer.

    :param percentages: ``{key: Decimal}`` adding up to exactly 100.
    :param average_monthly_spend: ``{key: Decimal}`` in the currency's minor units.
    :param savings: the monthly remainder put into ``savings`` (0 when spending
        reaches the income).
    :param scaled_down: True when spending exceeded the income and was scaled to it.
    """

    percentages: dict[str, Decimal]
    average_monthly_spend: dict[str, Decimal] = field(default_factory=dict)
    savings: Decimal = Decimal(0)
    scaled_down: bool = False


def history_window(today: dt.date, months: int = HISTORY_MONTHS) -> tuple[dt.date, dt.date]:
    """The ``months`` full calendar months before ``today``'s month.

    :returns: ``(first day, first day of today's month)``, a half-open range;
        the current month is left out because it is not over yet.
    """
    end = today.replace(day=1)
    year, month = end.year, end.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1), end


def allocate_by_spending(
    spend: Mapping[str, Decimal],
    *,
    monthly_income: Decimal,
    currency: str,
    months: int = HISTORY_MONTHS,
) -> HeuristicAllocation:
    """Percentages of ``monthly_income`` following ``spend`` (see the module docstring).

    :param spend: ``{key: total spending over the window}``, money out positive.
    :param monthly_income: positive, in ``currency``.
    :returns: a :class:`HeuristicAllocation`.
    :raises BudgetError: nothing was spent (no category with positive spending),
        or ``months``/``monthly_income`` is not positive.
    """
    if months <= 0:
        raise BudgetError("The heuristic needs at least one month of history.")
    if monthly_income <= 0:
        raise BudgetError(f"Monthly income must be positive, not {monthly_income}.", code="invalid_income")
    # Minor units over the whole window: average[c] * months, exact integers.
    totals = {key: to_minor(quantize(value, currency), currency) for key, value in spend.items()}
    totals = {key: units for key, units in totals.items() if units > 0}
    if not totals:
        raise BudgetError("No regular spending in the history window to base a budget on.",
                          code="no_history")
    income_window = to_minor(monthly_income, currency) * months
    spent_window = sum(totals.values())
    weights = dict(totals)
    savings_units = 0
    if spent_window < income_window:
        savings_units = income_window - spent_window
        weights[SAVINGS_KEY] = weights.get(SAVINGS_KEY, 0) + savings_units
    averages = {key: quantize(from_minor(units, currency) / months, currency) for key, units in totals.items()}
    return HeuristicAllocation(
        percentages=largest_remainder_percents(weights),
        average_monthly_spend=averages,
        savings=quantize(from_minor(savings_units, currency) / months, currency),
        scaled_down=spent_window > income_window,
    )
