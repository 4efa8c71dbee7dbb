"""Percent allocations and template ranking: pure code, no database.

A template's ``category_allocations`` maps a stable category key (the keys of
:data:`django_expense_ai.ledger.categories.SYSTEM_CATEGORIES`, or a user's own
slug) to a display name and a percentage stored as a decimal string::

    {"housing": {"name": "Housing", "percentage": "30"}}

The spec's sample uses database ids ("1".."8") instead of keys. Ids differ
between sites, so :func:`clean_allocations` re-keys an all-digit key by its
``name`` (``"1": {"name": "Housing"}`` becomes ``"housing"``) and refuses an
all-digit key without a name.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..exceptions import BudgetError, MoneyError
from ..ledger.categories import SYSTEM_CATEGORIES
from ..ledger.splits.arithmetic import allocate_minor
from ..money import to_decimal

HUNDRED = Decimal(100)
#: Percentages are kept to hundredths of a percent.
PERCENT_PLACES = 2
#: Same shape as ``Category.key`` (a slug, at most 100 characters).
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
#: Distance from 100 that an AI answer may have before it is refused (then normalised).
AI_PERCENT_TOLERANCE = Decimal("0.01")


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def percent_str(value: Decimal) -> str:
    """A percentage as the decimal string stored in JSON (``Decimal('30.00')`` → ``"30"``)."""
    return _plain(value)


def slugify_key(name: str) -> str:
    """A category key from a display name: ``"Personal care"`` → ``"personal-care"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:100]


def to_percent(value: Any, where: str) -> Decimal:
    """A percentage as ``Decimal``; a JSON float is read through its shortest repr (``12.5``).

    :raises BudgetError: not a finite number, or negative.
    """
    if isinstance(value, float):
        # Admin JSON widgets produce floats for 12.5; repr() is the shortest exact text.
        value = repr(value)
    try:
        percent = to_decimal(value)
    except MoneyError as err:
        raise BudgetError(f"{where}: {value!r} is not a percentage.", code="invalid_percentage") from err
    if percent < 0:
        raise BudgetError(f"{where}: {_plain(percent)} is negative; percentages cannot be negative.",
                          code="negative_percentage")
    return percent


def check_total(percents: Iterable[Decimal], *, what: str = "Percentages") -> None:
    """Refuse percentages that do not add up to exactly 100.

    :raises BudgetError: the message says by how much the total is off.
    """
    total = sum(percents, Decimal(0))
    if total != HUNDRED:
        gap = HUNDRED - total
        where = f"{_plain(gap)} short of 100" if gap > 0 else f"{_plain(-gap)} over 100"
        raise BudgetError(f"{what} sum to {_plain(total)}, {where}.", code="percentages_not_100")


def check_key(key: Any) -> str:
    """A category key in the stable slug format.

    :raises BudgetError: not a lowercase slug (letters, digits, ``-``, ``_``), or longer than 100.
    """
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise BudgetError(
            f"Category key {key!r} is not a stable key: use a lowercase slug such as 'housing' "
            "(letters, digits, '-' or '_', at most 100 characters).",
            code="invalid_key",
        )
    return key


def clean_allocations(allocations: Any) -> dict[str, dict[str, str]]:
    """Validate and normalise a template's ``category_allocations``.

    :param allocations: ``{key: {"name": str, "percentage": str|int|Decimal}}``;
        a bare percentage (``{key: "30"}``) is accepted too, named after the
        system category of that key.
    :returns: ``{key: {"name": name, "percentage": "30"}}`` in the given order,
        percentages as decimal strings.
    :raises BudgetError: not a non-empty object, a key that is not a slug, a
        duplicate key after re-keying, a negative or non-numeric percentage,
        or a total other than exactly 100 (the message says by how much).
    """
    if not isinstance(allocations, Mapping) or not allocations:
        raise BudgetError("A template needs category allocations: {key: {'name': ..., 'percentage': ...}}.",
                          code="no_allocations")
    cleaned: dict[str, dict[str, str]] = {}
    percents = []
    for raw_key, entry in allocations.items():
        if isinstance(entry, Mapping):
            name = str(entry.get("name") or "").strip()
            raw_percent = entry.get("percentage")
        else:
            name, raw_percent = "", entry
        key = str(raw_key).strip()
        if key.isdigit():
            # A database id (the spec's sample): only meaningful on the site that wrote it.
            if not name:
                raise BudgetError(
                    f"Category key {key!r} looks like a database id and has no name; "
                    "use a stable key such as 'housing'.",
                    code="invalid_key",
                )
            key = slugify_key(name)
        check_key(key)
        if key in cleaned:
            raise BudgetError(f"Category key {key!r} appears twice.", code="duplicate_key")
        percent = to_percent(raw_percent, f"Allocation {key!r}")
        percents.append(percent)
        cleaned[key] = {
            "name": name or SYSTEM_CATEGORIES.get(key) or key.replace("-", " ").capitalize(),
            "percentage": percent_str(percent),
        }
    check_total(percents, what="Category percentages")
    return cleaned


def percentages_of(allocations: Mapping[str, Mapping[str, Any]]) -> dict[str, Decimal]:
    """``{key: Decimal percentage}`` of cleaned allocations."""
    return {key: to_decimal(entry["percentage"]) for key, entry in allocations.items()}


def check_suggestion(answer: Any, *, allowed: Iterable[str], tolerance: Decimal = Decimal(0)) -> dict[str, Decimal]:
    """Validate suggested percentages (a plugin's or an AI provider's answer).

    :param answer: ``{key: percentage}``.
    :param allowed: the category keys the user has.
    :param tolerance: accepted distance of the total from 100; the result is
        then rescaled to exactly 100 with :func:`largest_remainder_percents`.
    :returns: ``{key: Decimal}`` summing to exactly 100, keys with 0 dropped.
    :raises BudgetError: not a mapping, an unknown key, a negative or
        non-numeric value, or a total further than ``tolerance`` from 100.
    """
    if not isinstance(answer, Mapping) or not answer:
        raise BudgetError("The suggestion is not a non-empty {category: percentage} object.",
                          code="invalid_suggestion")
    known = set(allowed)
    percents: dict[str, Decimal] = {}
    for key, value in answer.items():
        if key not in known:
            raise BudgetError(f"The suggestion names an unknown category {key!r}.", code="unknown_category")
        percents[str(key)] = to_percent(value, f"Suggested percentage for {key!r}")
    total = sum(percents.values(), Decimal(0))
    if abs(total - HUNDRED) > tolerance:
        check_total(percents.values(), what="Suggested percentages")
    if total == 0:
        raise BudgetError("Suggested percentages are all zero.", code="percentages_not_100")
    if total != HUNDRED or any(p != p.quantize(Decimal(1).scaleb(-PERCENT_PLACES)) for p in percents.values()):
        percents = largest_remainder_percents(_weights(percents))
    return {key: p for key, p in percents.items() if p > 0}


def _weights(percents: Mapping[str, Decimal]) -> dict[str, int]:
    places = max(0, -min(int(p.as_tuple().exponent) for p in percents.values()))
    return {key: int(p.scaleb(places)) for key, p in percents.items()}


def largest_remainder_percents(weights: Mapping[str, int]) -> dict[str, Decimal]:
    """Turn non-negative integer weights into percentages that add up to exactly 100.

    Hundredths of a percent are shared with Hamilton's largest remainder
    method (:func:`~django_expense_ai.ledger.splits.allocate_minor`); equal
    remainders go to the earlier key.

    :returns: ``{key: Decimal}`` with at most two decimals, summing to 100.
    :raises BudgetError: no weights, or all of them zero.
    """
    if not weights or not any(weights.values()):
        raise BudgetError("Nothing to allocate: every weight is zero.", code="zero_weights")
    parts = allocate_minor(10 ** (2 + PERCENT_PLACES), list(weights.values()))
    return {key: Decimal(part).scaleb(-PERCENT_PLACES) for key, part in zip(weights, parts, strict=True)}


# -- ranking templates --------------------------------------------------------

#: Points for the parts of a template's fit (documented in docs/budgets.rst).
INCOME_IN_RANGE = Decimal(50)
INCOME_NEAR = Decimal(25)
INCOME_UNKNOWN = Decimal(10)
TAG_POINTS = Decimal(10)
MAX_TAG_POINTS = Decimal(30)
MAX_USAGE_POINTS = Decimal(10)


@dataclass(frozen=True)
class Fit:
    """How well one template fits: a score (higher is better) and the reasons, in words."""

    score: Decimal
    reasons: tuple[str, ...]


def score_template(
    *,
    income_range: Mapping[str, Any] | None,
    template_tags: Sequence[str],
    usage_count: int,
    income: Decimal,
    currency: str,
    tags: Iterable[str] = (),
) -> Fit:
    """Score one template for a yearly ``income`` in ``currency`` and wanted ``tags``.

    * income in the template's range, same currency: 50 points; outside it:
      up to 25, scaled by ``nearest bound / income`` (or its inverse); a range
      in another currency gets 0 (no conversion, so it ranks lower); no range: 10;
    * 10 points per shared tag, at most 30;
    * ``usage_count / 10`` points, at most 10 (popularity breaks ties).

    :returns: a :class:`Fit`.
    """
    score = Decimal(0)
    reasons: list[str] = []
    income_range = income_range or {}
    lo_raw, hi_raw = income_range.get("min"), income_range.get("max")
    range_currency = str(income_range.get("currency") or "").upper()
    try:
        lo = to_decimal(lo_raw) if lo_raw not in (None, "") else None
        hi = to_decimal(hi_raw) if hi_raw not in (None, "") else None
    except MoneyError:
        lo = hi = None
    if lo is None and hi is None:
        score += INCOME_UNKNOWN
        reasons.append("no income range")
    elif range_currency and range_currency != currency.upper():
        reasons.append(f"income range is in {range_currency}, not {currency.upper()} (not converted)")
    elif (lo is None or income >= lo) and (hi is None or income <= hi):
        score += INCOME_IN_RANGE
        reasons.append("income within range")
    else:
        bound = lo if lo is not None and income < lo else hi
        assert bound is not None
        small, large = sorted((abs(income), abs(bound)))
        closeness = small / large if large else Decimal(0)
        score += (INCOME_NEAR * closeness).quantize(Decimal("0.01"))
        reasons.append("income below range" if bound == lo and income < lo else "income above range")
    shared = sorted(set(template_tags) & {str(t) for t in tags})
    if shared:
        score += min(MAX_TAG_POINTS, TAG_POINTS * len(shared))
        reasons.append("tags: " + ", ".join(shared))
    usage = min(MAX_USAGE_POINTS, Decimal(max(0, int(usage_count))) / 10)
    if usage:
        score += usage
        reasons.append(f"used {int(usage_count)} times")
    return Fit(score=score, reasons=tuple(reasons))


# -- periods ------------------------------------------------------------------


def default_end_date(start: dt.date) -> dt.date:
    """The last day of a one-month budget starting on ``start``.

    The day before the same date next month (1 March → 31 March, 15 January →
    14 February); when next month has no such date, its last day (31 January
    → 28/29 February).
    """
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)
