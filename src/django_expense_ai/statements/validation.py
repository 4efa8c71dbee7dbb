"""Check parsed statement rows before they become transactions. Pure: no database.

What is checked, row by row (:func:`validate_rows`):

* the date is not absurd: from 1970-01-01 to one year after today;
* the currency is an ISO 4217 code (the row's own, else the statement's, else
  the fallback the caller gives: the account's or the user's currency);
* the amount fits ``Transaction.amount`` (``Decimal(15, 4)``: below 10**11)
  and has no more decimals than the currency allows. Such an amount is
  *refused*, not rounded: a bank never prints ``¥12.5``, so the parse is wrong.

And for the statement as a whole: when it shows an opening and a closing
balance, ``opening + sum(amounts) == closing`` must hold; a mismatch is
reported and halves the confidence (it never passes silently).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..exceptions import MoneyError
from ..money import is_known_currency, minor_units, money_str, quantize, quantum
from .types import StatementRow

__all__ = [
    "EARLIEST_DATE",
    "MAX_ABS_AMOUNT",
    "RowProblem",
    "ValidationReport",
    "check_balance",
    "validate_rows",
]

#: Dates before this are a misread year (``01/02/03`` read as 0003), not a statement.
EARLIEST_DATE = dt.date(1970, 1, 1)
#: ``Transaction.amount`` is ``DecimalField(15, 4)``: 11 integer digits.
MAX_ABS_AMOUNT = Decimal(10) ** 11
#: At most this many problems are listed in the details (the count is always exact).
MAX_LISTED_PROBLEMS = 50


@dataclass(frozen=True)
class RowProblem:
    """Why one row was refused; ``row`` is its 0-based position in the parse."""

    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate_rows`.

    ``rows`` are the accepted rows, each with its currency filled in and its
    amount quantised to the currency's minor units; ``problems`` the refused
    ones. ``confidence`` is the input confidence, halved on a balance mismatch.
    """

    rows: tuple[StatementRow, ...]
    problems: tuple[RowProblem, ...]
    confidence: float
    balance_check: dict[str, Any] | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when no row was refused."""
        return not self.problems

    def details(self) -> dict[str, Any]:
        """JSON-safe summary for a processing log row (money as decimal strings)."""
        return {
            "rows_checked": len(self.rows) + len(self.problems),
            "rows_valid": len(self.rows),
            "rows_invalid": len(self.problems),
            "problems": [p.as_dict() for p in self.problems[:MAX_LISTED_PROBLEMS]],
            "confidence": round(self.confidence, 4),
            "balance_check": self.balance_check,
            "warnings": list(self.warnings),
        }


def check_balance(
    rows: Sequence[StatementRow], opening: Decimal | None, closing: Decimal | None
) -> dict[str, Any] | None:
    """Compare ``opening + sum(rows) `` with ``closing``.

    :returns: ``None`` when the statement does not show both balances, else a
        JSON-safe dict with ``opening``, ``closing``, ``sum``, ``expected``,
        ``difference`` (decimal strings) and ``ok``.
    :raises: nothing.
    """
    if opening is None or closing is None:
        return None
    total = sum((r.amount for r in rows), Decimal(0))
    expected = opening + total
    difference = closing - expected
    return {
        "opening": money_str(opening),
        "closing": money_str(closing),
        "sum": money_str(total),
        "expected": money_str(expected),
        "difference": money_str(difference),
        "ok": difference == 0,
    }


def validate_rows(
    rows: Sequence[StatementRow],
    *,
    currency: str | None,
    fallback_currency: str,
    today: dt.date,
    confidence: float = 1.0,
    opening_balance: Decimal | None = None,
    closing_balance: Decimal | None = None,
) -> ValidationReport:
    """Check every row and the statement's balances.

    :param currency: the statement's own currency, if it shows one.
    :param fallback_currency: used for rows when neither the row nor the
        statement names a currency (the account's or the user's).
    :param today: the latest allowed date is one year after it.
    :returns: a :class:`ValidationReport`; refused rows are in ``problems``.
    :raises: nothing; every problem is reported in the result.
    """
    latest = today + dt.timedelta(days=366)
    accepted: list[StatementRow] = []
    problems: list[RowProblem] = []
    # Per currency code (a statement has one or two): whether ISO knows it, and its step.
    known: dict[str, bool] = {}
    steps: dict[str, Decimal] = {}
    codes: dict[Any, str] = {}  # the code for each row currency (rows mostly share one)
    for index, row in enumerate(rows):
        row_currency = row.currency
        code = codes.get(row_currency)
        if code is None:
            code = codes[row_currency] = (row_currency or currency or fallback_currency or "").upper()
        if code not in known:
            known[code] = is_known_currency(code)
            if known[code]:
                steps[code] = quantum(code)
        step = steps.get(code)
        amount, date = row.amount, row.date
        # Fast path for the usual row, decided as _check_row would: a date in range and a
        # finite amount that already has the currency's decimals (so quantising changes nothing).
        if (
            step is not None
            and type(date) is dt.date
            and EARLIEST_DATE <= date <= latest
            and type(amount) is Decimal
            and amount.is_finite()
            and amount.same_quantum(step)
            and abs(amount) < MAX_ABS_AMOUNT
        ):
            accepted.append(row if row_currency == code else _completed(row, code, amount))
            continue
        checked = _check_row(index, row, code, latest, known[code], step)
        if isinstance(checked, RowProblem):
            problems.append(checked)
        elif row.currency == code and checked.same_quantum(row.amount):
            # Equal in value (else it was refused) and exponent: the same digits and sign.
            accepted.append(row)  # already complete: keep the parser's row
        else:
            accepted.append(_completed(row, code, checked))

    warnings: list[str] = []
    balance = None
    if not problems:
        balance = check_balance(accepted, opening_balance, closing_balance)
        if balance is not None and not balance["ok"]:
            confidence = confidence / 2
            warnings.append(
                f"Opening balance {balance['opening']} plus the rows ({balance['sum']}) gives "
                f"{balance['expected']}, but the statement's closing balance is {balance['closing']} "
                f"(off by {balance['difference']}): rows may be missing or misread."
            )
    return ValidationReport(
        rows=tuple(accepted),
        problems=tuple(problems),
        confidence=min(1.0, max(0.0, float(confidence))),
        balance_check=balance,
        warnings=tuple(warnings),
    )


def _completed(row: StatementRow, code: str, amount: Decimal) -> StatementRow:
    """``row`` with its currency filled in and its amount quantised.

    Built directly rather than with ``dataclasses.replace``, which costs more
    than all the checks together on a statement of thousands of rows; a test
    checks that every other field is carried over.
    """
    return StatementRow(
        date=row.date,
        description=row.description,
        amount=amount,
        currency=code,
        balance=row.balance,
        bank_id=row.bank_id,
        posted_date=row.posted_date,
        merchant=row.merchant,
    )


def _check_row(
    index: int, row: StatementRow, code: str, latest: dt.date, known: bool, step: Decimal | None = None
) -> RowProblem | Decimal:
    """The row's problem, or its amount quantised to ``code``'s minor units (``step``: its quantum)."""
    if not isinstance(row.date, dt.date):
        return RowProblem(index, "date", f"{row.date!r} is not a date.")
    if not EARLIEST_DATE <= row.date <= latest:
        return RowProblem(
            index,
            "date",
            f"{row.date.isoformat()} is outside {EARLIEST_DATE.isoformat()}..{latest.isoformat()}; "
            "the date was probably misread.",
        )
    if not known:
        return RowProblem(index, "currency", f"{code or '(none)'!s} is not an ISO 4217 currency code.")
    amount = row.amount
    if isinstance(amount, bool) or not isinstance(amount, Decimal) or not amount.is_finite():
        return RowProblem(index, "amount", f"{amount!r} is not a decimal amount.")
    if abs(amount) >= MAX_ABS_AMOUNT:
        return RowProblem(index, "amount", f"{money_str(amount)} is too large (at most 11 integer digits).")
    if step is not None:
        # money.quantize(strict=True) without looking the currency up again for every row.
        result = amount.quantize(step, rounding=ROUND_HALF_EVEN)
        if result == amount:
            return result
        return _too_precise(index, amount, code)
    try:
        return quantize(amount, code, strict=True)
    except MoneyError:
        return _too_precise(index, amount, code)


def _too_precise(index: int, amount: Decimal, code: str) -> RowProblem:
    return RowProblem(
        index,
        "amount",
        f"{money_str(amount)} has more decimals than {code} allows ({minor_units(code)}); "
        "refused rather than rounded.",
    )
