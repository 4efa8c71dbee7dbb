"""How alike two statements are: a pure, explainable 0–100 score.

No database here: rows come in as :class:`.types.StatementRow` values (usually
from ``UploadedFile.parsed_json`` via :func:`statement_from_parsed_json`) and a
:class:`Comparison` comes out, with every matched and unmatched row and each
part of the score, ready to be stored in ``StatementMerge.details``.

Rows are paired **count-aware** (as multisets: two identical bus fares pair
with at most two rows on the other side), in three tiers, each over what the
tiers before it left:

1. ``exact``: the same date, amount and normalised description (weight 1);
2. ``bank_id``: the same date, amount and bank id (weight 1). An id alone
   proves nothing: banks re-issue transactions under new ids and reuse ids for
   other transactions, so it only counts where date and amount agree too;
3. ``same_day``: the same date and amount, a different description (weight
   ``0.5 + 0.5 × description similarity``); the most similar partner wins.

The score::

    rows    = matched weight / min(rows in A, rows in B)   # containment: a part-period
                                                           # re-download is a duplicate
    period  = days both periods cover / days either covers # Jaccard of the date ranges
    totals  = min(GA, GB) / max(GA, GB), G = sum of |amount| # gross turnover (1 when both 0)
    score   = 100 × (0.70 × rows + 0.15 × period + 0.15 × totals)

Identical bytes (the same sha256) score 100 whatever the rows say.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..money import ledger_amount, money_str
from .dedup import description_similarity, normalise_description
from .types import StatementRow

__all__ = [
    "FORMULA",
    "PERIOD_WEIGHT",
    "ROWS_WEIGHT",
    "TOTALS_WEIGHT",
    "Comparison",
    "Pair",
    "RowMatching",
    "Statement",
    "compare_statements",
    "match_statement_rows",
    "statement_from_parsed_json",
]

ROWS_WEIGHT = Decimal("0.70")
PERIOD_WEIGHT = Decimal("0.15")
TOTALS_WEIGHT = Decimal("0.15")
#: Stored with every explanation so a reader knows how the number was made.
FORMULA = (
    "100 × (0.70 × rows + 0.15 × period + 0.15 × totals); rows = matched weight / min(row counts), "
    "period = Jaccard of the date ranges, totals = min/max of the gross turnovers; identical bytes = 100"
)
_HUNDRED = Decimal(100)
_RATIO_PLACES = Decimal("0.0001")  # the parts of the score and the pair weights


def _row_json(row: StatementRow) -> dict[str, str]:
    """The parts of ``row`` the comparison uses, as JSON-safe values (decimal strings, ISO dates)."""
    return {"date": row.date.isoformat(), "amount": money_str(row.amount),
            "description": row.description[:200], "bank_id": row.bank_id}


@dataclass(frozen=True)
class Statement:
    """The parts of a statement the score uses (of each row: date, amount, description and bank id)."""

    rows: tuple[StatementRow, ...]
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    sha256: str = ""

    def period(self) -> tuple[dt.date, dt.date] | None:
        """``(start, end)``: the stated period, else the rows' first and last dates; None without either."""
        dates = [r.date for r in self.rows]
        start = self.period_start or (min(dates) if dates else None)
        end = self.period_end or (max(dates) if dates else None)
        if start is None or end is None:
            return None
        return (start, end) if start <= end else (end, start)

    def gross(self) -> Decimal:
        """Sum of the absolute amounts (turnover)."""
        return sum((abs(r.amount) for r in self.rows), Decimal(0))


@dataclass(frozen=True)
class Pair:
    """Row ``a`` of the first side is the same transaction as row ``b`` of the second."""

    a: int
    b: int
    tier: str  # "exact", "bank_id" or "same_day"
    weight: Decimal


@dataclass(frozen=True)
class RowMatching:
    """Which rows paired, and which stayed alone on each side."""

    pairs: tuple[Pair, ...]
    only_a: tuple[int, ...]
    only_b: tuple[int, ...]

    @property
    def matched_weight(self) -> Decimal:
        return sum((p.weight for p in self.pairs), Decimal(0))


def match_statement_rows(a: Sequence[StatementRow], b: Sequence[StatementRow]) -> RowMatching:
    """Pair rows of ``a`` with rows of ``b`` (count-aware; tiers in the module docstring).

    Linear in the number of rows apart from the ``same_day`` tier, which only
    compares rows left over with the same date and amount.

    :returns: a :class:`RowMatching` (pairs in ``a`` order).
    :raises: nothing.
    """
    free_b: set[int] = set(range(len(b)))
    paired: dict[int, Pair] = {}

    def index(key_of: Callable[[Any], Any]) -> dict[Any, list[int]]:
        buckets: dict[Any, list[int]] = defaultdict(list)
        for j in range(len(b)):
            key = key_of(b[j])
            if j in free_b and key is not None:
                buckets[key].append(j)
        return buckets

    def exact_key(r: StatementRow) -> tuple:
        return (r.date, ledger_amount(r.amount), normalise_description(r.description))

    def bank_key(r: StatementRow) -> tuple | None:
        return (r.date, ledger_amount(r.amount), r.bank_id) if r.bank_id else None

    for tier, key_of in (("exact", exact_key), ("bank_id", bank_key)):
        buckets = index(key_of)
        for i, row in enumerate(a):
            if i in paired:
                continue
            key = key_of(row)
            candidates = buckets.get(key) if key is not None else None
            while candidates:
                j = candidates.pop(0)
                if j in free_b:
                    free_b.discard(j)
                    paired[i] = Pair(a=i, b=j, tier=tier, weight=Decimal(1))
                    break

    buckets = index(lambda r: (r.date, ledger_amount(r.amount)))
    for i, row in enumerate(a):
        if i in paired:
            continue
        best: tuple[float, int] | None = None
        for j in buckets.get((row.date, ledger_amount(row.amount)), ()):
            if j not in free_b:
                continue
            similarity = description_similarity(row.description, b[j].description)
            if best is None or similarity > best[0]:
                best = (similarity, j)
        if best is not None:
            free_b.discard(best[1])
            weight = (Decimal("0.5") + Decimal("0.5") * Decimal(str(best[0]))).quantize(_RATIO_PLACES)
            paired[i] = Pair(a=i, b=best[1], tier="same_day", weight=weight)

    return RowMatching(
        pairs=tuple(paired[i] for i in sorted(paired)),
        only_a=tuple(i for i in range(len(a)) if i not in paired),
        only_b=tuple(sorted(free_b)),
    )


@dataclass(frozen=True)
class Comparison:
    """The score of one statement against another, and why."""

    score: Decimal  # 0..100, two places
    rows: Decimal  # each part 0..1
    period: Decimal
    totals: Decimal
    identical_bytes: bool
    matching: RowMatching
    counts: tuple[int, int] = (0, 0)
    extra: dict[str, Any] = field(default_factory=dict)

    def explain(self, a: Statement, b: Statement, *, a_label: str = "a", b_label: str = "b") -> dict[str, Any]:
        """A JSON-safe explanation: each part of the score, every matched and unmatched row.

        :param a_label: the name of side ``a`` in the output (e.g. ``"primary"``).
        :returns: a dict with ``score``, ``formula``, ``parts``, ``matched``,
            ``only_in_<a_label>`` and ``only_in_<b_label>``; money as decimal strings.
        """
        pa, pb = a.period(), b.period()
        return {
            "score": str(self.score),
            "formula": FORMULA,
            "identical_bytes": self.identical_bytes,
            "parts": {
                "rows": {"value": str(self.rows), "weight": str(ROWS_WEIGHT),
                         "matched_weight": str(self.matching.matched_weight),
                         f"rows_{a_label}": self.counts[0], f"rows_{b_label}": self.counts[1],
                         "by_tier": _by_tier(self.matching)},
                "period": {"value": str(self.period), "weight": str(PERIOD_WEIGHT),
                           a_label: [d.isoformat() for d in pa] if pa else None,
                           b_label: [d.isoformat() for d in pb] if pb else None},
                "totals": {"value": str(self.totals), "weight": str(TOTALS_WEIGHT),
                           f"gross_{a_label}": money_str(a.gross()), f"gross_{b_label}": money_str(b.gross())},
            },
            "matched": [
                {f"{a_label}_row": p.a, f"{b_label}_row": p.b, "tier": p.tier, "weight": str(p.weight),
                 a_label: _row_json(a.rows[p.a]), b_label: _row_json(b.rows[p.b])}
                for p in self.matching.pairs
            ],
            f"only_in_{a_label}": [{"row": i, **_row_json(a.rows[i])} for i in self.matching.only_a],
            f"only_in_{b_label}": [{"row": j, **_row_json(b.rows[j])} for j in self.matching.only_b],
        }


def _by_tier(matching: RowMatching) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for p in matching.pairs:
        counts[p.tier] += 1
    return dict(counts)


def _ratio(num: Decimal, den: Decimal) -> Decimal:
    if den <= 0:
        return Decimal(0)
    return min(Decimal(1), num / den).quantize(_RATIO_PLACES, rounding=ROUND_HALF_UP)


def _period_overlap(a: Statement, b: Statement) -> Decimal:
    pa, pb = a.period(), b.period()
    if pa is None or pb is None:
        return Decimal(0)
    overlap = (min(pa[1], pb[1]) - max(pa[0], pb[0])).days + 1
    union = (max(pa[1], pb[1]) - min(pa[0], pb[0])).days + 1
    return _ratio(Decimal(max(overlap, 0)), Decimal(union))


def _totals(a: Statement, b: Statement) -> Decimal:
    ga, gb = a.gross(), b.gross()
    if ga == 0 and gb == 0:
        return Decimal(1)
    return _ratio(min(ga, gb), max(ga, gb))


def compare_statements(a: Statement, b: Statement) -> Comparison:
    """Score how alike ``a`` and ``b`` are (formula in the module docstring).

    Symmetric in its score; ``matching`` is oriented ``a`` → ``b``.

    :returns: a :class:`Comparison`.
    :raises: nothing.
    """
    matching = match_statement_rows(a.rows, b.rows)
    smaller = min(len(a.rows), len(b.rows))
    rows = _ratio(matching.matched_weight, Decimal(smaller)) if smaller else Decimal(0)
    period = _period_overlap(a, b)
    totals = _totals(a, b)
    identical = bool(a.sha256) and a.sha256 == b.sha256
    if identical:
        score = _HUNDRED
    else:
        raw = _HUNDRED * (ROWS_WEIGHT * rows + PERIOD_WEIGHT * period + TOTALS_WEIGHT * totals)
        score = max(Decimal(0), min(_HUNDRED, raw)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Comparison(score=score, rows=rows, period=period, totals=totals, identical_bytes=identical,
                      matching=matching, counts=(len(a.rows), len(b.rows)))


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if not value or not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def statement_from_parsed_json(parsed: Mapping[str, Any] | None, *, sha256: str = "") -> Statement:
    """A :class:`Statement` from ``UploadedFile.parsed_json`` (the pipeline's shape).

    Rows without a readable date or amount are left out (they cannot be
    compared); ``None`` or a non-dict gives a statement without rows.

    :returns: a :class:`Statement`.
    :raises: nothing.
    """
    if not isinstance(parsed, Mapping):
        return Statement(rows=(), sha256=sha256)
    rows: list[StatementRow] = []
    for item in parsed.get("rows") or ():
        if not isinstance(item, Mapping):
            continue
        date = _date(item.get("date"))
        try:
            amount = Decimal(str(item.get("amount")))
        except (InvalidOperation, ValueError):
            continue
        if date is None or not amount.is_finite():
            continue
        rows.append(StatementRow(date=date, description=str(item.get("description") or ""), amount=amount,
                                 bank_id=str(item.get("bank_id") or "")))
    return Statement(rows=tuple(rows), period_start=_date(parsed.get("period_start")),
                     period_end=_date(parsed.get("period_end")), sha256=sha256)
